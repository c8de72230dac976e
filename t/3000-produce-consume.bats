#!/usr/bin/env bats
# rmq produce / rmq consume against a real broker, over TCP and the Unix socket: exactly
# once and in order per queue, consumer groups and their committed offsets, tag filters,
# LZ4 bodies, JSON output, signals and closed pipes.
load test_helper


# check_queues FILE N: lines "QUEUE OFFSET BODY" hold bodies 1..N exactly once, and within
# each queue offsets go up by one and bodies increase (the order they were sent in).
check_queues() {
  local n
  n=$(cut -d' ' -f3 "$1" | sort -n | uniq | wc -l)
  [ "$n" -eq "$2" ] || { echo "distinct bodies: $n, want $2" >&2; return 1; }
  [ "$(wc -l <"$1")" -eq "$2" ] || { echo "lines: $(wc -l <"$1"), want $2 (duplicates)" >&2; return 1; }
  [ "$(cut -d' ' -f3 "$1" | sort -n | head -1)" = 1 ] || return 1
  [ "$(cut -d' ' -f3 "$1" | sort -n | tail -1)" = "$2" ] || return 1
  awk '{ if (($1 in off) && ($2 != off[$1] + 1 || $3 <= body[$1])) { print "out of order: " $0 > "/dev/stderr"; bad = 1 }
         off[$1] = $2; body[$1] = $3 } END { exit bad }' "$1"
}

roundtrip() {   # roundtrip ADDR: 10,000 lines there and back
  seq 1 10000 >"$T/in"
  run "$RMQ" produce -b "$1" TopicTest <"$T/in"
  assert_status 0
  [ -z "$output" ]
  "$RMQ" consume -b "$1" -g g1 -e --format '%q %o %b\n' TopicTest >"$T/out"
  check_queues "$T/out" 10000
  # all four queues were used
  [ "$(cut -d' ' -f1 "$T/out" | sort -u | wc -l)" -eq 4 ]
}

@test "produce/consume: 10,000 lines exactly once and in order per queue over TCP" {
  start_broker
  roundtrip "$TCP"
}

@test "produce/consume: 10,000 lines exactly once and in order per queue over the Unix socket" {
  start_broker
  roundtrip "$UNIX"
}

@test "produce/consume: two groups each get everything; a second run continues" {
  start_broker
  seq 1 1000 | "$RMQ" produce -b "$UNIX" TopicTest
  "$RMQ" consume -b "$TCP" -g ga -e --format '%q %o %b\n' TopicTest >"$T/a"
  "$RMQ" consume -b "$UNIX" -g gb -e --format '%q %o %b\n' TopicTest >"$T/b"
  check_queues "$T/a" 1000
  check_queues "$T/b" 1000
  # group ga has committed everything: nothing more
  run "$RMQ" consume -b "$TCP" -g ga -e TopicTest
  assert_status 0
  [ -z "$output" ]
  # a group reading in steps (--count) sees every message once
  "$RMQ" consume -b "$TCP" -g gc --count 10 --format '%q %o %b\n' TopicTest >"$T/c"
  [ "$(wc -l <"$T/c")" -eq 10 ]
  "$RMQ" consume -b "$TCP" -g gc --count 300 --format '%q %o %b\n' TopicTest >>"$T/c"
  "$RMQ" consume -b "$TCP" -g gc -e --format '%q %o %b\n' TopicTest >>"$T/c"
  check_queues "$T/c" 1000
  # what arrives later is what the next run prints
  seq 1001 1003 | "$RMQ" produce -b "$TCP" TopicTest
  run "$RMQ" consume -b "$TCP" -g ga -e TopicTest
  assert_status 0
  [ "$(echo "$output" | sort -n | tr '\n' ' ')" = "1001 1002 1003 " ]
}

