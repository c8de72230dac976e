#!/usr/bin/env bats
# Consumer groups on one broker: members share a topic's 8 queues by average allocation,
# rebalance when members join or leave (NOTIFY_CONSUMER_IDS_CHANGED, UNREGISTER_CLIENT),
# and --broadcast gives every member everything with offsets kept in a local file.
# Consumers run in the background and are stopped by PID (teardown, even on failure).

load test_helper

# Rebalances in these tests can only come from the broker's notifications: the periodic
# safety net is pushed out of the test's time.
export RMQ_REBALANCE_INTERVAL_MS=600000

# consumer NAME ARGS...: rmq consume in the background, stdout to $T/NAME.out, stderr to
# $T/NAME.err (with -v: the queues it consumes, at every change); its PID in PID_NAME and in RMQ_PIDS (teardown stops it).
consumer() {
  local name=$1
  shift
  "$RMQ" consume -b "$TCP" -v "$@" >>"$T/$name.out" 2>>"$T/$name.err" &
  printf -v "PID_$name" '%s' "$!"
  RMQ_PIDS+=("$!")
}

# assigned NAME: the queue ids NAME last said it consumes ("0,1,2,3"; -v says
# "broker-a:0,broker-a:1,…", all of one broker here), "" before that.
assigned() {
  { grep -o 'consuming [0-9]* queue(s) of [^ ]*: [^ ]*' "$T/$1.err" || true; } | tail -1 | sed 's/.*: //; s/none//; s/[^,]*://g'
}

# shares: the sizes of c1's, c2's and c3's last assignments, sorted ("2 3 3 ").
shares() {
  local c
  for c in c1 c2 c3; do assigned $c | tr , '\n' | sed '/^$/d' | wc -l; done | sort -n | tr '\n' ' '
}

# lines FILE...: number of lines printed.
lines() { cat "$@" | wc -l; }

# stop NAME: SIGTERM and wait for its exit status (0 expected).
stop() {
  local pid_var="PID_$1"
  kill -TERM "${!pid_var}"
  wait "${!pid_var}"
}

@test "group: two members split the 8 queues and get every message exactly once" {
  start_broker
  "$RMQ" topic create T -b "$TCP" -r 8 -w 8 >/dev/null
  consumer c1 -g G --format '%q %b\n' T
  wait_until '[ "$(assigned c1)" = 0,1,2,3,4,5,6,7 ]'
  consumer c2 -g G --format '%q %b\n' T
  wait_until '[ -n "$(assigned c2)" ] && [ "$(assigned c1)" != 0,1,2,3,4,5,6,7 ]'
  # as AllocateMessageQueueAveragely does it: the sorted ids take 0-3 and 4-7
  local a1 a2
  a1=$(assigned c1) a2=$(assigned c2)
  [ "$(printf '%s\n%s\n' "$a1" "$a2" | sort | tr '\n' ' ')" = "0,1,2,3 4,5,6,7 " ]

  seq 1 2000 | "$RMQ" produce -b "$TCP" T >/dev/null
  wait_until '[ "$(lines "$T/c1.out" "$T/c2.out")" -ge 2000 ]'
  stop c1
  stop c2
  # every message exactly once
  [ "$(cut -d' ' -f2 "$T/c1.out" "$T/c2.out" | sort -n | uniq | wc -l)" -eq 2000 ]
  [ "$(lines "$T/c1.out" "$T/c2.out")" -eq 2000 ]
  [ "$(cut -d' ' -f2 "$T/c1.out" "$T/c2.out" | sort -n | tail -1)" -eq 2000 ]
  # each printed only its own queues: disjoint, together all 8
  local q1 q2
  q1=$(cut -d' ' -f1 "$T/c1.out" | sort -u | tr '\n' ',')
  q2=$(cut -d' ' -f1 "$T/c2.out" | sort -u | tr '\n' ',')
  [ "$q1" = "$a1," ]
  [ "$q2" = "$a2," ]
  [ "$(printf '%s%s' "$q1" "$q2" | tr ',' '\n' | sed '/^$/d' | sort -n | uniq | wc -l)" -eq 8 ]
  [ "$(printf '%s%s' "$q1" "$q2" | tr ',' '\n' | sed '/^$/d' | wc -l)" -eq 8 ]
  # the group's offsets are committed: a new run has nothing left
  run "$RMQ" consume -b "$TCP" -g G -e T
  assert_status 0
  [ -z "$output" ]
}

