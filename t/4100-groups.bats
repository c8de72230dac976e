#!/usr/bin/env bats
# Subscription groups: auto-creation on first use, subscriptionGroup.json, rmq group, and the
# checks a pull passes (SUBSCRIPTION_GROUP_NOT_EXIST, NO_PERMISSION).
load test_helper

# heartbeat GROUP: what a Java push consumer of GROUP sends every 30 s
heartbeat() {
  "$TT" request "$UNIX" 34 --body "{\"clientID\":\"10.0.0.1@1#1\",\"consumerDataSet\":[{\"groupName\":\"$1\",\"messageModel\":\"CLUSTERING\",\"consumeType\":\"CONSUME_PASSIVELY\",\"subscriptionDataSet\":[]}],\"producerDataSet\":[]}"
}

@test "group: a consumer's group is made on first use and kept in subscriptionGroup.json" {
  start_broker
  run "$RMQ" produce -b "$UNIX" TopicG a b
  assert_status 0
  run "$RMQ" consume -b "$UNIX" -g gAuto --exit-at-end TopicG
  assert_status 0
  run "$RMQ" group list -b "$UNIX"
  assert_status 0
  grep -qx gAuto <<<"$output"
  grep -qx TOOLS_CONSUMER <<<"$output"
  # a heartbeat makes the group too, and its retry topic with retryQueueNums (1) queues
  run heartbeat gHb
  assert_contains "code=0"
  run "$RMQ" group list -b "$UNIX"
  grep -qx gHb <<<"$output"
  run "$RMQ" topic status '%RETRY%gHb' -b "$UNIX"
  assert_status 0
  [ "${#lines[@]}" -eq 2 ]
  stop_broker
  grep -q '"gAuto":{' "$T/store/config/subscriptionGroup.json"
  # and it is still there after a restart
  start_broker
  run "$RMQ" group list -b "$TCP" --json
  assert_status 0
  assert_contains '{"groupName":"gAuto","consumeEnable":true,'
  assert_contains '"retryMaxTimes":16'
}

@test "group: without auto-creation a pull of an unknown group is refused until it is made" {
  start_broker autoCreateSubscriptionGroup=false
  run "$RMQ" produce -b "$UNIX" TopicG a b
  assert_status 0
  run "$TT" request "$UNIX" 11 consumerGroup=gNew topic=TopicG queueId=0 queueOffset=0 maxMsgNums=32 sysFlag=0 commitOffset=0 suspendTimeoutMillis=0 subscription='*' subVersion=0
  assert_contains "code=26"
  run "$RMQ" group update gNew -b "$UNIX" --retry-queues 2 --retry-max 3
  assert_status 0
  assert_contains "create subscription group to unix:$SOCK success."
  assert_contains '"retryQueueNums":2,"retryMaxTimes":3'
  run heartbeat gUnknown
  run "$RMQ" topic status '%RETRY%gUnknown' -b "$UNIX"
  assert_status 1
  run "$RMQ" consume -b "$UNIX" -g gNew --exit-at-end TopicG
  assert_status 0
  [ "${#lines[@]}" -eq 2 ]
  run heartbeat gNew
  run "$RMQ" topic status '%RETRY%gNew' -b "$UNIX"
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
}

@test "group: consume off refuses pulls with NO_PERMISSION; delete --clean-offset drops offsets" {
  start_broker
  run "$RMQ" produce -b "$UNIX" TopicG a b c
  assert_status 0
  run "$RMQ" consume -b "$UNIX" -g gOff --count 3 TopicG
  assert_status 0
  run "$RMQ" group update gOff -b "$UNIX" --consume off
  assert_status 0
  assert_contains '"consumeEnable":false'
  run "$TT" request "$UNIX" 11 consumerGroup=gOff topic=TopicG queueId=0 queueOffset=0 maxMsgNums=32 sysFlag=0 commitOffset=0 suspendTimeoutMillis=0 subscription='*' subVersion=0
  assert_contains "code=16"
  run "$RMQ" offsets show -b "$UNIX" -g gOff TopicG
  assert_status 0
  assert_contains "TopicG"
  run "$RMQ" group delete gOff -b "$UNIX" --clean-offset
  assert_status 0
  assert_contains "delete subscription group [gOff] from broker [unix:$SOCK] success."
  run "$RMQ" group list -b "$UNIX"
  if grep -qx gOff <<<"$output"; then echo "gOff still listed" >&2; return 1; fi
  run "$TT" request "$UNIX" 14 consumerGroup=gOff topic=TopicG queueId=0 setZeroIfNotFound=false
  assert_contains "code=22"
}

@test "group: usage errors exit 2, a bad body is answered with an error" {
  run "$RMQ" group
  assert_status 2
  run "$RMQ" group frob
  assert_status 2
  run "$RMQ" group update
  assert_status 2
  run "$RMQ" group list --retry-max 3
  assert_status 2
  run "$RMQ" group update g --consume maybe
  assert_status 2
  start_broker
  run "$TT" request "$UNIX" 200 --body '{"groupName":'
  assert_contains "code=1"
  run "$TT" request "$UNIX" 200 --body '{"consumeEnable":true}'
  assert_contains "code=1"
  run "$RMQ" group list -b "$UNIX"
  assert_status 0
}

@test "group: through the name servers, every master of the cluster" {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"
  start_named_broker broker-b "namesrvAddr=$NSADDR"
  for _ in $(seq 50); do
    "$TT" request "$NSADDR" 106 --show-body | grep -q '"broker-b"' && "$TT" request "$NSADDR" 106 --show-body | grep -q '"broker-a"' && break
    sleep 0.1
  done
  run "$RMQ" group update gBoth -n "$NSADDR" --retry-max 5
  assert_status 0
  [ "$(grep -c 'create subscription group to' <<<"$output")" -eq 2 ]
  run "$RMQ" group list -n "$NSADDR" --json
  assert_status 0
  grep -q '"groupName":"gBoth".*"retryMaxTimes":5.*"brokerName":"broker-a"' <<<"$output"
  grep -q '"groupName":"gBoth".*"retryMaxTimes":5.*"brokerName":"broker-b"' <<<"$output"
  run "$RMQ" group list -n "$NSADDR"
  [ "$(grep -cx gBoth <<<"$output")" -eq 1 ]
  run "$RMQ" group delete gBoth -n "$NSADDR"
  assert_status 0
  run "$RMQ" group list -b "$UNIX"
  if grep -qx gBoth <<<"$output"; then echo "gBoth still on broker-b" >&2; return 1; fi
  run "$RMQ" group list -n "127.0.0.1:1"
  assert_status 1
  run "$RMQ" group list -n "$NSADDR" -b "$UNIX"
  assert_status 2
}
