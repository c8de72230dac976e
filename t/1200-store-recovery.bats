#!/usr/bin/env bats
# Crash and damage recovery of the store, through the real files: write messages with
# rmq-test-tool write-store (64 KiB commitlog segments, 1000-entry consume-queue files),
# damage the files, run `rmq-test-tool recover` (rmq_store_open → recovery → clean close),
# then check with `rmq store stat/verify` that
#   - every complete record before the damage is still there, and nothing after it
#     (count and end offset computed from the write log, "phys size end queue qoff"),
#   - the store verifies clean (records, queues, index),
#   - new writes work and verify clean again.
# Recovery validates from the checkpoint's safe offset: damage below it is media damage,
# reported by `rmq store verify`, not repaired at start-up (see the last-but-two test).

load test_helper

GEO="--segment-kb 64 --cq-entries 1000"
SEG=65536

write() { "$TT" write-store "$S" "$@" $GEO --log "$T/log" >"$T/w"; }
kv() { sed -n "s/^$1=//p" "$T/w"; }
rec() { sed -n "$(($1 + 1))p" "$T/log"; }
seg_file() { printf '%s/commitlog/%020d' "$S" $(($1 / SEG * SEG)); }
# count_to CUT: "N END" — records that end at or before CUT, and where the last one ends
count_to() { awk -v c="$1" '$3 <= c { n++; e = $3 } END { print n + 0, e + 0 }' "$T/log"; }

recover() {
  run "$TT" recover "$S" $GEO "$@"
  assert_status 0
  printf '%s\n' "$output" >"$T/r"
}
rkv() { sed -n "s/^$1=//p" "$T/r"; }

# expect_store N END: the store holds exactly N records ending at END, verifies clean, and
# takes 100 more messages that verify clean too.
expect_store() {
  run "$RMQ" store stat "$S" --json
  assert_status 0
  assert_contains "\"max_offset\":$2,\"records\":$1,"
  run "$RMQ" store verify "$S"
  assert_status 0
  run "$TT" write-store "$S" 100 $GEO
  assert_status 0
  run "$RMQ" store verify "$S"
  assert_status 0
  assert_contains " $(($1 + 100)) records, 0 errors"
}

