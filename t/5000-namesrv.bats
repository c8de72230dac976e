#!/usr/bin/env bats
# rmq namesrv and the brokers' registration with it (PROTOCOL §2.11, §3.1–§3.4): routes and
# cluster info over two brokers, liveness (connection close, unregister), several name
# servers, bad input.
load test_helper

# route TOPIC [NSADDR]: the route body of TOPIC as the name server at NSADDR answers it
route() {
  "$TT" request "${2:-$NSADDR}" 105 "topic=$1" --show-body >"$T/route.out" 2>&1 || return 1
  sed -n 's/^body=//p' "$T/route.out"
}

route_has() { route "$1" "${3:-$NSADDR}" | grep -q "$2"; }
route_lacks() { ! route "$1" "${3:-$NSADDR}" | grep -q "$2"; }

@test "namesrv: -p prints the effective config; bad options are usage errors" {
  run "$RMQ" namesrv -p -o listenPort=1234
  assert_status 0
  assert_contains "listenPort=1234"
  assert_contains "scanNotActiveBrokerInterval=5000"
  run "$RMQ" namesrv -p
  assert_contains "listenPort=9876"
  run "$RMQ" namesrv extra
  assert_status 2
}

@test "namesrv: two brokers of one cluster register; a topic on both routes to both, with Java's keys" {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"; A=$BPID; ATCP=$TCP
  start_named_broker broker-b "namesrvAddr=$NSADDR"; B=$BPID; BTCP=$TCP
  run "$RMQ" topic create RouteTopic -b "$ATCP" -r 4 -w 4
  assert_status 0
  run "$RMQ" topic create RouteTopic -b "$BTCP" -r 8 -w 8
  assert_status 0
  # registration follows the topic change (not the 30 s period)
  wait_for route_has RouteTopic broker-b
  wait_for route_has RouteTopic broker-a
  body=$(route RouteTopic)
  echo "$body" | jq -e '.queueDatas | length == 2'
  echo "$body" | jq -e '.brokerDatas | length == 2'
  echo "$body" | jq -e '[.queueDatas[] | select(.brokerName == "broker-a")][0] | .readQueueNums == 4 and .writeQueueNums == 4 and .perm == 6 and .topicSysFlag == 0'
  echo "$body" | jq -e '[.queueDatas[] | select(.brokerName == "broker-b")][0].writeQueueNums == 8'
  echo "$body" | jq -e --arg a "$ATCP" '[.brokerDatas[] | select(.brokerName == "broker-a")][0] | .brokerAddrs["0"] == $a and .cluster == "DefaultCluster"'
  echo "$body" | jq -e '.filterServerTable == {}'
  # compact, brokerAddrs keyed by quoted ids for a 4.9.8 client
  [[ "$body" == *'"brokerAddrs":{"0":"127.0.0.1:'* ]]
  [[ "$body" != *" "* ]]
  # TBW102 is routable (autoCreateTopicEnable) and an unknown topic is TOPIC_NOT_EXIST
  route TBW102 | jq -e '.queueDatas[0].perm == 7'
  run "$TT" request "$NSADDR" 105 topic=NoSuchTopic
  assert_contains "code=17"
  assert_contains "No topic route info in name server for the topic: NoSuchTopic"
  # cluster info lists both brokers in DefaultCluster
  run "$TT" request "$NSADDR" 106 --show-body
  assert_status 0
  ci=$(sed -n 's/^body=//p' <<<"$output")
  echo "$ci" | jq -e '.clusterAddrTable.DefaultCluster == ["broker-a","broker-b"]'
  echo "$ci" | jq -e --arg b "$BTCP" '.brokerAddrTable["broker-b"].brokerAddrs["0"] == $b'
  # topic lists: all, and by cluster
  run "$TT" request "$NSADDR" 206 --show-body
  assert_contains '"RouteTopic"'
  run "$TT" request "$NSADDR" 224 cluster=DefaultCluster --show-body
  assert_contains '"RouteTopic"'
  run "$TT" request "$NSADDR" 224 cluster=Other --show-body
  assert_contains 'body={"topicList":[]}'
  # a deleted topic leaves the name server's route with DELETE_TOPIC_IN_NAMESRV
  run "$TT" request "$NSADDR" 216 topic=RouteTopic
  assert_contains "code=0"
  run "$TT" request "$NSADDR" 105 topic=RouteTopic
  assert_contains "code=17"
}

@test "namesrv: kill -9 of a broker drops it at once; a clean stop unregisters" {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"; A=$BPID
  start_named_broker broker-b "namesrvAddr=$NSADDR"; B=$BPID
  wait_for route_has TBW102 broker-b
  route_has TBW102 broker-a
  kill -9 "$A"
  wait "$A" 2>/dev/null || true
  # the registering connection closed: gone well before the 120 s expiry
  wait_for route_lacks TBW102 broker-a
  grep -q "broker 'broker-a' id 0 at .* removed: its connection closed" "$NSLOG"
  route_has TBW102 broker-b
  BPID=$B
  stop_broker
  grep -q "unregistered from name server $NSADDR" "$T/broker-b.log"
  grep -q "broker 'broker-b' id 0 at .* removed: unregistered" "$NSLOG"
  run "$TT" request "$NSADDR" 105 topic=TBW102
  assert_contains "code=17"
}

