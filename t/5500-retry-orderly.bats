#!/usr/bin/env bats
# rmq consume --exec (send-back, the retry topic, the DLQ) and --orderly (queue locks),
# against a broker of their own whose delay levels are all 1 s.
load test_helper

LEVELS="messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"

# consume_bg OUT ARGS...: rmq consume in the background (pid in CPID), stdout to OUT
consume_bg() {
  local out=$1
  shift
  "$RMQ" consume -b "$UNIX" "$@" >"$out" 2>>"$T/consume.err" &
  CPID=$!
  RMQ_PIDS+=("$CPID")
}

# wait_lines FILE N: up to 30 s for FILE to have N lines
wait_lines() {
  for _ in $(seq 300); do
    [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "only $(wc -l <"$1" 2>/dev/null) of $2 lines in $1" >&2
  cat "$1" "$T/consume.err" >&2
  return 1
}

stop_pid() {
  kill -TERM "$1"
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
  echo "pid $1 did not stop" >&2
  ps -o pid,etime,time,stat,wchan,cmd -p "$1" >&2
  tail -20 "$T/consume.err" >&2
  return 1
}

@test "exec: a failed first delivery is sent back and processed again once, with RMQ_RECONSUME_TIMES=1" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicX -b "$UNIX" -r 2 -w 2
  for i in 1 2 3 4; do "$RMQ" produce -b "$UNIX" --tag T TopicX "m$i" >/dev/null; done
  cat >"$T/handler.sh" <<EOS
body=\$(cat)
echo "\$body \$RMQ_TOPIC \$RMQ_RECONSUME_TIMES \$RMQ_TAGS" >>"$T/seen"
[ "\$RMQ_RECONSUME_TIMES" -ge 1 ]
EOS
  consume_bg "$T/out" -g gX --exec "sh $T/handler.sh" TopicX
  wait_lines "$T/seen" 8
  sleep 1.5   # nothing more may come
  stop_pid "$CPID"
  # every message twice: first failing (0), then once more (1), under its own topic
  for i in 1 2 3 4; do
    [ "$(grep -c "^m$i TopicX 0 T\$" "$T/seen")" = 1 ]
    [ "$(grep -c "^m$i TopicX 1 T\$" "$T/seen")" = 1 ]
  done
  [ "$(wc -l <"$T/seen")" = 8 ]
  [ ! -s "$T/out" ]   # --exec prints nothing itself
  # the retry topic's copies were consumed and committed: a new run gets nothing
  run "$RMQ" offsets show -b "$UNIX" -g gX --json
  assert_contains '%RETRY%gX'
  : >"$T/seen"
  consume_bg "$T/out2" -g gX --exec "cat >>$T/seen" TopicX
  sleep 2
  stop_pid "$CPID"
  [ ! -s "$T/seen" ]
}

@test "exec: a message that always fails lands in %DLQ%GROUP after --max-reconsume-times" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicY -b "$UNIX" -r 1 -w 1
  "$RMQ" produce -b "$UNIX" --key k1 TopicY doomed >/dev/null
  consume_bg "$T/out" -g gY --max-reconsume-times 2 --exec "echo \$RMQ_RECONSUME_TIMES >>$T/tries; exit 3" TopicY
  for _ in $(seq 300); do
    "$RMQ" consume -b "$UNIX" -g dlqreader -e --json '%DLQ%gY' >"$T/dlq" 2>/dev/null || true
    [ -s "$T/dlq" ] && break
    sleep 0.1
  done
  stop_pid "$CPID"
  grep -q '"body":"doomed"' "$T/dlq"
  grep -q '"RETRY_TOPIC":"TopicY"' "$T/dlq"
  # delivered 1 + 2 times, then dead
  [ "$(cat "$T/tries" | tr '\n' ' ')" = "0 1 2 " ]
}

