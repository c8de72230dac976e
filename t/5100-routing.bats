#!/usr/bin/env bats
# Clients routing through name servers (issue 4 item 3): a name server and broker-a and
# broker-b; producers spread over every queue of both, go on on broker-b when broker-a dies,
# consumers read and commit per broker; rmq cluster list / topic route|status / offsets
# show across brokers; errors that name the failing step.
load test_helper

# two_brokers: a name server and broker-a, broker-b registered with it; topic TopicTest with
# 4 queues on each (8 in all, the tutorial's layout)
two_brokers() {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"; APID=$BPID; ATCP=$TCP; APORT=$PORT
  start_named_broker broker-b "namesrvAddr=$NSADDR"; BBPID=$BPID; BTCP=$TCP; BPORT=$PORT
  "$RMQ" topic create TopicTest -b "$ATCP" -r 4 -w 4 >/dev/null
  "$RMQ" topic create TopicTest -b "$BTCP" -r 4 -w 4 >/dev/null
  wait_for routed_on 2 TopicTest
}

@test "routing: 1,000 messages spread 125 per queue over broker-a and broker-b, all consumed once" {
  two_brokers
  seq 1000 >"$T/in"
  run "$RMQ" produce -n "$NSADDR" --json TopicTest <"$T/in"
  assert_status 0
  echo "$output" >"$T/acks"
  [ "$(grep -c '"status":"SEND_OK"' "$T/acks")" -eq 1000 ]
  grep -o '"brokerName":"[^"]*","queueId":[0-9]*' "$T/acks" | sort | uniq -c >"$T/spread"
  cat "$T/spread"
  [ "$(wc -l <"$T/spread")" -eq 8 ]
  for b in broker-a broker-b; do for q in 0 1 2 3; do
    grep -q "^ *125 \"brokerName\":\"$b\",\"queueId\":$q\$" "$T/spread"
  done; done
  # the brokers agree: 125 in every queue
  run "$RMQ" topic status -n "$NSADDR" TopicTest
  assert_status 0
  [ "${lines[0]}" = "#Broker Name                      #QID  #Min Offset           #Max Offset             #Last Updated" ]
  [ "${#lines[@]}" -eq 9 ]
  for i in 1 2 3 4 5 6 7 8; do
    b=broker-a; [ "$i" -gt 4 ] && b=broker-b
    read -r name qid min max _ <<<"${lines[$i]}"
    [ "$name" = "$b" ] && [ "$qid" -eq $(((i - 1) % 4)) ] && [ "$min" -eq 0 ] && [ "$max" -eq 125 ]
  done
  # one consumer reads all 8 queues of both brokers
  "$RMQ" consume -n "$NSADDR" -g g1 -e --format '%b\n' TopicTest >"$T/out"
  sort -n "$T/out" | diff - "$T/in"
  # and committed to each queue's broker: nothing left, 125 per queue
  run "$RMQ" offsets show -n "$NSADDR" -g g1 TopicTest
  assert_status 0
  [ "$(echo "$output" | grep -cE '^TopicTest +broker-[ab] +[0-3] +125 +125 +0 ')" -eq 8 ]
  assert_contains "Diff Total: 0"
  run "$RMQ" offsets show -n "$NSADDR" -g g1 --json
  assert_status 0
  [ "$(echo "$output" | grep -o '"diff":0' | wc -l)" -eq 8 ]
  "$RMQ" consume -n "$NSADDR" -g g1 -e TopicTest >"$T/again"
  [ ! -s "$T/again" ]
}

@test "routing: lag per queue and in total before consuming" {
  two_brokers
  seq 80 | "$RMQ" produce -n "$NSADDR" TopicTest
  "$RMQ" consume -n "$NSADDR" -g lagging -e -c 1 TopicTest >/dev/null
  run "$RMQ" offsets show -n "$NSADDR" -g lagging TopicTest
  assert_status 0
  # every queue got 10; one message was consumed and committed somewhere
  [ "$(echo "$output" | grep -cE '^TopicTest +broker-[ab] ')" -eq 8 ]
  assert_contains "Diff Total: 79"
}

