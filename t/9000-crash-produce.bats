#!/usr/bin/env bats
# Crash family: kill -9 of a broker in the middle of a large produce. Every message the
# producer saw acknowledged (SEND_OK) must be there after the restart, and the store must
# verify. Under SYNC_FLUSH "acknowledged" means on disk; under ASYNC_FLUSH it means in the
# page cache, which a killed process does not take with it (the broker answers only after
# its loop iteration has written the staged records into the commitlog file).
load test_helper

# crash_mid_produce FLUSH LINES KILL_AT
crash_mid_produce() {
  start_broker "flushDiskType=$1"
  seq "$2" >"$T/input"
  "$RMQ" produce -b "unix:$SOCK" --json --retries 0 --timeout 2000 TopicTest <"$T/input" >"$T/acks" 2>"$T/produce.err" &
  ppid=$!
  # kill once a good part is acknowledged, well before the end (a slow disk or sanitizers
  # take longer to get there: the loop ends as soon as it does)
  for _ in $(seq 2000); do [ "$(grep -c SEND_OK "$T/acks" 2>/dev/null)" -ge "$3" ] && break; sleep 0.01; done
  kill -9 "$BPID"
  wait "$ppid" || true                      # the producer fails for what was not acknowledged
  acked=$(grep -c '"status":"SEND_OK"' "$T/acks")
  [ "$acked" -ge "$3" ]
  [ "$acked" -lt "$2" ]
  echo "# $1: $acked acknowledged before the kill" >&3
  start_broker "flushDiskType=$1"
  run "$RMQ" consume -b "unix:$SOCK" -g check --exit-at-end TopicTest
  assert_status 0
  printf '%s\n' "$output" | sort >"$T/got"
  grep '"status":"SEND_OK"' "$T/acks" | sed 's/.*"n":\([0-9]*\).*/\1/' | sort >"$T/want"
  missing=$(comm -23 "$T/want" "$T/got" | wc -l)
  [ "$missing" -eq 0 ] || { echo "$missing acknowledged messages lost" >&2; return 1; }
  kill -TERM "$BPID"; wait "$BPID" || true
  "$RMQ" store verify "$T/store"
}

@test "crash: SYNC_FLUSH broker killed -9 mid-produce keeps every acknowledged message" {
  crash_mid_produce SYNC_FLUSH 100000 5000
}

@test "crash: ASYNC_FLUSH broker killed -9 mid-produce keeps every acknowledged message" {
  crash_mid_produce ASYNC_FLUSH 2000000 50000
}