@test "exec: without --exec, retried messages arrive under their original topic" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicZ -b "$UNIX" -r 1 -w 1
  "$RMQ" produce -b "$UNIX" TopicZ again >/dev/null
  # one member fails it ...
  run "$RMQ" consume -b "$UNIX" -g gZ -c 1 --exec "exit 1" TopicZ
  assert_status 0
  # ... and the next member of the group gets it from %RETRY%gZ
  run timeout 20 "$RMQ" consume -b "$UNIX" -g gZ -c 1 -f '%t %b\n' TopicZ
  assert_status 0
  [ "$output" = "TopicZ again" ]
}

@test "orderly: two members never hold one queue; each queue is consumed in offset order" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicO -b "$UNIX" -r 4 -w 4
  for i in $(seq 1 40); do "$RMQ" produce -b "$UNIX" TopicO "m$i" >/dev/null; done
  export RMQ_REBALANCE_INTERVAL_MS=1000
  consume_bg "$T/o1" -g gO --orderly -v -f '%q %o\n' TopicO
  P1=$CPID
  wait_lines "$T/o1" 40
  consume_bg "$T/o2" -g gO --orderly -v -f '%q %o\n' TopicO
  P2=$CPID
  # both members hold their share (-v says so once taken under its lock) ...
  for _ in $(seq 300); do
    if [ "$(grep -c 'consuming 2 queue' "$T/consume.err")" -ge 2 ]; then break; fi
    sleep 0.1
  done
  # ... so every queue's lock is refused to anyone else
  held=0
  for q in 0 1 2 3; do
    body='{"consumerGroup":"gO","clientId":"stranger@1","onlyThisBroker":false,"mqSet":[{"brokerName":"broker-a","queueId":'$q',"topic":"TopicO"}]}'
    out=$("$TT" request "$UNIX" 41 --show-body --body "$body")
    case $out in *'"queueId":'*) echo "queue $q was free: $out" >&2 ;; *) held=$((held + 1)) ;; esac
  done
  [ "$held" = 4 ]
  for i in $(seq 41 80); do "$RMQ" produce -b "$UNIX" TopicO "m$i" >/dev/null; done
  for _ in $(seq 300); do
    if [ "$(cat "$T/o1" "$T/o2" | wc -l)" -ge 80 ]; then break; fi
    sleep 0.1
  done
  stop_pid "$P2"
  stop_pid "$P1"
  cat "$T/o1" "$T/o2" | sort -u | wc -l | grep -qx 80
  # per member and queue, offsets strictly increase
  for f in "$T/o1" "$T/o2"; do
    awk '{ if ($1 in last && $2 <= last[$1]) { print "out of order: " $0; exit 1 } last[$1] = $2 }' "$f"
  done
  # after both left, the locks are free again
  body='{"consumerGroup":"gO","clientId":"stranger@1","onlyThisBroker":false,"mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicO"}]}'
  run "$TT" request "$UNIX" 41 --show-body --body "$body"
  assert_contains '"queueId":0'
}

@test "orderly exec: a failing message is retried in place, later ones wait, then it goes to the DLQ" {
  start_broker "$LEVELS"
  run "$RMQ" topic create TopicP -b "$UNIX" -r 1 -w 1
  for b in a bad c; do "$RMQ" produce -b "$UNIX" TopicP "$b" >/dev/null; done
  cat >"$T/h.sh" <<EOS
body=\$(cat)
echo "\$body \$RMQ_RECONSUME_TIMES" >>"$T/seen"
[ "\$body" != bad ]
EOS
  consume_bg "$T/out" -g gP --orderly --max-reconsume-times 2 --exec "sh $T/h.sh" TopicP
  wait_lines "$T/seen" 5
  stop_pid "$CPID"
  [ "$(tr '\n' ' ' <"$T/seen")" = "a 0 bad 0 bad 1 bad 2 c 0 " ]
  run "$RMQ" consume -b "$UNIX" -g dlqreader -e '%DLQ%gP'
  [ "$output" = bad ]
}
