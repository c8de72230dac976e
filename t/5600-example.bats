#!/usr/bin/env bats
# rmq example producer|consumer: the tutorial's quick-start Producer and Consumer (issue 5
# item 5, PROTOCOL §11.2) against a name server and a broker, as the tutorial runs them:
# NAMESRV_ADDR exported, TopicTest not created beforehand (the broker auto-creates it).
load test_helper

SENDRESULT='^SendResult \[sendStatus=SEND_OK, msgId=[0-9A-F]{32}, offsetMsgId=[0-9A-F]{32}, messageQueue=MessageQueue \[topic=TopicTest, brokerName=broker-a, queueId=[0-3]\], queueOffset=[0-9]+\]$'
RECEIVE='^ConsumeMessageThread_please_rename_unique_group_name_4_([0-9]+) Receive New Messages: \[MessageExt \[brokerName=broker-a, queueId=[0-3], storeSize=[0-9]+, queueOffset=[0-9]+, sysFlag=0, bornTimestamp=[0-9]+, bornHost=/127\.0\.0\.1:[0-9]+, storeTimestamp=[0-9]+, storeHost=/127\.0\.0\.1:[0-9]+, msgId=[0-9A-F]{32}, commitLogOffset=[0-9]+, bodyCRC=-?[0-9]+, reconsumeTimes=0, preparedTransactionOffset=0, toString\(\)=Message\{topic='"'"'TopicTest'"'"', flag=0, properties=\{[^}]*\}, body=\[[-0-9, ]*\], transactionId='"'"'null'"'"'\}\]\] $'

# tutorial: a name server, broker-a registered with it, NAMESRV_ADDR exported
tutorial() {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"
  export NAMESRV_ADDR=$NSADDR
}

# decode FILE: the bodies of the Receive lines, as text, one a line (Java prints signed bytes)
decode() {
  sed -n 's/.*, body=\[\([-0-9, ]*\)\], transactionId=.*/\1/p' "$1" |
    while IFS= read -r bytes; do
      out=
      IFS=', ' read -r -a b <<<"$bytes"
      for x in "${b[@]}"; do out+=$(printf "\\$(printf '%03o' $(((x + 256) % 256)))"); done
      printf '%s\n' "$out"
    done
}

@test "example producer: 1,000 SendResult lines in RocketMQ's format, queue ids rotating" {
  tutorial
  "$RMQ" example producer >"$T/out" 2>"$T/err"
  [ ! -s "$T/err" ] || { cat "$T/err" >&2; return 1; }
  [ "$(wc -l <"$T/out")" -eq 1000 ]
  [ "$(grep -cE "$SENDRESULT" "$T/out")" -eq 1000 ] || { grep -vE "$SENDRESULT" "$T/out" | head -3 >&2; return 1; }
  # successive sends rotate over the 4 queues (a send retried under load may shift the
  # rotation: each queue gets about a quarter, never the same queue many times in a row)
  sed -E 's/.*queueId=([0-9]+).*/\1/' "$T/out" >"$T/qids"
  for q in 0 1 2 3; do
    n=$(grep -cx "$q" "$T/qids")
    [ "$n" -ge 200 ] || { echo "queue $q got $n of 1000; stderr:" >&2; cat "$T/err" >&2; return 1; }
  done
  [ "$(uniq "$T/qids" | wc -l)" -ge 990 ] || { uniq -c "$T/qids" | sort -rn | head -5 >&2; return 1; }
  # per queue, offsets 0..n-1 in order; unique msgIds and offsetMsgIds
  for q in 0 1 2 3; do
    n=$(grep -cx "$q" "$T/qids")
    grep "queueId=$q\]" "$T/out" | sed -E 's/.*queueOffset=([0-9]+)\]$/\1/' | diff - <(seq 0 $((n - 1)))
  done
  [ "$(grep -oE ' msgId=[0-9A-F]+' "$T/out" | sort -u | wc -l)" -eq 1000 ]
  [ "$(grep -oE 'offsetMsgId=[0-9A-F]+' "$T/out" | sort -u | wc -l)" -eq 1000 ]
  # the broker has them, with the example's tag and group-less bodies
  "$RMQ" consume -g check -e --format '%T %b\n' TopicTest | sort -k4n >"$T/bodies"
  for i in $(seq 0 999); do echo "TagA Hello RocketMQ $i"; done | diff - "$T/bodies"
}

