#!/usr/bin/env bats
# ali-ons (the pure-JavaScript RocketMQ client from npm, written by nobody here) against
# `rmq namesrv` + `rmq broker`, unchanged: sends with tags and keys, clustering consumers
# with tag subscriptions splitting the queues, broadcasting, offsets kept across restarts,
# and failed messages coming back through %RETRY%GROUP. See ../shared/reference/ali-ons.md.
RMQ_BIN=${RMQ_BIN:-$BATS_TEST_DIRNAME/../../rmq}
RMQ_TEST_TOOL=${RMQ_TEST_TOOL:-$BATS_TEST_DIRNAME/../../build/rmq-test-tool}
load ../test_helper

setup_file() {
  # the client comes from npm (package-lock.json pins it); installed once
  if [ ! -d "$BATS_TEST_DIRNAME/node_modules/ali-ons" ]; then
    (cd "$BATS_TEST_DIRNAME" && npm ci --no-audit --no-fund --loglevel=error) >&3 2>&1
  fi
}

ONS=$BATS_TEST_DIRNAME
# retries come back after level 3: make that 1 s so the test does not wait 10 s
LEVELS="messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"

# A name server and broker-a registered with it; ali-ons finds the broker through it.
start_cluster() {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR" "$LEVELS" "$@"
  export NAMESRV_ADDR=$NSADDR
  "$RMQ" topic create TopicOns -b "$UNIX" -r 4 -w 4 >/dev/null
  # the route reaches the name server with the broker's next registration (at once on change)
  for _ in $(seq 50); do
    "$TT" request "$NSADDR" 105 topic=TopicOns | grep -q "code=0" && return 0
    sleep 0.1
  done
  echo "TopicOns never became routable" >&2
  return 1
}

# Output of `run node …` mixes the scripts' JSON lines with ali-ons's error events on
# stderr; the checks count the JSON lines ('^{') only.

# consume_bg NAME ARGS...: an ali-ons consumer in the background, JSON lines to $T/NAME.out
consume_bg() {
  local name=$1
  shift
  node "$ONS/ons-consume.js" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  RMQ_PIDS+=($!)
  eval "${name}_PID=$!"
}

# wait_lines N FILE...: up to 30 s until the files hold N lines together
wait_lines() {
  local n=$1 got=0
  shift
  for _ in $(seq 300); do
    got=$(cat "$@" | wc -l)
    [ "$got" -ge "$n" ] && return 0
    sleep 0.1
  done
  echo "only $got of $n lines in $*" >&2
  tail -5 "$@" >&2
  cat "$T"/*.err >&2
  return 1
}

@test "ali-ons producer: SEND_OK with the broker's offset ids; tags and keys stored" {
  start_cluster
  run node "$ONS/ons-produce.js" TopicOns 20 TagA key-
  assert_status 0
  [ "$(grep -c '"status":"SEND_OK"' <<<"$output")" -eq 20 ]
  # ali-ons spreads over all 4 queues of broker-a
  [ "$(grep -o '"queueId":[0-9]' <<<"$output" | sort -u | wc -l)" -eq 4 ]
  # its msgId is the offset message id, so rmq admin finds the message by it
  id=$(head -1 <<<"$output" | sed 's/.*"msgId":"\([0-9A-F]*\)".*/\1/')
  run "$RMQ" admin msg id "$id"
  assert_status 0
  assert_contains "Tags:                [TagA]"
  assert_contains "Keys:                [key-0]"
  assert_contains "Message Body:        m0"
  run "$RMQ" admin msg key TopicOns key-7 -b "$UNIX" --json
  assert_status 0
  assert_contains '"body":"m7"'
}