@test "produce: arguments, -z, --whole, keys, properties and --json fields" {
  start_broker
  run "$RMQ" produce -b "$TCP" --json -k order-1 -k user-7 -p color=red -t TagA TopicTest one two
  assert_status 0
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" =~ ^\{\"n\":1,\"status\":\"SEND_OK\",\"msgId\":\"[0-9A-F]{32}\",\"offsetMsgId\":\"[0-9A-F]{32}\",\"brokerName\":\"127.0.0.1:$PORT\",\"queueId\":[0-3],\"queueOffset\":0\}$ ]]
  [[ "${lines[1]}" == '{"n":2,"status":"SEND_OK",'* ]]
  id1=$(echo "${lines[0]}" | sed 's/.*"msgId":"\([0-9A-F]*\)".*/\1/')
  printf 'x\0y\0' | "$RMQ" produce -b "$TCP" -z TopicTest
  printf 'whole\nof it\n' | "$RMQ" produce -b "$TCP" --whole TopicTest
  "$RMQ" consume -b "$TCP" -g g -e --json TopicTest >"$T/j"
  [ "$(wc -l <"$T/j")" -eq 5 ]
  grep -q "\"msgId\":\"$id1\"" "$T/j"
  grep "\"msgId\":\"$id1\"" "$T/j" | grep -q '"tags":"TagA","keys":"order-1 user-7"'
  grep "\"msgId\":\"$id1\"" "$T/j" | grep -q '"color":"red"'
  grep "\"msgId\":\"$id1\"" "$T/j" | grep -q '"body":"one"'
  grep -q '"body":"x"' "$T/j"
  grep -q '"body":"y"' "$T/j"
  grep -q '"body":"whole\\nof it\\n"' "$T/j"
  # the message id printed by consume is the one produce reported
  run "$RMQ" consume -b "$TCP" -g g2 -e --tag TagA --format '%i %T %k|%b\n' TopicTest
  [ "$(echo "$output" | sort | head -1)" = "$id1 TagA order-1 user-7|one" ]
  # empty lines are skipped but counted in n
  run "$RMQ" produce -b "$TCP" --json TopicTest < <(printf 'a\n\nb\n')
  assert_status 0
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[1]}" == '{"n":3,'* ]]
}

@test "consume: tag filters (one tag, A || B, untagged messages only with *)" {
  start_broker
  printf 'a1\na2\n' | "$RMQ" produce -b "$TCP" -t TagA TopicTest
  printf 'b1\n' | "$RMQ" produce -b "$TCP" -t TagB TopicTest
  printf 'c1\n' | "$RMQ" produce -b "$TCP" -t TagC TopicTest
  printf 'none\n' | "$RMQ" produce -b "$TCP" TopicTest
  run "$RMQ" consume -b "$TCP" -g g1 -e --tag TagA TopicTest
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "a1 a2 " ]
  run "$RMQ" consume -b "$UNIX" -g g2 -e --tag 'TagA || TagB' TopicTest
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "a1 a2 b1 " ]
  run "$RMQ" consume -b "$TCP" -g g3 -e --tag '*' TopicTest
  [ "$(echo "$output" | sort | tr '\n' ' ')" = "a1 a2 b1 c1 none " ]
  # the filtered-out messages count as consumed for the group
  run "$RMQ" consume -b "$TCP" -g g1 -e TopicTest
  [ -z "$output" ]
}

@test "produce/consume: a 1 MiB body round trip through LZ4" {
  start_broker
  for i in $(seq 1 40000); do echo "line $i of a compressible body"; done | head -c 1048576 >"$T/big"
  [ "$(wc -c <"$T/big")" -eq 1048576 ]
  run "$RMQ" produce -b "$TCP" --whole --json TopicTest <"$T/big"
  assert_status 0
  "$RMQ" consume -b "$UNIX" -g g -e --format '%b' TopicTest >"$T/back"
  cmp "$T/big" "$T/back"
  # stored compressed: sysFlag COMPRESSED | LZ4 << 8 = 257, and the body printed whole
  "$RMQ" consume -b "$TCP" -g g2 -e --json TopicTest >"$T/j"
  grep -q '"sysFlag":257,' "$T/j"
  run "$RMQ" consume -b "$TCP" -g g3 -e --format '%s\n' TopicTest
  [ "$output" = 1048576 ]
  # a small body is sent as it is
  echo small | "$RMQ" produce -b "$TCP" T2
  "$RMQ" consume -b "$TCP" -g g -e --json T2 | grep -q '"sysFlag":0,'
}

@test "produce: unacknowledged messages fail the command; the broker keeps serving" {
  start_broker
  # over maxMessageSize (4 MiB) even after compression: refused by the broker
  head -c 5000000 /dev/urandom >"$T/huge"
  run "$RMQ" produce -b "$TCP" --whole --json TopicTest <"$T/huge"
  assert_status 1
  assert_contains "rmq produce: message 1 not sent"
  assert_contains '"status":"FAILED"'
  run "$RMQ" produce -b "$TCP" TopicTest ok
  assert_status 0
  # nobody listening
  run "$RMQ" produce -b 127.0.0.1:1 TopicTest x
  assert_status 1
  assert_contains "rmq produce: "
  run "$RMQ" produce -b "unix:$T/nothing.sock" TopicTest x
  assert_status 1
  # usage errors
  run "$RMQ" produce -b "$TCP"
  assert_status 2
  run "$RMQ" produce -b "$TCP" -p noequals TopicTest x
  assert_status 2
  run "$RMQ" produce -b "$TCP" -p TAGS=x TopicTest x
  assert_status 2
  assert_contains "reserved"
}

