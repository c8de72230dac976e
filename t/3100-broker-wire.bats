#!/usr/bin/env bats
# The broker daemon over the RocketMQ remoting protocol, driven with raw requests
# (rmq-test-tool request/raw), over TCP and the Unix socket.
load test_helper



send() {   # send ADDR QUEUE BODY [props]
  "$TT" request "$1" 310 a=pg b=TopicTest c=TBW102 d=4 e="$2" f=0 g=1 h=0 i="${4:-TAGS$(printf '\001')TagA}" --body "$3"
}

pull() {   # pull ADDR QUEUE OFFSET [sysflag] [suspend ms]
  "$TT" request "$1" 11 consumerGroup=g topic=TopicTest queueId="$2" queueOffset="$3" maxMsgNums=32 \
    sysFlag="${4:-0}" commitOffset=0 suspendTimeoutMillis="${5:-1000}" subVersion=0
}

@test "broker: sends are stored and pulled back over the Unix socket and TCP" {
  start_broker
  run send "unix:$SOCK" 0 hello
  assert_status 0
  assert_contains "code=0 "
  assert_contains "queueOffset=0"
  run send "127.0.0.1:$PORT" 0 world
  assert_status 0
  assert_contains "queueOffset=1"
  run pull "127.0.0.1:$PORT" 0 0
  assert_status 0
  assert_contains "code=0 remark=FOUND"
  assert_contains "nextBeginOffset=2"
  run pull "unix:$SOCK" 0 2
  assert_contains "code=19 remark=OFFSET_OVERFLOW_ONE"
  run pull "unix:$SOCK" 0 9
  assert_contains "code=21 remark=OFFSET_OVERFLOW_BADLY"
  stop_broker
  "$RMQ" store verify "$T/store"
  run "$RMQ" store dump "$T/store" --topic TopicTest --queue 0
  assert_contains "store host: 127.0.0.1:$PORT"     # brokerIP1:listenPort, as clients need it
  assert_contains "hello"
  assert_contains "world"
  [ ! -e "$T/store/abort" ]
}

@test "broker: a pipelined burst keeps order and offsets" {
  start_broker
  run "$TT" request "unix:$SOCK" 310 a=pg b=TopicTest c=TBW102 d=4 e=1 f=0 g=1 h=0 --body x --count 500
  assert_status 0
  [ "$(grep -c 'code=0 ' <<<"$output")" -eq 500 ]
  [[ "${lines[499]}" == *"queueOffset=499"* ]]
  run "$TT" request "unix:$SOCK" 30 topic=TopicTest queueId=1
  assert_contains "offset=500"
}

@test "broker: bad input closes only that connection, with a clear answer where one is possible" {
  start_broker
  run "$TT" request "unix:$SOCK" 999
  assert_contains "code=3 remark=request code 999 not supported"
  run "$TT" raw "unix:$SOCK" 7fffffff00000000          # a 2 GiB length prefix
  assert_contains closed
  run "$TT" raw "127.0.0.1:$PORT" 0000000c000000087b22636f6465223a   # a truncated JSON header
  run "$TT" raw "127.0.0.1:$PORT" 0000000e0000000a7b7b7b7b7b7b7b7b7b7b   # broken JSON
  assert_contains closed
  run "$TT" raw "unix:$SOCK" 6761726261676521                  # garbage
  assert_contains closed
  run send "unix:$SOCK" 0 still-here
  assert_status 0
  assert_contains "code=0 "
  head -c 5000000 /dev/zero | tr '\0' x >"$T/big"
  run "$TT" request "unix:$SOCK" 310 a=pg b=TopicTest c=TBW102 d=4 e=0 f=0 g=1 h=0 --body-file "$T/big"
  assert_contains "code=13"                                     # over maxMessageSize (4 MiB)
  run send "unix:$SOCK" 0 after
  assert_contains "code=0 "
  run "$TT" request "unix:$SOCK" 310 a=pg b='bad topic' c=TBW102 d=4 e=0 f=0 g=1 h=0 --body x
  assert_contains "code=13"
  run "$TT" request "unix:$SOCK" 310 a=pg b=TopicTest e=0 --body x
  assert_contains "code=1 remark=the request header field 'f' is missing"
  kill -0 "$BPID"
}

@test "broker: consumer offsets survive a restart; topics and auto-creation persist" {
  start_broker
  send "unix:$SOCK" 2 m >/dev/null
  run "$TT" request "unix:$SOCK" 14 consumerGroup=g topic=TopicTest queueId=2
  assert_contains "offset=0"
  run "$TT" request "unix:$SOCK" 15 consumerGroup=g topic=TopicTest queueId=2 commitOffset=1
  assert_contains "code=0"
  # ali-ons's "-1" (nothing consumed) is accepted and does not take the offset back
  run "$TT" request "unix:$SOCK" 15 consumerGroup=g topic=TopicTest queueId=2 commitOffset=-1
  assert_contains "code=0"
  stop_broker
  grep -q '"TopicTest@g":{2:1}' "$T/store/config/consumerOffset.json"
  start_broker
  run "$TT" request "unix:$SOCK" 14 consumerGroup=g topic=TopicTest queueId=2
  assert_contains "offset=1"
  run "$TT" request "unix:$SOCK" 21
  assert_contains "code=0"
  grep -q '"TopicTest":{' "$T/store/config/topics.json"
}

