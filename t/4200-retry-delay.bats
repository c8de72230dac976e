#!/usr/bin/env bats
# Delay levels (SCHEDULE_TOPIC_XXXX), CONSUMER_SEND_MSG_BACK to %RETRY% and %DLQ%, and the
# retry-topic send path, against a broker of their own.
load test_helper

LEVELS="messageDelayLevel=1s 3s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"

# send_delayed TOPIC LEVEL BODY: SEND_MESSAGE_V2 with the DELAY property, as a Java producer
# with msg.setDelayTimeLevel(LEVEL) sends it
send_delayed() {
  "$TT" request "$UNIX" 310 a=p b="$1" c=TBW102 d=4 e=0 f=0 g=0 h=0 i=$'DELAY\001'"$2"$'\002UNIQ_KEY\001ID'"$3" --body "$3"
}

# phys_of JSON_LINE: the commit-log offset inside a consumed message's offsetMsgId
phys_of() {
  local id
  id=$(sed -n 's/.*"offsetMsgId":"\([0-9A-F]*\)".*/\1/p' <<<"$1")
  echo $((16#${id:16}))
}

@test "delay: a DELAY message waits in SCHEDULE_TOPIC_XXXX, then reaches its topic" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicD -b "$UNIX" -r 1 -w 1
  run send_delayed TopicD 2 late
  assert_contains "code=0"
  run "$RMQ" consume -b "$UNIX" -g gD --exit-at-end TopicD
  assert_status 0
  [ -z "$output" ]
  run "$RMQ" topic status SCHEDULE_TOPIC_XXXX -b "$UNIX" --json
  assert_contains '"queueId":1,"minOffset":0,"maxOffset":1'
  wait_for_messages gD TopicD 1
  grep -q '"body":"late"' "$T/got.json"
  grep -q '"REAL_TOPIC":"TopicD"' "$T/got.json"
  grep -q '"WAIT":"false"' "$T/got.json"
  if grep -q '"DELAY"' "$T/got.json"; then echo "DELAY kept" >&2; return 1; fi
  stop_broker
  grep -q '2:1' "$T/store/config/delayOffset.json"
}

@test "delay: progress survives a restart, nothing is lost or delivered twice" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicD -b "$UNIX" -r 1 -w 1
  for i in 1 2 3; do run send_delayed TopicD 1 "m$i"; assert_contains "code=0"; done
  wait_for_messages gD TopicD 3
  run send_delayed TopicD 2 after-restart
  stop_broker   # before it is due
  start_broker "$LEVELS"
  wait_for_messages gD TopicD 1
  sleep 0.5
  run "$RMQ" consume -b "$UNIX" -g gAll --exit-at-end TopicD
  [ "$output" = $'m1\nm2\nm3\nafter-restart' ]
}

@test "send back: a failed message is retried through %RETRY%group, then lands in %DLQ%group" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicR -b "$UNIX" -r 1 -w 1
  run "$RMQ" produce -b "$UNIX" --key k1 TopicR payload
  assert_status 0
  run "$RMQ" group update gR -b "$UNIX" --retry-max 2
  assert_status 0
  run "$RMQ" consume -b "$UNIX" -g gR --count 1 --json TopicR
  assert_status 0
  first=$output
  run "$TT" request "$UNIX" 36 group=gR offset="$(phys_of "$first")" delayLevel=0 originMsgId=ORIG1 maxReconsumeTimes=2
  assert_contains "code=0"
  # retried after level 3 (1 s) with the retry bookkeeping
  wait_for_messages gR '%RETRY%gR' 1
  retry=$(tail -1 "$T/got.json")
  grep -q '"topic":"%RETRY%gR"' <<<"$retry"
  grep -q '"reconsumeTimes":1' <<<"$retry"
  grep -q '"RETRY_TOPIC":"TopicR"' <<<"$retry"
  grep -q '"ORIGIN_MESSAGE_ID":"ORIG1"' <<<"$retry"
  grep -q '"body":"payload"' <<<"$retry"
  # fails again: second retry
  run "$TT" request "$UNIX" 36 group=gR offset="$(phys_of "$retry")" delayLevel=0
  assert_contains "code=0"
  wait_for_messages gR '%RETRY%gR' 1
  retry=$(tail -1 "$T/got.json")
  grep -q '"reconsumeTimes":2' <<<"$retry"
  grep -q '"ORIGIN_MESSAGE_ID":"ORIG1"' <<<"$retry"
  # retryMaxTimes (2) reached: the third failure goes to the dead-letter queue at once
  run "$TT" request "$UNIX" 36 group=gR offset="$(phys_of "$retry")" delayLevel=0
  assert_contains "code=0"
  run "$RMQ" consume -b "$UNIX" -g gDLQ --exit-at-end --json '%DLQ%gR'
  assert_status 0
  [ "${#lines[@]}" -eq 1 ]
  assert_contains '"reconsumeTimes":3'
  assert_contains '"RETRY_TOPIC":"TopicR"'
  run "$RMQ" topic list -b "$UNIX"
  grep -qx '%DLQ%gR' <<<"$output"
}

