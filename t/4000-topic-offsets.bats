#!/usr/bin/env bats
# rmq topic, rmq offsets and rmq shutdown against a broker of their own, over the Unix
# socket and TCP.
load test_helper



@test "topic: create, update, list, status and delete" {
  start_broker
  run "$RMQ" topic create TopicA -b "unix:$SOCK" -r 4 -w 4
  assert_status 0
  assert_contains "create topic to unix:$SOCK success."
  assert_contains "TopicConfig [topicName=TopicA, readQueueNums=4, writeQueueNums=4, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]"
  run "$RMQ" topic update TopicA -b "127.0.0.1:$PORT" -r 2 -w 2 -p 4 --order
  assert_status 0
  assert_contains "create topic to 127.0.0.1:$PORT success."
  assert_contains "readQueueNums=2, writeQueueNums=2, perm=R--"
  assert_contains "order=true"
  run "$RMQ" topic list -b "unix:$SOCK"
  assert_status 0
  grep -qx TopicA <<<"$output"
  grep -qx TBW102 <<<"$output"
  run "$RMQ" topic list -b "unix:$SOCK" --json
  assert_status 0
  assert_contains '"TopicA"'
  run "$RMQ" topic status TopicA -b "unix:$SOCK"
  assert_status 0
  [[ "${lines[0]}" == "#Broker Name                      #QID  #Min Offset           #Max Offset             #Last Updated" ]]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[1]}" == "broker-a                          0     0                     0                    "* ]]
  run "$RMQ" topic delete TopicA -b "unix:$SOCK"
  assert_status 0
  assert_contains "delete topic [TopicA] from broker [unix:$SOCK] success."
  run "$RMQ" topic list -b "unix:$SOCK"
  if grep -qx TopicA <<<"$output"; then echo "TopicA still listed" >&2; return 1; fi
  run "$RMQ" topic delete TopicA -b "unix:$SOCK"
  assert_status 1
  assert_contains "rmq topic: "
  run "$RMQ" topic status Nope -b "unix:$SOCK"
  assert_status 1
  assert_contains "rmq topic: "
  assert_contains "TOPIC_NOT_EXIST"
}

@test "topic: usage errors exit 2, an unreachable broker exits 1" {
  run "$RMQ" topic
  assert_status 2
  run "$RMQ" topic frobnicate
  assert_status 2
  assert_contains "rmq topic: unknown subcommand"
  run "$RMQ" topic create
  assert_status 2
  run "$RMQ" topic create T -r 0
  assert_status 2
  run "$RMQ" topic list extra
  assert_status 2
  run "$RMQ" topic delete T -r 3
  assert_status 2
  run "$RMQ" topic -h
  assert_status 0
  [[ "${lines[0]}" == "usage: rmq topic"* ]]
  run "$RMQ" topic list -b "unix:$T/none.sock"
  assert_status 1
  assert_contains "rmq topic: "
}

@test "topic status shows produced messages" {
  start_broker
  run "$RMQ" topic create TopicTest -b "unix:$SOCK" -r 1 -w 1
  assert_status 0
  run "$RMQ" produce -b "unix:$SOCK" TopicTest a b c
  assert_status 0
  run "$RMQ" topic status TopicTest -b "127.0.0.1:$PORT"
  assert_status 0
  [[ "${lines[1]}" =~ ^broker-a\ +0\ +0\ +3\ +[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8},[0-9]{3}$ ]]
  run "$RMQ" topic status TopicTest -b "unix:$SOCK" --json
  assert_status 0
  assert_contains '"queueId":0,"minOffset":0,"maxOffset":3,'
}