@test "broker: without autoCreateTopicEnable an unknown topic is refused, created ones work" {
  start_broker autoCreateTopicEnable=false
  run send "unix:$SOCK" 0 x
  assert_contains "code=17"
  assert_contains "autoCreateTopicEnable is false"
  run "$TT" request "unix:$SOCK" 17 topic=TopicTest defaultTopic=TBW102 readQueueNums=2 writeQueueNums=2 perm=6 topicFilterType=SINGLE_TAG order=false
  assert_contains "code=0"
  run send "unix:$SOCK" 1 x
  assert_contains "code=0 "
  run send "unix:$SOCK" 2 x
  assert_contains "code=29"                                     # queue 2 of 2
}

@test "broker: a suspended pull waits for a message and is answered when it arrives" {
  start_broker
  send "unix:$SOCK" 3 first >/dev/null
  pull "unix:$SOCK" 3 1 2 10000 >"$T/held" &
  waiter=$!
  sleep 0.3
  kill -0 "$waiter"                                             # still held
  send "127.0.0.1:$PORT" 3 second >/dev/null
  wait "$waiter"
  grep -q "code=0 remark=FOUND" "$T/held"
  grep -q "nextBeginOffset=2" "$T/held"
  # nothing arrives: answered PULL_NOT_FOUND at the hold time
  run pull "unix:$SOCK" 3 2 2 300
  assert_contains "code=19"
}

