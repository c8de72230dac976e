#!/usr/bin/env bats
# rmq bench produce|consume|e2e against a broker of its own, over TCP and the Unix socket.
load test_helper


check_json() {   # check_json JSON: the keys are there, msgs_per_sec > 0, errors == 0
  jq -e 'has("msgs_per_sec") and has("mb_per_sec") and has("p50_us") and has("p99_us")
         and has("p999_us") and has("errors") and .msgs_per_sec > 0 and .errors == 0' <<<"$1" >/dev/null || {
    echo "bad result: $1" >&2; return 1; }
}

@test "bench: produce, batch produce, consume and e2e over TCP and the Unix socket" {
  start_broker
  for addr in "127.0.0.1:$PORT" "unix:$SOCK"; do
    run "$RMQ" bench produce -b "$addr" --duration 1 --json
    assert_status 0
    check_json "$output"
    run "$RMQ" bench produce -b "$addr" --duration 1 --batch 32 --size 128 --json
    assert_status 0
    check_json "$output"
    run "$RMQ" bench produce -b "$addr" --duration 1 --rate 2000 --connections 2 --json
    assert_status 0
    check_json "$output"
    run "$RMQ" bench consume -b "$addr" --duration 1 --json
    assert_status 0
    check_json "$output"
    run "$RMQ" bench e2e -b "$addr" --duration 1 --warmup 0.5 --rate 2000 --json
    assert_status 0
    check_json "$output"
    # the producer paces for the warm-up and the second, waiting for each acknowledgement
    # (3,000 here; at least half even under sanitizers on a slow machine); every
    # acknowledged message arrives, those of the warm-up (at most 1,000) not measured
    jq -e '.p50_us > 0 and .sent_msgs >= 1500 and .sent_msgs <= 3001 and .messages == .sent_msgs and
           .window == 1 and .warmup_msgs > 0 and .warmup_msgs <= 1001 and .warmup_msgs < .messages' <<<"$output" >/dev/null
    # with --count the run ends at N, warm-up included
    run "$RMQ" bench e2e -b "$addr" --count 1200 --warmup 0.2 --rate 2000 --json
    assert_status 0
    jq -e '.sent_msgs == 1200 and .messages == 1200 and .warmup_msgs > 0 and .warmup_msgs < 1200' <<<"$output" >/dev/null
  done
  run "$RMQ" bench consume -b "unix:$SOCK" --count 1000 --json
  assert_status 0
  jq -e '.messages >= 1000' <<<"$output" >/dev/null
  run "$RMQ" bench produce -b "unix:$SOCK" --count 500
  assert_status 0
  assert_contains "msgs/s"
  assert_contains "errors: 0"
  kill -0 "$BPID"
}

@test "bench: consume --e2e sees a separate producer's messages" {
  start_broker
  "$RMQ" bench produce -b "unix:$SOCK" --count 1 >/dev/null     # the topic exists
  "$RMQ" bench consume --e2e -b "unix:$SOCK" --duration 2 --json >"$T/c.json" &
  CPID=$!
  RMQ_PIDS+=("$CPID")
  sleep 0.3
  run "$RMQ" bench produce -b "127.0.0.1:$PORT" --rate 2000 --duration 1 --json
  check_json "$output"
  wait "$CPID"
  check_json "$(cat "$T/c.json")"
  jq -e '.messages >= 1000 and .p50_us > 0' "$T/c.json" >/dev/null
}

@test "bench: a broker nobody runs is an error, bad options are usage errors" {
  run "$RMQ" bench produce -b "unix:$T/nobody.sock" --duration 1
  [ "$status" -eq 1 ]
  assert_contains "rmq bench:"
  run "$RMQ" bench produce --window 0
  [ "$status" -eq 2 ]
  run "$RMQ" bench e2e --warmup -1
  [ "$status" -eq 2 ]
  run "$RMQ" bench produce --warmup 1
  [ "$status" -eq 2 ]
  assert_contains "--warmup is for e2e"
  run "$RMQ" bench consume -h
  assert_status 0
  assert_contains "usage: rmq bench"
}