@test "example consumer: Consumer Started., then 1,000 Receive New Messages lines whose bodies are Hello RocketMQ i" {
  tutorial
  "$RMQ" example producer >/dev/null
  "$RMQ" example consumer -c 1000 >"$T/out"
  [ "$(head -1 "$T/out")" = "Consumer Started." ]
  [ "$(wc -l <"$T/out")" -eq 1001 ]
  [ "$(grep -cE "$RECEIVE" "$T/out")" -eq 1000 ] || { grep -vE "$RECEIVE" "$T/out" | sed -n 2,3p >&2; return 1; }
  # thread numbers cycle 1..20, as the Java pool's threads take turns
  sed -n 2,21p "$T/out" | sed -E 's/^ConsumeMessageThread_please_rename_unique_group_name_4_([0-9]+) .*/\1/' | diff - <(seq 1 20)
  [ "$(sed -n 22p "$T/out" | sed -E 's/^ConsumeMessageThread_[a-z_]+_4_([0-9]+) .*/\1/')" -eq 1 ]
  # the tag and the message's id among the properties; bodies decode to Hello RocketMQ 0..999
  [ "$(grep -c 'TAGS=TagA' "$T/out")" -eq 1000 ]
  [ "$(grep -cE 'UNIQ_KEY=[0-9A-F]{32}' "$T/out")" -eq 1000 ]
  decode "$T/out" | sort -k3n >"$T/bodies"
  for i in $(seq 0 999); do echo "Hello RocketMQ $i"; done | diff - "$T/bodies"
  # the group committed: a second run has nothing left
  run "$RMQ" offsets show -g please_rename_unique_group_name_4 TopicTest
  assert_status 0
  assert_contains "Diff Total: 0"
}

@test "example consumer: runs until SIGTERM, then commits and exits 0; a new message wakes it" {
  tutorial
  "$RMQ" example producer -c 8 >/dev/null
  "$RMQ" example consumer >"$T/out" 2>"$T/err" &
  cpid=$!
  RMQ_PIDS+=("$cpid")
  for _ in $(seq 100); do [ "$(grep -c 'Receive New Messages' "$T/out")" -ge 8 ] && break; sleep 0.1; done
  [ "$(grep -c 'Receive New Messages' "$T/out")" -eq 8 ]
  "$RMQ" produce -t TagA TopicTest 'one more'
  for _ in $(seq 100); do [ "$(grep -c 'Receive New Messages' "$T/out")" -ge 9 ] && break; sleep 0.1; done
  kill -TERM "$cpid"
  wait "$cpid" || { cat "$T/err" >&2; return 1; }
  [ "$(head -1 "$T/out")" = "Consumer Started." ]
  [ "$(grep -cE "$RECEIVE" "$T/out")" -eq 9 ] || { cat "$T/out" "$T/err" >&2; return 1; }
  decode "$T/out" | grep -qx 'one more'
  run "$RMQ" offsets show -g please_rename_unique_group_name_4 TopicTest
  assert_contains "Diff Total: 0"
}

@test "example: -n overrides NAMESRV_ADDR; usage errors" {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"
  NAMESRV_ADDR=127.0.0.1:1 run "$RMQ" example producer -n "$NSADDR" -c 3
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
  run "$RMQ" example
  assert_status 2
  run "$RMQ" example transaction
  assert_status 2
  assert_contains "unknown example 'transaction'"
  run "$RMQ" example producer -c 0
  assert_status 2
  run "$RMQ" example consumer extra
  assert_status 2
}