# cut_log CUT: power loss at CUT — the segment holding it is cut there, later segments
# lose everything (file length 0; the store extends them back with zeros on open)
cut_log() {
  local f s cseg=$(($1 / SEG * SEG))
  for f in "$S"/commitlog/*; do
    s=$((10#$(basename "$f")))
    if [ "$s" -gt "$cseg" ]; then "$TT" corrupt "$f" --truncate 0
    elif [ "$s" -eq "$cseg" ]; then "$TT" corrupt "$f" --truncate $(($1 - s)); fi
  done
}

setup_crashed() {
  S=$T/store
  write 20000 --keys --crash
}

# torn_tail SEED: cut the last segment at a random byte (after a crash: no checkpoint).
# Seeds 4 and 5 cut inside the properties of a record (about 30% of cut points do).
torn_tail() {
  setup_crashed
  local w last span cut
  w=$(kv written)
  last=$((10#$(ls "$S/commitlog" | tail -1)))
  span=$((w - last))
  RANDOM=$1
  cut=$((last + ((RANDOM << 15) | RANDOM) % span))
  cut_log "$cut"
  read -r n end < <(count_to "$cut")
  recover
  [ "$(rkv abnormal)" = 1 ]
  [ "$(rkv written)" = "$end" ] || { echo "cut at $cut: expected end $end ($n records), got $(rkv written)" >&2; return 1; }
  expect_store "$n" "$end"
}

@test "recovery: torn last segment, seed 1" { torn_tail 1; }
@test "recovery: torn last segment, seed 2" { torn_tail 2; }
@test "recovery: torn last segment, seed 3" { torn_tail 3; }
@test "recovery: torn last segment, seed 4" { torn_tail 4; }
@test "recovery: torn last segment, seed 5" { torn_tail 5; }

# cut_in_record K OFFSET: power loss OFFSET bytes into record K
cut_in_record() {
  setup_crashed
  read -r phys size end _ < <(rec "$1")
  cut_log $((phys + $2))
  recover
  read -r n e < <(count_to $((phys + $2)))
  [ "$n" = "$1" ]
  [ "$(rkv truncated_at)" = "$phys" ] || { echo "expected the log cut at $phys, got: $(cat "$T/r")" >&2; return 1; }
  expect_store "$n" "$e"
}

@test "recovery: power loss inside a record header" { cut_in_record 19990 6; }
@test "recovery: power loss inside a record body" { cut_in_record 19990 120; }
@test "recovery: power loss exactly at a record boundary keeps every record before it" {
  setup_crashed
  read -r phys _ < <(rec 19990)
  cut_log "$phys"
  recover
  expect_store 19990 "$phys"
}
@test "recovery: power loss that empties the last segment" {
  setup_crashed
  last=$((10#$(ls "$S/commitlog" | tail -1)))
  cut_log "$last"
  read -r n e < <(count_to "$last")
  recover
  expect_store "$n" "$e"
}

# A torn write that leaves a record's body intact but zeroes its properties, including the
# __CRC32# record CRC at their end: the body CRC cannot see it, the record CRC is gone, so
# the NUL bytes left in the properties must be what cuts the record (RocketMQ keeps such a
# record with its keys and tags destroyed; DESIGN §3).
@test "recovery: power loss inside a record's properties cuts the record" {
  cut_in_record 19990 $((84 + 4 + 100 + 1 + 9 + 2 + 10))
}

# flip_tail K WHERE: after 10000 clean messages (checkpointed) and 10000 more without a
# checkpoint, flip a bit WHERE bytes into record K (K >= 10000: after the safe offset)
flip_tail() {
  S=$T/store
  write 10000 --keys
  write 10000 --keys --crash --no-checkpoint
  read -r phys size _ < <(rec "$1")
  local at=$2
  [ "$at" -ge 0 ] || at=$((size + at))     # negative: from the record's end
  "$TT" corrupt "$(seg_file "$phys")" --bitflip $((phys % SEG + at)):5
  recover
  [ "$(rkv truncated_at)" = "$phys" ] || { echo "expected the log cut at $phys: $(cat "$T/r")" >&2; return 1; }
  expect_store "$1" "$phys"
}

@test "recovery: bit flip in a tail record's body cuts the log there" { flip_tail 15000 150; }
@test "recovery: bit flip in a tail record's queue offset (record CRC) cuts the log there" { flip_tail 17000 27; }
@test "recovery: bit flip in a tail record's properties (record CRC) cuts the log there" { flip_tail 19999 -30; }

@test "recovery: damage below the checkpoint is not repaired at start-up; verify reports it" {
  S=$T/store
  write 20000
  read -r phys _ < <(rec 3000)
  "$TT" corrupt "$(seg_file "$phys")" --bitflip $((phys % SEG + 120)):0
  recover
  [ "$(rkv truncated_at)" = -1 ]
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "record at $phys: body CRC mismatch"
  assert_contains "20000 records, 1 error"
}

# cq_damage ACTION...: clean store, damage its consume queues, recover
cq_damage() {
  S=$T/store
  write 20000 --keys
  local q=$S/consumequeue/TopicTest
  "$@"
  recover
  [ "$(rkv full_rebuild)" = 1 ]
  for i in 0 1 2 3; do grep -qx "queue TopicTest/$i 0 5000" "$T/r"; done
  expect_store 20000 "$(kv written)"
}

@test "recovery: a deleted middle consume-queue file is rebuilt" {
  cq_damage rm "$T/store/consumequeue/TopicTest/1/00000000000000040000"
}
@test "recovery: a truncated consume-queue file is rebuilt" {
  cq_damage "$TT" corrupt "$T/store/consumequeue/TopicTest/2/00000000000000020000" --truncate 1234
}
@test "recovery: a deleted queue directory is rebuilt" {
  cq_damage rm -r "$T/store/consumequeue/TopicTest/3"
}
@test "recovery: a deleted consumequeue directory is rebuilt" {
  cq_damage rm -r "$T/store/consumequeue"
}

@test "recovery: a crash (abort file left behind) keeps every record" {
  setup_crashed
  [ -e "$S/abort" ]
  recover
  [ "$(rkv abnormal)" = 1 ]
  [ "$(rkv truncated_at)" = -1 ]
  [ ! -e "$S/abort" ]
  expect_store 20000 "$(kv written)"
  recover                                    # a second start after a clean close: nothing to do
  [ "$(rkv abnormal)" = 0 ]
  [ "$(rkv redispatched)" = 0 ]
}

# Losing the *first* file of a consume queue that has several: the loaded queue starts at
# queue offset 1000. After a clean shutdown the checkpoint's count of entries present
# (sum of max - min) tells; after a crash the whole log is re-dispatched and meets queue
# offsets below the queue's minimum. Either way the queue is rebuilt from the log.
@test "recovery: a deleted first consume-queue file is rebuilt" {
  cq_damage rm "$T/store/consumequeue/TopicTest/0/00000000000000000000"
}
@test "recovery: a crash with a lost first consume-queue file keeps every record" {
  setup_crashed
  rm "$S/consumequeue/TopicTest/0/00000000000000000000"
  recover
  expect_store 20000 "$(kv written)"
}
@test "recovery: a crash with a lost consume-queue file keeps every record" {
  setup_crashed
  rm "$S/consumequeue/TopicTest/2/00000000000000060000"
  recover
  expect_store 20000 "$(kv written)"
}

# sync_power_loss SEED: SYNC_FLUSH, 300 messages in flight at the crash, power loss at a
# random point after the last acknowledged one: every acknowledged message survives
sync_power_loss() {
  S=$T/store
  write 2000 --keys --sync --batch 50 --unacked 300 --crash --no-checkpoint
  local acked written cut
  acked=$(kv acked)
  written=$(kv written)
  [ "$acked" -gt 0 ] && [ "$written" -gt "$acked" ]
  RANDOM=$1
  cut=$((acked + ((RANDOM << 15) | RANDOM) % (written - acked + 1)))
  cut_log "$cut"
  read -r n end < <(count_to "$cut")
  recover --sync
  [ "$(rkv written)" -ge "$acked" ]          # nothing acknowledged is lost
  [ "$(rkv written)" = "$end" ] || { echo "cut at $cut: expected end $end, got $(rkv written)" >&2; return 1; }
  [ "$n" -ge 2000 ]
  expect_store "$n" "$end"
}

@test "recovery: SYNC_FLUSH keeps every acknowledged message, seed 1" { sync_power_loss 1; }
@test "recovery: SYNC_FLUSH keeps every acknowledged message, seed 2" { sync_power_loss 2; }
@test "recovery: SYNC_FLUSH keeps every acknowledged message, seed 3" { sync_power_loss 3; }

# A store opened with a larger commitlog segment size than its files were written with
# (mappedFileSizeCommitLog changed in the config) is refused before anything is touched,
# as RocketMQ refuses such files.
@test "recovery: opening with another segment size fails and changes nothing" {
  S=$T/store
  write 2000
  before=$(cd "$S" && md5sum commitlog/* consumequeue/*/*/*)
  run "$TT" recover "$S" --segment-kb 1024 --cq-entries 1000
  after=$(cd "$S" && md5sum commitlog/* consumequeue/*/*/*)
  [ "$status" -eq 1 ]
  [ "$before" = "$after" ]
}