@test "routing: kill -9 of broker-a while producing: sends go on on broker-b, nothing acknowledged is lost" {
  two_brokers
  # a steady stream: ~6,000 lines over several seconds
  mkfifo "$T/pipe"
  (for i in $(seq 6000); do echo "m$i"; [ $((i % 50)) -eq 0 ] && sleep 0.05; done) >"$T/pipe" &
  "$RMQ" produce -n "$NSADDR" --json TopicTest <"$T/pipe" >"$T/acks" 2>"$T/perr" &
  PP=$!
  RMQ_PIDS+=("$PP")
  wait_for grep -q '"brokerName":"broker-a"' "$T/acks"
  wait_for grep -q '"brokerName":"broker-b"' "$T/acks"
  kill -9 "$APID"
  killed_at=$(wc -l <"$T/acks")
  t0=$(date +%s%N)
  # broker-b keeps taking messages: 200 more acknowledgements after the kill
  for _ in $(seq 300); do [ "$(wc -l <"$T/acks")" -ge $((killed_at + 200)) ] && break; sleep 0.1; done
  t1=$(date +%s%N)
  echo "# 200 acknowledgements after kill -9 of broker-a took $(((t1 - t0) / 1000000)) ms" >&3
  [ "$(wc -l <"$T/acks")" -ge $((killed_at + 200)) ]
  wait "$PP" || true
  cat "$T/perr" >&2
  tail -n +$((killed_at + 1)) "$T/acks" | grep -q '"brokerName":"broker-b"'
  grep '"status":"SEND_OK"' "$T/acks" | sed 's/.*"msgId":"\([0-9A-F]*\)".*/\1/' | sort >"$T/acked"
  [ "$(wc -l <"$T/acked")" -gt 5000 ]
  # broker-a back (same store, same port): every acknowledged message is there to consume
  "$RMQ" broker -c "$T/broker-a.conf" >"$T/broker-a.log" 2>&1 &
  RMQ_PIDS+=("$!")
  wait_for grep -q " ready on " "$T/broker-a.log"
  wait_for routed_on 2 TopicTest
  "$RMQ" consume -n "$NSADDR" -g after -e --format '%i\n' TopicTest | sort >"$T/got"
  comm -23 "$T/acked" "$T/got" >"$T/lost"
  [ ! -s "$T/lost" ] || { echo "lost $(wc -l <"$T/lost") acknowledged messages" >&2; return 1; }
}

@test "routing: a topic unknown to the name servers is auto-created through TBW102's route" {
  two_brokers
  run "$RMQ" produce -n "$NSADDR" --json NewTopic one two three four
  assert_status 0
  [ "$(echo "$output" | grep -c SEND_OK)" -eq 4 ]
  # as in RocketMQ, the topic is made on the brokers that got one of the messages (one or
  # both, depending on where the round robin started)
  made_on=$(grep -o '"brokerName":"[^"]*"' <<<"$output" | sort -u | wc -l)
  # soon, not at the brokers' next registration tick (30 s): a broker tells the name
  # servers about a topic it auto-creates as it answers the send
  wait_for routed_on "$made_on" NewTopic
  run "$RMQ" consume -n "$NSADDR" -g g -e NewTopic
  assert_status 0
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "four one three two " ]
}

@test "routing: rmq cluster list shows both brokers in mqadmin clusterList's columns" {
  two_brokers
  run "$RMQ" cluster list -n "$NSADDR"
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
  [ "${lines[0]}" = "#Cluster Name           #Broker Name            #BID  #Addr                  #Version              #InTPS(LOAD)                   #OutTPS(LOAD)  #Timer(Progress)        #PCWait(ms)  #Hour         #SPACE    #ACTIVATED" ]
  for i in 1 2; do
    b=broker-a addr=$ATCP; [ "$i" -eq 2 ] && b=broker-b addr=$BTCP
    line=${lines[$i]}
    # fixed-width columns, as the 5.x format lays them out
    [ "${line:0:22}" = "$(printf '%-22s' DefaultCluster)" ]
    [ "${line:24:22}" = "$(printf '%-22s' $b)" ]
    [ "${line:48:4}" = "0   " ]
    [ "${line:54:22}" = "$(printf '%-22s' "$addr")" ]
    read -r -a f <<<"$line"
    [ "${f[4]}" = "V4_9_8" ]
    [[ "${f[5]}" =~ ^[0-9]+\.[0-9]{2}\([0-9]+,[0-9]+ms\)$ ]]
    [[ "${f[6]}" =~ ^[0-9]+\.[0-9]{2}\([0-9]+,[0-9]+ms\|[0-9N]+,[0-9N]+ms\)$ ]]
    [ "${f[-1]}" = "true" ]
  done
  run "$RMQ" cluster list -n "$NSADDR" --json
  assert_status 0
  assert_contains '"brokerName":"broker-a"'
  assert_contains "\"addr\":\"$BTCP\""
  assert_contains '"brokerVersionDesc":"V4_9_8"'
  run "$RMQ" cluster list -n "$NSADDR" -c NoSuchCluster
  assert_status 0
  [ "${#lines[@]}" -eq 1 ]
}