@test "group: a third member joining while messages flow loses nothing; duplicates only from queues that moved" {
  start_broker
  "$RMQ" topic create T -b "$TCP" -r 8 -w 8 >/dev/null
  consumer c1 -g G --format '%q %b\n' T
  wait_until '[ -n "$(assigned c1)" ]'
  consumer c2 -g G --format '%q %b\n' T
  wait_until '[ -n "$(assigned c2)" ] && [ "$(assigned c1)" != 0,1,2,3,4,5,6,7 ]'
  # a steady stream of 3000 messages; the third member joins in the middle of it
  ( for i in $(seq 1 3000); do echo "$i"; [ $((i % 100)) -eq 0 ] && sleep 0.05; done | "$RMQ" produce -b "$TCP" T >"$T/produced" ) &
  local prod=$!
  RMQ_PIDS+=("$prod")
  wait_until '[ "$(lines "$T/c1.out" "$T/c2.out")" -ge 500 ]'
  consumer c3 -g G --format '%q %b\n' T
  wait_until '[ -n "$(assigned c3)" ]'
  wait "$prod"
  # after the rebalance the shares are 3, 3 and 2 queues
  wait_until '[ "$(shares)" = "2 3 3 " ]'
  wait_until '[ "$(cut -d" " -f2 "$T"/c?.out | sort -nu | wc -l)" -ge 3000 ]'
  stop c1
  stop c2
  stop c3
  # nothing missing
  [ "$(cut -d' ' -f2 "$T"/c?.out | sort -nu | wc -l)" -eq 3000 ]
  [ "$(cut -d' ' -f2 "$T"/c?.out | sort -nu | head -1)" -eq 1 ]
  [ "$(cut -d' ' -f2 "$T"/c?.out | sort -nu | tail -1)" -eq 3000 ]
  # no member printed a message twice; a message printed twice came from two members
  # (at-least-once across a queue's hand-over), and only from a queue that changed hands
  local c
  for c in c1 c2 c3; do
    [ -z "$(cut -d' ' -f2 "$T/$c.out" | sort -n | uniq -d)" ]
  done
  local dups
  dups=$(cut -d' ' -f2 "$T"/c?.out | sort -n | uniq -d | wc -l)
  echo "duplicates across members: $dups of 3000" >&3
  local moved
  moved=$(for c in c1 c2 c3; do cut -d' ' -f1 "$T/$c.out" | sort -u; done | sort -n | uniq -d | tr '\n' ' ')
  if [ "$dups" -gt 0 ]; then
    for q in $(cat "$T"/c?.out | sort -k2,2n | awk '{ if ($2 == last) print $1; last = $2 }' | sort -u); do
      [[ " $moved" == *" $q "* ]]
    done
  fi
}

@test "group: a member that stops unregisters and the others take its queues at once" {
  start_broker
  "$RMQ" topic create T -b "$TCP" -r 8 -w 8 >/dev/null
  consumer c1 -g G --format '%q %b\n' T
  wait_until '[ -n "$(assigned c1)" ]'
  consumer c2 -g G --format '%q %b\n' T
  wait_until '[ -n "$(assigned c2)" ] && [ "$(assigned c1)" != 0,1,2,3,4,5,6,7 ]'
  seq 1 400 | "$RMQ" produce -b "$TCP" T >/dev/null
  wait_until '[ "$(lines "$T/c1.out" "$T/c2.out")" -ge 400 ]'
  stop c2
  # c2 committed before it unregistered: c1 takes its queues where it stopped
  wait_until '[ "$(assigned c1)" = 0,1,2,3,4,5,6,7 ]'
  seq 401 800 | "$RMQ" produce -b "$TCP" T >/dev/null
  wait_until '[ "$(lines "$T/c1.out" "$T/c2.out")" -ge 800 ]'
  stop c1
  [ "$(lines "$T/c1.out" "$T/c2.out")" -eq 800 ]
  [ "$(cut -d' ' -f2 "$T/c1.out" "$T/c2.out" | sort -nu | wc -l)" -eq 800 ]
  # the broker no longer lists anyone in the group
  run "$TT" request "$TCP" 38 consumerGroup=G
  assert_contains "no consumer for this group"
}