@test "send back: a negative level goes straight to the DLQ; bad requests get an error" {
  start_broker "$LEVELS"
  run "$RMQ" produce -b "$UNIX" TopicR x
  run "$RMQ" consume -b "$UNIX" -g gN --count 1 --json TopicR
  run "$TT" request "$UNIX" 36 group=gN offset="$(phys_of "$output")" delayLevel=-1
  assert_contains "code=0"
  run "$RMQ" consume -b "$UNIX" -g gDLQ --exit-at-end '%DLQ%gN'
  [ "$output" = x ]
  run "$TT" request "$UNIX" 36 group=gN offset=123456789 delayLevel=0
  assert_contains "code=1 "
  run "$TT" request "$UNIX" 36 group=gN delayLevel=0
  assert_contains "code=1 "
  run "$TT" request "$UNIX" 36 group=gN offset=1 delayLevel=0
  assert_contains "code=1 "
}

@test "retry-topic sends past maxReconsumeTimes go to the DLQ (the client's fallback path)" {
  start_broker
  run "$RMQ" group update gF -b "$UNIX"
  # reconsumeTimes 17 > 16
  run "$TT" request "$UNIX" 310 a=p b='%RETRY%gF' c=TBW102 d=4 e=0 f=0 g=0 h=0 j=17 l=16 i=$'DELAY\0014' --body dead
  assert_contains "code=0"
  run "$RMQ" consume -b "$UNIX" -g gX --exit-at-end --json '%DLQ%gF'
  [ "${#lines[@]}" -eq 1 ]
  assert_contains '"body":"dead"'
  if grep -q '"DELAY"' <<<"$output"; then echo "DELAY kept" >&2; return 1; fi
  # within the limit it is a normal (delayed) retry
  run "$TT" request "$UNIX" 310 a=p b='%RETRY%gF' c=TBW102 d=4 e=0 f=0 g=0 h=0 j=2 l=16 --body again
  assert_contains "code=0"
  run "$RMQ" consume -b "$UNIX" -g gY --exit-at-end '%RETRY%gF'
  [ "$output" = again ]
}

@test "locks: LOCK_BATCH_MQ grants a queue to one client of a group; UNLOCK_BATCH_MQ frees it" {
  start_broker
  mqs='[{"topic":"T","brokerName":"broker-a","queueId":0},{"topic":"T","brokerName":"broker-a","queueId":1}]'
  run "$TT" request "$UNIX" 41 --show-body --body "{\"consumerGroup\":\"gO\",\"clientId\":\"c1\",\"mqSet\":$mqs}"
  assert_contains "code=0"
  assert_contains '{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"},{"brokerName":"broker-a","queueId":1,"topic":"T"}]}'
  run "$TT" request "$UNIX" 41 --show-body --body "{\"consumerGroup\":\"gO\",\"clientId\":\"c2\",\"mqSet\":$mqs}"
  assert_contains '{"lockOKMQSet":[]}'
  run "$TT" request "$UNIX" 42 --body "{\"consumerGroup\":\"gO\",\"clientId\":\"c1\",\"mqSet\":[{\"topic\":\"T\",\"brokerName\":\"broker-a\",\"queueId\":1}]}"
  assert_contains "code=0"
  run "$TT" request "$UNIX" 41 --show-body --body "{\"consumerGroup\":\"gO\",\"clientId\":\"c2\",\"mqSet\":$mqs}"
  assert_contains '{"lockOKMQSet":[{"brokerName":"broker-a","queueId":1,"topic":"T"}]}'
  run "$TT" request "$UNIX" 41 --body '{"consumerGroup":"gO","mqSet":[]}'
  assert_contains "code=1 "
  run "$TT" request "$UNIX" 41 --body 'not json'
  assert_contains "code=1 "
  # one request may not name more than 4096 queues
  { printf '{"consumerGroup":"gO","clientId":"c3","mqSet":['
    seq 0 4096 | sed 's/.*/{"topic":"T","brokerName":"b","queueId":&}/' | paste -sd,
    printf ']}'; } >"$T/big.json"
  run "$TT" request "$UNIX" 41 --body-file "$T/big.json"
  assert_contains "code=1 "
  assert_contains "at most 4096"
}

@test "delay: clients cannot write the broker's own topics (a forged SCHEDULE_TOPIC_XXXX entry)" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicD -b "$UNIX" -r 1 -w 1
  # a forged delayed message pointing at a queue that does not exist would block level 1
  run "$TT" request "$UNIX" 310 a=p b=SCHEDULE_TOPIC_XXXX c=TBW102 d=4 e=0 f=0 g=0 h=0 \
    i=$'DELAY\0011\002REAL_TOPIC\001TopicD\002REAL_QID\00199999' --body poison
  assert_contains "code=16"
  for t in OFFSET_MOVED_EVENT RMQ_SYS_TRANS_HALF_TOPIC; do
    run "$TT" request "$UNIX" 310 a=p b=$t c=TBW102 d=4 e=0 f=0 g=0 h=0 --body x
    assert_contains "code=16"
  done
  run send_delayed TopicD 1 fine
  assert_contains "code=0"
  wait_for_messages gD TopicD 1
  grep -q '"body":"fine"' "$T/got.json"
}