@test "routing: rmq topic route shows queues per broker with perms; list comes from the name server" {
  two_brokers
  "$RMQ" topic update TopicTest -b "$BTCP" -r 2 -w 2 -p 4 >/dev/null
  wait_for routed_on 1 TopicTest
  run "$RMQ" topic route -n "$NSADDR" TopicTest
  assert_status 0
  [ "${lines[0]}" = "#Cluster Name           #Broker Name            #Master Addr            #Read  #Write  #Perm" ]
  [ "${lines[1]}" = "$(printf '%-22s  %-22s  %-22s  %-5d  %-6d  %s' DefaultCluster broker-a "$ATCP" 4 4 RW-)" ]
  [ "${lines[2]}" = "$(printf '%-22s  %-22s  %-22s  %-5d  %-6d  %s' DefaultCluster broker-b "$BTCP" 2 2 R--)" ]
  run "$RMQ" topic route -n "$NSADDR" TopicTest --json
  assert_status 0
  assert_contains "\"brokerAddrs\":{\"0\":\"$ATCP\"}"
  assert_contains '{"brokerName":"broker-b","perm":4,"readQueueNums":2,"topicSysFlag":0,"writeQueueNums":2}'
  # a read-only broker takes no sends
  run "$RMQ" produce -n "$NSADDR" --json TopicTest 1 2 3 4 5 6 7 8
  assert_status 0
  [ "$(echo "$output" | grep -c '"brokerName":"broker-a"')" -eq 8 ]
  run "$RMQ" topic list -n "$NSADDR"
  assert_status 0
  assert_contains "TopicTest"
  assert_contains "TBW102"
  # create through the name servers: on every master
  run "$RMQ" topic create Both -n "$NSADDR" -r 3 -w 3
  assert_status 0
  assert_contains "create topic to $ATCP success."
  assert_contains "create topic to $BTCP success."
  wait_for routed_on 2 Both
}

@test "routing: no name server reachable, unknown topics and no writable queue are named" {
  run "$RMQ" produce -n "127.0.0.1:1;unix:$T/none.sock" TopicTest hello
  assert_status 1
  assert_contains "no name server reachable (tried 127.0.0.1:1: "
  assert_contains "unix:$T/none.sock: "
  run "$RMQ" consume -n 127.0.0.1:1 -g g -e TopicTest
  assert_status 1
  assert_contains "rmq consume: no name server reachable (tried 127.0.0.1:1"
  run "$RMQ" cluster list -n 127.0.0.1:1
  assert_status 1
  assert_contains "no name server reachable"
  NAMESRV_ADDR=127.0.0.1:1 run "$RMQ" topic route TopicTest
  assert_status 1
  assert_contains "no name server reachable (tried 127.0.0.1:1"
  run "$RMQ" produce -n 127.0.0.1:1 -b 127.0.0.1:2 T x
  assert_status 2
  two_brokers
  run "$RMQ" consume -n "$NSADDR" -g g -e NoSuchTopic
  assert_status 1
  assert_contains "topic 'NoSuchTopic' unknown to the name servers ($NSADDR)"
  run "$RMQ" topic route -n "$NSADDR" NoSuchTopic
  assert_status 1
  assert_contains "topic 'NoSuchTopic' unknown to the name servers"
  "$RMQ" topic update TopicTest -b "$ATCP" -p 4 >/dev/null
  "$RMQ" topic update TopicTest -b "$BTCP" -p 4 >/dev/null
  wait_for routed_on 0 TopicTest
  run "$RMQ" produce -n "$NSADDR" TopicTest x
  assert_status 1
  assert_contains "topic 'TopicTest' has no writable queue ("
  assert_contains "broker-a R--, 8/8 queues"
  assert_contains "broker-b R--, 8/8 queues"
}

@test "routing: a broker's refusal names the broker, its code and remark" {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"
  "$RMQ" topic create Small -b "$TCP" -r 1 -w 1 >/dev/null
  wait_for routed_on 1 Small
  head -c 5000000 /dev/urandom | base64 -w0 >"$T/big"
  run "$RMQ" produce -n "$NSADDR" --whole Small <"$T/big"
  assert_status 1
  assert_contains "broker broker-a refused: MESSAGE_ILLEGAL"
}