@test "ali-ons push consumer: tag subscription, and offsets kept so a restart continues" {
  start_cluster
  run node "$ONS/ons-produce.js" TopicOns 10 TagA a-
  assert_status 0
  run node "$ONS/ons-produce.js" TopicOns 10 TagB b-
  assert_status 0
  run node "$ONS/ons-consume.js" G1 TopicOns TagA 10
  assert_status 0
  [ "$(grep -c '"tags":"TagA"' <<<"$output")" -eq 10 ]
  if grep -q '"tags":"TagB"' <<<"$output"; then echo "TagB delivered to a TagA subscription" >&2; return 1; fi
  # the group's offsets are on the broker now: a second run sees only what came after
  run node "$ONS/ons-produce.js" TopicOns 5 TagA c-
  run node "$ONS/ons-consume.js" G1 TopicOns TagA 5
  assert_status 0
  [ "$(grep -c '^{' <<<"$output")" -eq 5 ]
  [ "$(grep -c '"keys":"c-' <<<"$output")" -eq 5 ]
  run "$RMQ" offsets show -b "$UNIX" -g G1 TopicOns
  assert_status 0
}

@test "ali-ons: two consumers of one group split the queues; each message once" {
  start_cluster
  consume_bg c1 G2 TopicOns '*' 1000 --timeout 60 --queues "$T/c1.q"
  consume_bg c2 G2 TopicOns '*' 1000 --timeout 60 --queues "$T/c2.q"
  # nothing is sent until both members have rebalanced (every 2 s) to hold disjoint
  # halves of the 4 queues: ali-ons ignores the broker's change notice
  local settled=
  for _ in $(seq 300); do
    if [ -s "$T/c1.q" ] && [ -s "$T/c2.q" ]; then
      local q1 q2
      q1=$(cat "$T/c1.q") q2=$(cat "$T/c2.q")
      if [ -n "$q1" ] && [ -n "$q2" ] &&
         [ "$(echo $q1 $q2 | tr ' ' '\n' | sort -u | wc -l)" -eq 4 ] &&
         [ "$(echo $q1 $q2 | wc -w)" -eq 4 ]; then
        settled=1
        break
      fi
    fi
    sleep 0.1
  done
  [ -n "$settled" ] || { echo "members never split the queues: c1 '$(cat "$T/c1.q")' c2 '$(cat "$T/c2.q")'" >&2; false; }
  run node "$ONS/ons-produce.js" TopicOns 40 TagA k-
  assert_status 0
  wait_lines 40 "$T/c1.out" "$T/c2.out"
  sleep 1
  [ "$(cat "$T/c1.out" "$T/c2.out" | sed 's/.*"body":"\([^"]*\)".*/\1/' | sort -u | wc -l)" -eq 40 ]
  [ "$(cat "$T/c1.out" "$T/c2.out" | wc -l)" -eq 40 ]
  q1=$(grep -o '"queueId":[0-9]*' "$T/c1.out" | sort -u)
  q2=$(grep -o '"queueId":[0-9]*' "$T/c2.out" | sort -u)
  [ -n "$q1" ] && [ -n "$q2" ]
  [ -z "$(comm -12 <(echo "$q1") <(echo "$q2"))" ]
}

@test "ali-ons broadcasting: every consumer gets every message" {
  start_cluster
  consume_bg b1 G3 TopicOns '*' 30 --broadcast --timeout 60
  consume_bg b2 G3 TopicOns '*' 30 --broadcast --timeout 60
  sleep 3
  run node "$ONS/ons-produce.js" TopicOns 30 TagA k-
  assert_status 0
  wait_lines 30 "$T/b1.out"
  wait_lines 30 "$T/b2.out"
  [ "$(sed 's/.*"body":"\([^"]*\)".*/\1/' "$T/b1.out" | sort -u | wc -l)" -eq 30 ]
  [ "$(sed 's/.*"body":"\([^"]*\)".*/\1/' "$T/b2.out" | sort -u | wc -l)" -eq 30 ]
}

@test "ali-ons: a failing handler gets the message again through %RETRY%group" {
  start_cluster
  run node "$ONS/ons-produce.js" TopicOns 3 TagA r-
  assert_status 0
  # each message fails once, then succeeds: 3 successes need 6 deliveries
  run node "$ONS/ons-consume.js" G4 TopicOns '*' 3 --fail 1 --timeout 40
  assert_status 0
  [ "$(grep -c '^{' <<<"$output")" -eq 6 ]
  [ "$(grep -c '"reconsumeTimes":0' <<<"$output")" -eq 3 ]
  [ "$(grep -c '"reconsumeTimes":1' <<<"$output")" -eq 3 ]
  # ali-ons hands retried messages over under their original topic (RETRY_TOPIC)
  [ "$(grep -c '"topic":"TopicOns"' <<<"$output")" -eq 6 ]
  run "$RMQ" topic status '%RETRY%G4' -b "$UNIX"
  assert_status 0
}