@test "group: --count and a closed pipe leave the group too" {
  start_broker
  "$RMQ" topic create T -b "$TCP" -r 8 -w 8 >/dev/null
  seq 1 100 | "$RMQ" produce -b "$TCP" T >/dev/null
  "$RMQ" consume -b "$TCP" -g G -c 10 T >"$T/ten" 2>"$T/err"
  [ "$(wc -l <"$T/ten")" -eq 10 ]
  run "$TT" request "$TCP" 38 consumerGroup=G
  assert_contains "no consumer for this group"
  "$RMQ" consume -b "$TCP" -g G T 2>"$T/err" | head -5 >"$T/five"
  [ "$(wc -l <"$T/five")" -eq 5 ]
  run "$TT" request "$TCP" 38 consumerGroup=G
  assert_contains "no consumer for this group"
}

@test "group: --exit-at-end reads every queue without joining the group" {
  start_broker
  "$RMQ" topic create T -b "$TCP" -r 8 -w 8 >/dev/null
  seq 1 800 | "$RMQ" produce -b "$TCP" T >/dev/null
  consumer c1 -g G --format '%q %b\n' T
  wait_until '[ "$(lines "$T/c1.out")" -ge 800 ]'
  # a one-shot reader of another group: all 8 queues, and c1 is not asked to share
  run "$RMQ" consume -b "$TCP" -g other -e --format '%q\n' T
  assert_status 0
  [ "${#lines[@]}" -eq 800 ]
  [ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 8 ]
  [ "$(grep -c 'consuming' "$T/c1.err")" -eq 1 ]
  run "$TT" request "$TCP" 38 consumerGroup=other
  assert_contains "no consumer for this group"
  stop c1
}

@test "broadcast: every member gets every message; a restarted one continues from its local offsets" {
  start_broker
  "$RMQ" topic create T -b "$TCP" -r 8 -w 8 >/dev/null
  seq 1 500 | "$RMQ" produce -b "$TCP" T >/dev/null
  consumer b1 -g B --broadcast --offsets-file "$T/b1.json" --format '%q %b\n' T
  consumer b2 -g B --broadcast --offsets-file "$T/b2.json" --format '%q %b\n' T
  wait_until '[ "$(lines "$T/b1.out")" -ge 500 ] && [ "$(lines "$T/b2.out")" -ge 500 ]'
  [ "$(assigned b1)" = 0,1,2,3,4,5,6,7 ]
  [ "$(assigned b2)" = 0,1,2,3,4,5,6,7 ]
  stop b1
  # the offsets are in b1's file, not on the broker
  grep -q '"brokerName": "broker-a"' "$T/b1.json"
  [ "$(grep '"offset"' "$T/b1.json" | tr -dc '0-9\n' | awk '{ s += $1 } END { print s }')" -eq 500 ]
  run "$RMQ" offsets show -b "$TCP" -g B --json T
  [[ "$output" != *'"consumerOffset":5'* ]]
  seq 501 700 | "$RMQ" produce -b "$TCP" T >/dev/null
  consumer b1 -g B --broadcast --offsets-file "$T/b1.json" --format '%q %b\n' T
  wait_until '[ "$(lines "$T/b1.out")" -ge 700 ] && [ "$(lines "$T/b2.out")" -ge 700 ]'
  stop b1
  stop b2
  for b in b1 b2; do
    [ "$(lines "$T/$b.out")" -eq 700 ]
    [ "$(cut -d' ' -f2 "$T/$b.out" | sort -nu | wc -l)" -eq 700 ]
  done
  # the heartbeat said BROADCASTING: the broker made no retry topic for the group
  run "$RMQ" topic list -b "$TCP"
  [[ "$output" != *'%RETRY%B'* ]]
}

@test "broadcast: the default offsets file is \$RMQ_HOME/offsets/GROUP.json, --offsets-file needs --broadcast" {
  start_broker
  "$RMQ" topic create T -b "$TCP" -r 2 -w 2 >/dev/null
  seq 1 10 | "$RMQ" produce -b "$TCP" T >/dev/null
  RMQ_HOME=$T/home run "$RMQ" consume -b "$TCP" -g BG --broadcast -e T
  assert_status 0
  [ "${#lines[@]}" -eq 10 ]
  [ -f "$T/home/offsets/BG.json" ]
  RMQ_HOME=$T/home run "$RMQ" consume -b "$TCP" -g BG --broadcast -e T
  assert_status 0
  [ -z "$output" ]
  run "$RMQ" consume -b "$TCP" -g BG --offsets-file "$T/x.json" -e T
  assert_status 2
}
