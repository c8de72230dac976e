#!/usr/bin/env bats
# rmq produce --delay (RocketMQ's delay levels, stored in SCHEDULE_TOPIC_XXXX by the broker)
# and --sharding-key / --sharding-key-sep (SelectMessageQueueByHash: every message of a key
# in one queue), issue 5 items 3 and 6.
load test_helper

# level 1 waits 3 s, level 18 (the last) 1 s, the others an hour
LEVELS="messageDelayLevel=3s$(printf ' 1h%.0s' $(seq 16)) 1s"

# json_int KEY LINE: an integer field of a JSON line
json_int() { sed -n "s/.*\"$1\":\(-\{0,1\}[0-9]*\).*/\1/p" <<<"$2"; }

# java_hash S: Java's String.hashCode() of an ASCII string
java_hash() {
  local s=$1 h=0 i c
  for ((i = 0; i < ${#s}; i++)); do
    printf -v c '%d' "'${s:i:1}"
    h=$(((31 * h + c) & 0xFFFFFFFF))
  done
  ((h >= 2147483648)) && h=$((h - 4294967296))
  echo "$h"
}

# queue_of KEY N: SelectMessageQueueByHash's index among N queues
queue_of() {
  local v=$(($(java_hash "$1") % $2))
  echo $((v < 0 ? -v : v))
}

@test "delay: --delay 1 waits in SCHEDULE_TOPIC_XXXX queue 0, then arrives after the level's 3 s" {
  start_broker "$LEVELS"
  "$RMQ" topic create TopicD -b "$UNIX" -r 1 -w 1 >/dev/null
  run "$RMQ" produce -b "$UNIX" --delay 1 --json TopicD late1 late2 late3
  assert_status 0
  [ "$(grep -c '"status":"SEND_OK"' <<<"$output")" -eq 3 ]
  # not in the topic yet: held by the broker in the level's schedule queue
  run "$RMQ" consume -b "$UNIX" -g gNow --exit-at-end TopicD
  assert_status 0
  [ -z "$output" ]
  run "$RMQ" topic status SCHEDULE_TOPIC_XXXX -b "$UNIX" --json
  assert_contains '"queueId":0,"minOffset":0,"maxOffset":3'
  wait_for_messages gD TopicD 3
  [ "$(grep -o '"body":"late[123]"' "$T/got.json" | sort | tr '\n' ' ')" = '"body":"late1" "body":"late2" "body":"late3" ' ]
  # each was stored in TopicD at least the level's delay after it was sent
  while IFS= read -r m; do
    born=$(json_int bornTimestamp "$m") stored=$(json_int storeTimestamp "$m")
    [ $((stored - born)) -ge 3000 ] || { echo "delivered after $((stored - born)) ms: $m" >&2; return 1; }
    grep -q '"REAL_TOPIC":"TopicD"' <<<"$m"
  done <"$T/got.json"
  if grep -q '"DELAY"' "$T/got.json"; then echo "DELAY kept" >&2; return 1; fi
}

@test "delay: a level past the broker's last is clamped by the broker; --delay 0 is no delay" {
  start_broker "$LEVELS"
  "$RMQ" topic create TopicD -b "$UNIX" -r 1 -w 1 >/dev/null
  run "$RMQ" produce -b "$UNIX" --delay 99 TopicD clamped
  assert_status 0
  # level 18, the last (1 s), not refused and not dropped
  run "$RMQ" topic status SCHEDULE_TOPIC_XXXX -b "$UNIX" --json
  assert_contains '"queueId":17,"minOffset":0,"maxOffset":1'
  wait_for_messages gC TopicD 1
  grep -q '"body":"clamped"' "$T/got.json"
  run "$RMQ" produce -b "$UNIX" --delay 0 TopicD now
  assert_status 0
  run "$RMQ" consume -b "$UNIX" -g gC --exit-at-end --json TopicD
  assert_contains '"body":"now"'
  if grep -q '"DELAY"' <<<"$output"; then echo "DELAY sent for level 0" >&2; return 1; fi
  run "$RMQ" topic status SCHEDULE_TOPIC_XXXX -b "$UNIX" --json
  [ "$(grep -o '"maxOffset":[1-9]' <<<"$output" | wc -l)" -eq 1 ]
  for bad in -1 x 1.5; do
    run "$RMQ" produce -b "$UNIX" --delay "$bad" TopicD y
    assert_status 2
  done
}

@test "sharding: every message of a key lands in its hash's queue of 8; keys spread; order kept" {
  start_broker
  "$RMQ" topic create TopicS -b "$UNIX" -r 8 -w 8 >/dev/null
  # one key for all
  seq 40 | "$RMQ" produce -b "$UNIX" --sharding-key order-1 --json TopicS >"$T/acks"
  [ "$(grep -c '"status":"SEND_OK"' "$T/acks")" -eq 40 ]
  [ "$(grep -o '"queueId":[0-9]*' "$T/acks" | sort -u)" = "\"queueId\":$(queue_of order-1 8)" ]
  # a key per record: KEY:BODY
  for i in $(seq 5); do for k in $(seq 12); do echo "order-$k:order-$k step $i"; done; done >"$T/in"
  "$RMQ" produce -b "$UNIX" --sharding-key-sep : --json TopicS <"$T/in" >"$T/acks"
  [ "$(grep -c '"status":"SEND_OK"' "$T/acks")" -eq 60 ]
  "$RMQ" consume -b "$UNIX" -g gS -e --format '%q %b\n' TopicS | grep ' order-.* step ' >"$T/got"
  [ "$(wc -l <"$T/got")" -eq 60 ]
  for k in $(seq 12); do
    q=$(queue_of "order-$k" 8)
    # all in the key's queue, in the order sent (the body has no key prefix left)
    [ "$(grep " order-$k step " "$T/got" | cut -d' ' -f1 | sort -u)" = "$q" ]
    grep " order-$k step " "$T/got" | cut -d' ' -f4 | diff - <(seq 5)
  done
  [ "$(cut -d' ' -f1 "$T/got" | sort -u | wc -l)" -ge 4 ]
}

@test "sharding: over two brokers the queue list is broker-a's then broker-b's, as Java's" {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"; ATCP=$TCP
  start_named_broker broker-b "namesrvAddr=$NSADDR"; BTCP=$TCP
  "$RMQ" topic create TopicS -b "$ATCP" -r 4 -w 4 >/dev/null
  "$RMQ" topic create TopicS -b "$BTCP" -r 4 -w 4 >/dev/null
  for _ in $(seq 100); do
    [ "$("$RMQ" topic route -n "$NSADDR" TopicS 2>/dev/null | grep -c ' RW- *$')" -eq 2 ] && break
    sleep 0.1
  done
  for k in order-1 order-2 order-3 customer-42 hello abcdefgh; do
    i=$(queue_of "$k" 8)
    b=broker-a; [ "$i" -ge 4 ] && b=broker-b
    run "$RMQ" produce -n "$NSADDR" --sharding-key "$k" --json TopicS a b c
    assert_status 0
    [ "$(grep -o '"brokerName":"[^"]*","queueId":[0-9]*' <<<"$output" | sort -u)" = "\"brokerName\":\"$b\",\"queueId\":$((i % 4))" ]
  done
}

@test "sharding: a record without the separator is not sent; usage errors" {
  start_broker
  "$RMQ" topic create TopicS -b "$UNIX" -r 8 -w 8 >/dev/null
  printf 'k1:a\nno-key-here\nk2:\nk1:b\n' >"$T/in"
  run "$RMQ" produce -b "$UNIX" --sharding-key-sep : TopicS <"$T/in"
  assert_status 1
  assert_contains "message 2 not sent: no sharding key"
  assert_contains "message 3 not sent: empty body"
  run "$RMQ" consume -b "$UNIX" -g g -e TopicS
  [ "$output" = $'a\nb' ]
  run "$RMQ" produce -b "$UNIX" --sharding-key k --sharding-key-sep : TopicS x
  assert_status 2
  run "$RMQ" produce -b "$UNIX" --sharding-key-sep '' TopicS x
  assert_status 2
  run "$RMQ" produce -b "$UNIX" --json --sendresult TopicS x
  assert_status 2
}
