#!/usr/bin/env bats
# rmq admin msg id|key: lookups by offset message id, by message id (UNIQ_KEY) and by key,
# and whether a group consumed the message.
load test_helper

json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$2"; }

@test "admin msg id: an offset id names its broker; a message id needs the topic" {
  start_broker
  run "$RMQ" produce -b "$UNIX" --json --key order-7 --tag TagA TopicK hello
  assert_status 0
  sent=$output
  run "$RMQ" admin msg id "$(json_field offsetMsgId "$sent")"
  assert_status 0
  [ "${lines[0]}" = "OffsetID:            $(json_field offsetMsgId "$sent")" ]
  assert_contains "Topic:               TopicK"
  assert_contains "Tags:                [TagA]"
  assert_contains "Keys:                [order-7]"
  assert_contains "Store Host:          127.0.0.1:$PORT"
  assert_contains "Message Body:        hello"
  run "$RMQ" admin msg id "$(json_field msgId "$sent")" -t TopicK -b "$UNIX" --json
  assert_status 0
  assert_contains '"body":"hello"'
  assert_contains "\"msgId\":\"$(json_field msgId "$sent")\""
  # a message id without its topic cannot be looked up; a wrong topic finds nothing
  run "$RMQ" admin msg id "$(json_field msgId "$sent")XY"
  assert_status 1
  assert_contains "give the topic with -t"
  run "$RMQ" admin msg id "$(json_field msgId "$sent")" -t Other -b "$UNIX"
  assert_status 1
  assert_contains "no such message"
}

@test "admin msg key: every message with the key, and -g tells CONSUMED from NOT_CONSUME_YET" {
  start_broker
  run "$RMQ" topic create TopicK -b "$UNIX" -r 1 -w 1
  run "$RMQ" produce -b "$UNIX" --key order-1 TopicK first second
  run "$RMQ" produce -b "$UNIX" --key order-2 TopicK other
  run "$RMQ" consume -b "$UNIX" -g gC --count 1 TopicK
  [ "$output" = first ]
  run "$RMQ" admin msg key TopicK order-1 -b "$UNIX" -g gC --json
  assert_status 0
  [ "${#lines[@]}" -eq 2 ]
  grep -q '"body":"first".*"consumed":true}$' <<<"$output"
  grep -q '"body":"second".*"consumed":false}$' <<<"$output"
  run "$RMQ" admin msg key TopicK order-1 -b "$UNIX" -g gC
  assert_status 0
  assert_contains "gC                                CONSUMED"
  assert_contains "gC                                NOT_CONSUME_YET"
  run "$RMQ" admin msg key TopicK order-9 -b "$UNIX"
  assert_status 1
  assert_contains "no such message"
}

@test "admin: usage errors exit 2" {
  run "$RMQ" admin
  assert_status 2
  run "$RMQ" admin msg
  assert_status 2
  run "$RMQ" admin msg key OnlyTopic
  assert_status 2
  run "$RMQ" admin msg id A B
  assert_status 2
  run "$RMQ" admin msg key T K -t T
  assert_status 2
}

@test "admin msg key through the name servers: every broker of the topic is asked" {
  start_namesrv
  start_named_broker broker-a "namesrvAddr=$NSADDR"
  start_named_broker broker-b "namesrvAddr=$NSADDR"
  "$RMQ" topic create TopicK -n "$NSADDR" -r 2 -w 2 >/dev/null
  for _ in $(seq 50); do
    [ "$("$RMQ" topic route TopicK -n "$NSADDR" 2>/dev/null | grep -c RW-)" -eq 2 ] && break
    sleep 0.1
  done
  # 8 messages with one key over 4 queues of two brokers: both brokers hold some
  run "$RMQ" produce -n "$NSADDR" --key shared --json TopicK 1 2 3 4 5 6 7 8
  assert_status 0
  [ "$(grep -o '"brokerName":"broker-[ab]"' <<<"$output" | sort -u | wc -l)" -eq 2 ]
  run "$RMQ" admin msg key TopicK shared -n "$NSADDR" --json
  assert_status 0
  [ "$(grep -c '"keys":"shared"' <<<"$output")" -eq 8 ]
  id=$(grep -o '"msgId":"[0-9A-F]*"' <<<"$output" | head -1 | cut -d'"' -f4)
  run "$RMQ" admin msg id "$id" -t TopicK -n "$NSADDR"
  assert_status 0
  assert_contains "MsgID:               $id"
  run "$RMQ" admin msg key TopicK nothing -n "$NSADDR"
  assert_status 1
  assert_contains "no such message"
}