@test "consume: SIGINT and SIGTERM commit and exit 0; the next run continues" {
  start_broker
  seq 1 5 | "$RMQ" produce -b "$TCP" TopicTest
  for sig in INT TERM; do
    "$RMQ" consume -b "$TCP" -g live TopicTest >"$T/live.$sig" 2>"$T/err.$sig" &
    cpid=$!
    want=5; [ "$sig" = TERM ] && want=3   # 1-5 were committed by the INT pass, then 6-8 sent
    for _ in $(seq 100); do [ "$(wc -l <"$T/live.$sig")" -ge $want ] && break; sleep 0.05; done
    kill -$sig $cpid
    rc=0; wait $cpid || rc=$?
    [ "$rc" -eq 0 ]
    [ ! -s "$T/err.$sig" ]
    seq 6 8 | "$RMQ" produce -b "$TCP" TopicTest
    [ "$sig" = TERM ] || [ "$(wc -l <"$T/live.$sig")" -eq 5 ]
  done
  [ "$(sort -n "$T/live.TERM" | tr '\n' ' ')" = "6 7 8 " ]
  run "$RMQ" consume -b "$TCP" -g live -e TopicTest
  [ "$(echo "$output" | sort -n | tr '\n' ' ')" = "6 7 8 " ]
}

@test "consume: a consumer waiting on an empty topic gets new messages (long polling)" {
  start_broker
  "$RMQ" consume -b "$UNIX" -g w --format '%b\n' NewTopic >"$T/w" 2>"$T/w.err" &
  cpid=$!
  sleep 0.2
  seq 1 3 | "$RMQ" produce -b "$TCP" NewTopic
  for _ in $(seq 100); do [ "$(wc -l <"$T/w")" -ge 3 ] && break; sleep 0.05; done
  kill -TERM $cpid
  rc=0; wait $cpid || rc=$?
  [ "$rc" -eq 0 ]
  [ "$(sort -n "$T/w" | tr '\n' ' ')" = "1 2 3 " ]
}

@test "consume: a closed output pipe stops quietly and commits only what was read" {
  start_broker
  seq 1 2000 | "$RMQ" produce -b "$TCP" TopicTest
  bash -c "'$RMQ' consume -b '$TCP' -g p -e TopicTest 2>'$T/err' | head -3 >'$T/first'; echo \${PIPESTATUS[0]} >'$T/rc'"
  [ "$(cat "$T/rc")" = 0 ]
  [ ! -s "$T/err" ]
  [ "$(wc -l <"$T/first")" -eq 3 ]
  # the next run never repeats what was printed, and nothing is seen twice
  "$RMQ" consume -b "$TCP" -g p -e TopicTest >"$T/rest"
  run grep -xF -f "$T/first" "$T/rest"
  [ "$status" -eq 1 ]
  [ "$(sort "$T/rest" | uniq -d | wc -l)" -eq 0 ]
  # waiting for messages (no -e), it notices the reader going away by itself
  bash -c "'$RMQ' consume -b '$TCP' -g p2 TopicTest 2>'$T/err2' | head -1 >/dev/null; echo \${PIPESTATUS[0]} >'$T/rc2'" &
  wpid=$!
  for _ in $(seq 100); do [ -s "$T/rc2" ] && break; sleep 0.05; done
  kill $wpid 2>/dev/null || true
  [ "$(cat "$T/rc2")" = 0 ]
}

@test "consume: --from first, last and a time" {
  start_broker
  seq 1 3 | "$RMQ" produce -b "$TCP" TopicTest
  sleep 0.01
  ts=$(date +%s%3N)
  sleep 0.01
  seq 4 5 | "$RMQ" produce -b "$TCP" TopicTest
  run "$RMQ" consume -b "$TCP" -g f -e --from last TopicTest
  assert_status 0
  [ -z "$output" ]
  run "$RMQ" consume -b "$TCP" -g f2 -e --from "$ts" TopicTest
  [ "$(echo "$output" | sort -n | tr '\n' ' ')" = "4 5 " ]
  # --from first overrides what group f2 committed
  run "$RMQ" consume -b "$TCP" -g f2 -e --from first TopicTest
  [ "$(echo "$output" | sort -n | tr '\n' ' ')" = "1 2 3 4 5 " ]
  run "$RMQ" consume -b "$TCP" -g f3 -e --from -1h TopicTest
  [ "$(echo "$output" | wc -l)" -eq 5 ]
  run "$RMQ" consume -b "$TCP" -g f3 -e --from yesterday TopicTest
  assert_status 2
  run "$RMQ" consume -b "$TCP" -e TopicTest
  assert_status 2
  assert_contains "missing -g GROUP"
  run "$RMQ" consume -b "$TCP" -g x --format '%z' TopicTest
  assert_status 2
  run "$RMQ" consume -b "$TCP" -g x -e NoSuchTopic
  assert_status 1
  assert_contains "does not exist"
}