@test "offsets: show and reset to earliest, latest and a time" {
  start_broker
  "$RMQ" topic create TopicTest -b "unix:$SOCK" -r 2 -w 2
  run "$RMQ" produce -b "unix:$SOCK" TopicTest a b c
  assert_status 0
  run "$RMQ" offsets show -g G -b "unix:$SOCK"
  assert_status 1
  assert_contains "rmq offsets: group 'G' has no committed offsets"
  run "$RMQ" consume -b "unix:$SOCK" -g G TopicTest --exit-at-end
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
  run "$RMQ" offsets show -g G -b "unix:$SOCK"
  assert_status 0
  [[ "${lines[0]}" == "#Topic"*"#Broker Name"*"#QID"*"#Broker Offset"*"#Consumer Offset"*"#Diff"*"#LastTime" ]]
  [ "$(grep -c '^TopicTest ' <<<"$output")" -eq 2 ]
  assert_contains "Diff Total: 0"
  run "$RMQ" offsets show -g G TopicTest -b "127.0.0.1:$PORT" --json
  assert_status 0
  assert_contains '"queueId":0,'
  assert_contains '"diff":0,'
  total=$("$RMQ" offsets show -g G TopicTest -b "unix:$SOCK" | awk '$1=="TopicTest" {s+=$4} END {print s}')
  [ "$total" -eq 3 ]

  run "$RMQ" offsets reset -g G TopicTest --to earliest -b "unix:$SOCK"
  assert_status 0
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" =~ ^TopicTest\ queue\ 0:\ [0-9]+\ -\>\ 0$ ]]
  [[ "${lines[1]}" =~ ^TopicTest\ queue\ 1:\ [0-9]+\ -\>\ 0$ ]]
  run "$RMQ" offsets show -g G TopicTest -b "unix:$SOCK"
  assert_contains "Diff Total: 3"
  run "$RMQ" consume -b "unix:$SOCK" -g G TopicTest --exit-at-end
  [ "${#lines[@]}" -eq 3 ]

  run "$RMQ" offsets reset -g G TopicTest --to 2000-01-01T00:00:00Z -b "unix:$SOCK"
  assert_status 0
  assert_contains "-> 0"
  run "$RMQ" offsets reset -g G TopicTest --to latest -b "unix:$SOCK" --json
  assert_status 0
  assert_contains '"oldOffset":0,'
  run "$RMQ" offsets show -g G TopicTest -b "unix:$SOCK"
  assert_contains "Diff Total: 0"
  future=$(( ($(date +%s) + 3600) * 1000 ))
  run "$RMQ" offsets reset -g G TopicTest --to "$future" -b "unix:$SOCK"
  assert_status 0
  run "$RMQ" offsets show -g G TopicTest -b "unix:$SOCK"
  assert_contains "Diff Total: 0"
}

@test "offsets: usage errors exit 2" {
  run "$RMQ" offsets show
  assert_status 2
  assert_contains "missing -g GROUP"
  run "$RMQ" offsets reset -g G TopicTest
  assert_status 2
  run "$RMQ" offsets reset -g G TopicTest --to yesterday
  assert_status 2
  assert_contains "rmq offsets: --to yesterday"
  run "$RMQ" offsets reset -g G --to latest
  assert_status 2
  run "$RMQ" offsets list -g G
  assert_status 2
  run "$RMQ" offsets -h
  assert_status 0
  [[ "${lines[0]}" == "usage: rmq offsets"* ]]
  run "$RMQ" offsets show -g G -b "unix:$T/none.sock"
  assert_status 1
  assert_contains "rmq offsets: "
}

@test "shutdown broker: stops it cleanly, then reports it unreachable" {
  start_broker
  [ -e "$T/store/abort" ]
  run "$RMQ" shutdown broker -b "unix:$SOCK"
  assert_status 0
  assert_contains "shutdown broker unix:$SOCK success."
  for _ in $(seq 100); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$BPID" 2>/dev/null; then echo "broker $BPID still running" >&2; return 1; fi
  [ ! -e "$T/store/abort" ]
  run "$RMQ" shutdown broker -b "unix:$SOCK"
  assert_status 1
  assert_contains "rmq shutdown: cannot reach the broker"

  start_broker
  [ -e "$T/store/abort" ]
  run "$RMQ" shutdown broker -b "127.0.0.1:$PORT"
  assert_status 0
  for _ in $(seq 100); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$BPID" 2>/dev/null; then echo "broker $BPID still running" >&2; return 1; fi
  [ ! -e "$T/store/abort" ]
  run "$RMQ" shutdown broker -b "127.0.0.1:$PORT"
  assert_status 1
}

@test "shutdown: usage errors exit 2" {
  run "$RMQ" shutdown
  assert_status 2
  run "$RMQ" shutdown frobnicate
  assert_status 2
  run "$RMQ" shutdown broker extra
  assert_status 2
  run "$RMQ" shutdown -h
  assert_status 0
  [[ "${lines[0]}" == "usage: rmq shutdown"* ]]
}