@test "broker: SYNC_FLUSH answers after the flush; shutdown request stops it cleanly" {
  start_broker flushDiskType=SYNC_FLUSH
  run send "unix:$SOCK" 0 durable
  assert_contains "code=0 "
  # the store's threads are named for top -H / ps -L
  run cat /proc/"$BPID"/task/*/comm
  assert_contains "rmq-flusher"
  assert_contains "rmq-preparer"
  run "$TT" request "unix:$SOCK" 7001
  assert_contains "code=0"
  for _ in $(seq 100); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$BPID" 2>/dev/null; then echo "broker still running" >&2; return 1; fi
  [ ! -e "$T/store/abort" ]
  "$RMQ" store verify "$T/store"
}

@test "broker: kill -9 keeps every acknowledged message (ASYNC_FLUSH: page cache)" {
  start_broker
  run "$TT" request "unix:$SOCK" 310 a=pg b=TopicTest c=TBW102 d=4 e=0 f=0 g=1 h=0 --body k --count 300
  [ "$(grep -c 'code=0 ' <<<"$output")" -eq 300 ]
  kill -9 "$BPID"
  wait "$BPID" 2>/dev/null || true
  [ -e "$T/store/abort" ]
  start_broker
  run "$TT" request "unix:$SOCK" 30 topic=TopicTest queueId=0
  assert_contains "offset=300"
  stop_broker
  "$RMQ" store verify "$T/store"
}

@test "broker: batch sends store one record per message; lookups by key and by offset id" {
  start_broker
  run "$TT" request "unix:$SOCK" 320 a=pg b=TopicTest c=TBW102 d=4 e=2 f=0 g=1 h=0 m=true --batch one,two,three
  assert_status 0
  assert_contains "code=0 "
  assert_contains "queueOffset=0"
  [ "$(grep -o 'msgId=[0-9A-F,]*' <<<"$output" | tr ',' '\n' | wc -l)" -eq 3 ]
  first=$(grep -o 'msgId=[0-9A-F]*' <<<"$output" | cut -d= -f2)
  run "$TT" request "unix:$SOCK" 30 topic=TopicTest queueId=2
  assert_contains "offset=3"
  # the offset id names the commitlog offset (its last 16 hex digits)
  run "$TT" request "unix:$SOCK" 33 offset=$((16#${first:16}))
  assert_contains "code=0"
  [[ "$output" == *"body_len="[1-9]* ]]
  run "$TT" request "unix:$SOCK" 12 topic=TopicTest key=two maxNum=32 beginTimestamp=0 endTimestamp=9999999999999
  assert_contains "code=0"
  run "$TT" request "unix:$SOCK" 12 topic=TopicTest key=nope maxNum=32 beginTimestamp=0 endTimestamp=9999999999999
  assert_contains "code=22"
  # the C++ client's form: SEND_MESSAGE_V2 with the batch field
  run "$TT" request "unix:$SOCK" 310 a=pg b=TopicTest c=TBW102 d=4 e=2 f=0 g=1 h=0 m=true --batch four
  assert_contains "queueOffset=3"
  run "$TT" request "unix:$SOCK" 320 a=pg b=TopicTest e=2 f=0 g=1 h=0 m=true --body notabatch
  assert_contains "code=13"
  stop_broker
  "$RMQ" store verify "$T/store"
  run "$RMQ" store dump "$T/store" --topic TopicTest --queue 2
  assert_contains "three"
}

@test "broker: heartbeats register consumers; the group's member list follows connections" {
  start_broker
  hb='{"clientID":"10.0.0.1@1#1","consumerDataSet":[{"groupName":"g1","messageModel":"CLUSTERING","consumeType":"CONSUME_PASSIVELY","subscriptionDataSet":[]}],"producerDataSet":[{"groupName":"p1"}]}'
  # one connection: heartbeat, then ask for the list on the same connection
  run "$TT" request "unix:$SOCK" 34 --body "$hb"
  assert_contains "code=0"
  # that connection is closed now: its client is gone
  run "$TT" request "unix:$SOCK" 38 consumerGroup=g1
  assert_contains "code=1 remark=no consumer for this group, g1"
  run "$TT" request "unix:$SOCK" 34 --body '{"consumerDataSet":[]}'
  assert_contains "code=1"
  # the clustering group got its retry topic
  run "$TT" request "unix:$SOCK" 21
  stop_broker
  grep -q '"%RETRY%g1"' "$T/store/config/topics.json"
}

@test "broker: topic stats, consume stats and runtime info in the forms mqadmin reads" {
  start_broker
  send "unix:$SOCK" 1 a >/dev/null
  send "unix:$SOCK" 1 b >/dev/null
  "$TT" request "unix:$SOCK" 15 consumerGroup=g topic=TopicTest queueId=1 commitOffset=1 >/dev/null
  run "$TT" request "unix:$SOCK" 202 topic=TopicTest --show-body
  assert_contains "code=0"
  assert_contains '{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"lastUpdateTimestamp":'
  assert_contains '"maxOffset":2,"minOffset":0}'
  [[ "$output" != *'"lastUpdateTimestamp":0,"maxOffset":2'* ]]
  run "$TT" request "unix:$SOCK" 202 topic=NoSuchTopic
  assert_contains "code=17"
  run "$TT" request "unix:$SOCK" 208 consumerGroup=g --show-body
  assert_contains '{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"brokerOffset":2,"consumerOffset":1,'
  "$TT" request "unix:$SOCK" 11 consumerGroup=g topic=TopicTest queueId=1 queueOffset=0 maxMsgNums=32 \
    sysFlag=0 commitOffset=0 suspendTimeoutMillis=0 subscription='*' subVersion=0 >/dev/null
  run "$TT" request "unix:$SOCK" 28 --show-body
  assert_contains '"commitLogMaxOffset":"'
  assert_contains '"brokerVersionDesc":"V4_9_8"'
  # the counters clusterList and brokerStatus show
  assert_contains '"msgPutTotalTodayNow":"2"'
  assert_contains '"msgGetTotalTodayNow":"2"'
  assert_contains '"putMessageTimesTotal":"2"'
  assert_contains '"scheduleMessageOffset_18":"0,0"'
  [[ "$output" =~ \"earliestMessageTimeStamp\":\"1[0-9]{12}\" ]]
  [[ "$output" =~ \"commitLogDiskRatio\":\"0\.[0-9]{4}\" ]]
  [[ "$output" =~ \"putTps\":\"[0-9.]+\ [0-9.]+\ [0-9.]+\" ]]
}

@test "broker: each stored message keeps its properties plus CLUSTER, and its born host" {
  start_broker
  for i in 1 2; do   # the second TCP send takes the broker's cached parse of the peer
    run send "127.0.0.1:$PORT" 0 "tcp-$i" "KEYS$(printf '\001')k$i$(printf '\002')TAGS$(printf '\001')TagA"
    assert_status 0
  done
  run send "unix:$SOCK" 1 "unix-1" "TAGS$(printf '\001')TagB$(printf '\002')"
  assert_status 0
  stop_broker
  run "$RMQ" store dump "$T/store" --topic TopicTest --json
  assert_status 0
  [ "$(grep -c '"CLUSTER":"DefaultCluster"' <<<"$output")" -eq 3 ]
  [ "$(grep -c '"TAGS":"TagA"' <<<"$output")" -eq 2 ]
  assert_contains '"KEYS":"k2"'
  assert_contains '"TAGS":"TagB"'
  [ "$(grep -c '"born_host":"127.0.0.1:' <<<"$output")" -eq 3 ]
  [ "$(grep '"tcp-2"' <<<"$output" | grep -c '"born_host":"127.0.0.1:0"')" -eq 0 ]   # a real port
}