@test "namesrv: a broker registers with 3 name servers and stays routable with 2 of them down" {
  start_namesrv; N1=$NSPID; A1=$NSADDR
  start_namesrv; N2=$NSPID; A2=$NSADDR
  start_namesrv; N3=$NSPID; A3=$NSADDR
  start_named_broker broker-a "namesrvAddr=$A1;$A2;$A3"
  for a in "$A1" "$A2" "$A3"; do wait_for route_has TBW102 broker-a "$a"; done
  stop_namesrv "$N1"
  kill -9 "$N2"
  route_has TBW102 broker-a "$A3"
  # the broker carries on: a topic created now reaches the name server still up
  run "$RMQ" topic create LateTopic -b "$TCP"
  assert_status 0
  wait_for route_has LateTopic broker-a "$A3"
  grep -q "cannot register with name server" "$T/broker-a.log"
  # and it still stops cleanly (unregistering from the one that answers)
  stop_broker
  grep -q "unregistered from name server $A3" "$T/broker-a.log"
}

@test "namesrv: a name server that is down does not hurt the broker (logged, retried)" {
  start_namesrv; stop_namesrv
  dead=$NSADDR
  start_named_broker broker-a "namesrvAddr=$dead" "registerNameServerPeriod=10000"
  grep -q "broker-a of DefaultCluster ready" "$T/broker-a.log"
  wait_for grep -q "cannot register with name server $dead" "$T/broker-a.log"
  # the broker serves regardless
  run "$RMQ" topic list -b "$TCP"
  assert_status 0
  assert_contains "TBW102"
}

@test "namesrv: bad frames, unknown codes and bad registrations are answered, never crash it" {
  start_namesrv
  run "$TT" request "$NSADDR" 9999
  assert_contains "code=3"
  assert_contains "not supported by the name server"
  run "$TT" request "$NSADDR" 10
  assert_contains "code=3"
  assert_contains "SEND_MESSAGE"
  run "$TT" request "$NSADDR" 103 brokerName=x
  assert_contains "code=1"
  assert_contains "brokerAddr"
  run "$TT" request "$NSADDR" 103 brokerName=x brokerAddr=h:1 clusterName=c brokerId=0 --body '{"topicConfigSerializeWrapper":'
  assert_contains "code=1"
  assert_contains "register broker failed"
  run "$TT" request "$NSADDR" 103 brokerName=x brokerAddr=h:1 clusterName=c brokerId=0 bodyCrc32=12345 --body '{}'
  assert_contains "crc32 not match"
  run "$TT" request "$NSADDR" 103 brokerName=x brokerAddr=h:1 clusterName=c brokerId=zz --body '{}'
  assert_contains "code=1"
  run "$TT" request "$NSADDR" 101 namespace=ORDER_TOPIC_CONFIG key=T
  assert_contains "code=22"
  run "$TT" request "$NSADDR" 219 namespace=ORDER_TOPIC_CONFIG
  assert_contains "code=22"
  run "$TT" request "$NSADDR" 105
  assert_contains "code=1"
  # a frame with a broken length closes that connection only
  run "$TT" raw "$NSADDR" 0000000500000000ff
  assert_contains "closed"
  run "$TT" raw "$NSADDR" 7fffffff00000000
  assert_contains "closed"
  run "$TT" request "unix:$NSSOCK" 106 --show-body
  assert_status 0
  assert_contains 'body={"brokerAddrTable":{},"clusterAddrTable":{}}'
  kill -0 "$NSPID"
}

@test "namesrv: rmq shutdown namesrv stops it" {
  start_namesrv
  run "$RMQ" shutdown namesrv -n "$NSADDR"
  assert_status 0
  assert_contains "shutdown namesrv 127.0.0.1:$NSPORT success."
  for _ in $(seq 100); do kill -0 "$NSPID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$NSPID" 2>/dev/null; then return 1; fi
  grep -q "namesrv: shutdown requested" "$NSLOG"
  run "$RMQ" shutdown namesrv -n "$NSADDR"
  assert_status 1
}

@test "standalone: a name server and a broker in one process; the broker registers; SIGTERM stops both" {
  NSP=$((20000 + RANDOM % 20000)); BP=$((NSP + 1))
  "$RMQ" standalone -d "$T/sa" -P "$NSP" -o listenPort="$BP" -o brokerIP1=127.0.0.1 >"$T/sa.out" 2>"$T/sa.log" &
  SPID=$!
  RMQ_PIDS+=("$SPID")
  wait_for grep -q "registered with name server unix:$T/sa/namesrv.sock" "$T/sa.log"
  grep -q "echo hi | rmq produce TopicTest" "$T/sa.out"
  grep -q "rmq cluster list" "$T/sa.out"
  [ -S "$T/sa/rmq.sock" ] && [ -S "$T/sa/namesrv.sock" ]
  route TBW102 "127.0.0.1:$NSP" | jq -e --arg a "127.0.0.1:$BP" '.brokerDatas[0].brokerAddrs["0"] == $a'
  echo hi | "$RMQ" produce -b "unix:$T/sa/rmq.sock" TopicTest
  wait_for route_has TopicTest broker-a "unix:$T/sa/namesrv.sock"
  kill -TERM "$SPID"
  for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SPID" 2>/dev/null; then return 1; fi
  wait "$SPID"
  grep -q "unregistered from name server" "$T/sa.log"
  [ ! -e "$T/sa/abort" ] && [ ! -e "$T/sa/namesrv.sock" ]
  run "$RMQ" standalone -d "$T/sa" -P notaport
  assert_status 2
}
