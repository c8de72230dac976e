#!/usr/bin/env bats
# Crash family: kill -9 of a SYNC_FLUSH broker in the middle of a 100,000-message produce.
# Every message the producer saw acknowledged (SEND_OK) must be there after the restart,
# and the store must verify.
load test_helper

@test "crash: SYNC_FLUSH broker killed -9 mid-produce keeps every acknowledged message" {
  start_broker flushDiskType=SYNC_FLUSH
  seq 100000 >"$T/input"
  "$RMQ" produce -b "unix:$SOCK" --json --retries 0 --timeout 2000 TopicTest <"$T/input" >"$T/acks" 2>"$T/produce.err" &
  ppid=$!
  # kill once a good part is acknowledged, well before the end
  for _ in $(seq 200); do [ "$(grep -c SEND_OK "$T/acks" 2>/dev/null)" -ge 5000 ] && break; sleep 0.02; done
  kill -9 "$BPID"
  wait "$ppid" || true                      # the producer fails for what was not acknowledged
  acked=$(grep -c '"status":"SEND_OK"' "$T/acks")
  [ "$acked" -ge 5000 ]
  [ "$acked" -lt 100000 ]
  echo "# $acked acknowledged before the kill" >&3
  start_broker flushDiskType=SYNC_FLUSH
  run "$RMQ" consume -b "unix:$SOCK" -g check --exit-at-end TopicTest
  assert_status 0
  printf '%s\n' "$output" | sort >"$T/got"
  grep '"status":"SEND_OK"' "$T/acks" | sed 's/.*"n":\([0-9]*\).*/\1/' | sort >"$T/want"
  missing=$(comm -23 "$T/want" "$T/got" | wc -l)
  [ "$missing" -eq 0 ] || { echo "$missing acknowledged messages lost" >&2; return 1; }
  kill -TERM "$BPID"; wait "$BPID" || true
  "$RMQ" store verify "$T/store"
}
