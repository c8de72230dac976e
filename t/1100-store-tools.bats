#!/usr/bin/env bats
# rmq store verify|stat|dump on stores written by rmq-test-tool (through core/store) and by
# `rmq bench store`, clean and damaged on purpose. The damage tests name the exact record
# or entry the report must point at, computed from the write log ("phys size end queue qoff"
# per message, see rmq-test-tool write-store --log).

load test_helper

S_SEG=1048576

# write_store [write-store options]: a store at $S, its log at $T/log, key=value output in $T/w
write_store() {
  S=$T/store
  "$TT" write-store "$S" "$@" --log "$T/log" >"$T/w"
}
# rec N: "phys size end queue qoff" of message N (0-based) in write order
rec() { sed -n "$(($1 + 1))p" "$T/log"; }
# seg_file OFF: the commitlog segment holding OFF (1 MiB segments)
seg_file() { printf '%s/commitlog/%020d' "$S" $(($1 / S_SEG * S_SEG)); }
kv() { sed -n "s/^$1=//p" "$T/w"; }

@test "store: -h for the command and each subcommand prints usage and exits 0" {
  for sub in "" verify stat dump; do
    run "$RMQ" store $sub -h
    assert_status 0
    [[ "${lines[0]}" == "usage: rmq store"* ]]
  done
  run "$RMQ" help store
  assert_status 0
  assert_contains "usage: rmq store"
}

@test "store: usage errors exit 2, a missing store exits 1" {
  run "$RMQ" store;                              assert_status 2
  run "$RMQ" store frobnicate "$T";              assert_status 2
  run "$RMQ" store verify;                       assert_status 2
  run "$RMQ" store verify "$T" --bogus;          assert_status 2
  run "$RMQ" store verify "$T" extra;            assert_status 2
  run "$RMQ" store stat "$T" --quiet;            assert_status 2
  run "$RMQ" store dump "$T" --count many;       assert_status 2
  run "$RMQ" store dump "$T" --queue 1;          assert_status 2
  assert_contains "--queue needs --topic"
  run "$RMQ" store verify "$T/nope"
  assert_status 1
  assert_contains "rmq store: cannot read store directory"
}

@test "verify: a store written through the store API is clean" {
  write_store 20000 --keys
  nseg=$(ls "$S/commitlog" | wc -l)
  [ "$nseg" -ge 3 ]
  run "$RMQ" store verify "$S"
  assert_status 0
  assert_contains "commitlog: $nseg segments, 20000 records, 0 errors"
  assert_contains "consumequeue: 4 queues, 20000 entries, 0 errors"
  assert_contains "index: 1 file, 60000 entries, 0 errors"
  run "$RMQ" store verify "$S" --quiet
  assert_status 0
  [ -z "$output" ]
}

@test "verify: a store written by rmq bench store is clean" {
  run "$RMQ" bench store --dir "$T/bench" --scenario async-1k --count 20000 --segment-mb 1 --ceiling-mb 16
  assert_status 0
  run "$RMQ" store verify "$T/bench/async-1k"
  assert_status 0
  assert_contains "20000 records, 0 errors"
  assert_contains "consumequeue: 8 queues, 20000 entries, 0 errors"
  assert_contains "index: 1 file, 20000 entries, 0 errors"
}

@test "bench store: ceilings and scenarios start from the --memory regime asked for" {
  run "$RMQ" bench store --dir "$T/bench" --scenario async-1k --count 2000 --segment-mb 1 --ceiling-mb 1 --json
  assert_status 0
  jq -e '.memory == "warm" and .ceiling_write_mb_per_sec > 0 and .ratio > 0' <<<"$output" >/dev/null
  [ ! -e "$T/bench/warm.tmp" ]   # the scratch file that warms the memory is deleted again
  run "$RMQ" bench store --dir "$T/bench" --scenario async-1k --count 2000 --segment-mb 1 --ceiling-mb 1 \
    --memory cold --settle 0 --json
  assert_status 0
  jq -e '.memory == "cold" and .ratio > 0' <<<"$output" >/dev/null
  run "$RMQ" bench store --dir "$T/bench" --memory lukewarm
  assert_status 2
  assert_contains "--memory is warm or cold, not 'lukewarm'"
  for bad in -1 nan 4000; do
    run "$RMQ" bench store --dir "$T/bench" --memory cold --settle "$bad"
    assert_status 2
    assert_contains "--settle is 0 to 3600 seconds"
  done
}

@test "verify: a bit flip in a record's body is a body CRC mismatch at that record" {
  write_store 20000
  read -r phys size _ < <(rec 7000)
  f=$(seg_file "$phys")
  "$TT" corrupt "$f" --bitflip $((phys % S_SEG + 100)):3
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "commitlog/$(basename "$f"): record at $phys: body CRC mismatch"
  assert_contains "20000 records, 1 error"
  run "$RMQ" store verify "$S" --quiet
  assert_status 1
  [ "${#lines[@]}" -eq 1 ]
}

@test "verify: a bit flip in a record's properties is caught by the record CRC" {
  write_store 20000
  read -r phys size _ < <(rec 12345)
  f=$(seg_file "$phys")
  # 25 bytes before the end: inside WAIT=true, just before the __CRC32# property
  "$TT" corrupt "$f" --bitflip $((phys % S_SEG + size - 25)):1
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "commitlog/$(basename "$f"): record at $phys: record CRC mismatch"
}

@test "verify: a truncated middle segment names the file and the first torn record" {
  write_store 20000
  seg=$(ls "$S/commitlog" | sed -n 2p)
  cut=$((10#$seg + 500000))
  torn=$(awk -v c=$cut '$1 < c && $3 > c {print $1}' "$T/log")
  "$TT" corrupt "$S/commitlog/$seg" --truncate 500000
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "commitlog/$seg: file is 500000 bytes, segment size is 1048576 (truncated)"
  assert_contains "commitlog/$seg: record at $torn: bad record size"
  # the queue entries and index entries of the lost records are reported as runs
  assert_contains "points where no record starts"
}

@test "verify: damaged consume-queue entries are reported with file and entry" {
  write_store 2000
  q=$S/consumequeue/TopicTest/2/00000000000000000000
  "$TT" corrupt "$q" --bitflip $((10 * 20 + 7)):0     # entry 10: commitlog offset + 1
  "$TT" corrupt "$q" --bitflip $((20 * 20 + 19)):2    # entry 20: tag hash
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "consumequeue/TopicTest/2: entry 10: points where no record starts"
  assert_contains "consumequeue/TopicTest/2/00000000000000000000: entry 20: the record at"
  assert_contains "tag hash"
  assert_contains "consumequeue: 4 queues, 2000 entries, 2 errors"
}

@test "verify: a deleted consume-queue file shows as missing entries" {
  write_store 20000 --cq-entries 1000
  rm "$S/consumequeue/TopicTest/1/00000000000000020000"
  rm -r "$S/consumequeue/TopicTest/3"
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "consumequeue/TopicTest/1: file 00000000000000020000 is missing (later files exist)"
  assert_contains "consumequeue/TopicTest/1: queue offsets 1000..4999: no entry for the record (4000 of them"
  assert_contains "consumequeue/TopicTest/3: queue offsets 0..4999: no entry for the record (5000 of them"
  assert_contains "first: its queue does not exist"
}

@test "verify: non-zero bytes after the end of the log are garbage" {
  write_store 100
  end=$(kv written)
  "$TT" corrupt "$(seg_file "$end")" --bitflip $((end % S_SEG + 1000)):0
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "garbage after end of log at $((end + 1000))"
}

@test "verify: damaged index entries are reported" {
  write_store 100 --keys
  ix=$(ls "$S"/index/*)
  base=$((40 + 20000 * 4))                             # header + slot table (20000 slots)
  "$TT" corrupt "$ix" --bitflip $((base + 5 * 20 + 11)):0   # entry 5: phyOffset + 1
  "$TT" corrupt "$ix" --bitflip $((base + 7 * 20 + 3)):4    # entry 7: keyHash
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "index/$(basename "$ix"): entry 5: phyOffset is not a record start"
  assert_contains "index/$(basename "$ix"): entry 7: keyHash"
  assert_contains "matches no key of the record"
}

@test "verify, stat and dump never modify a crashed store" {
  write_store 5000 --crash --keys
  before=$(cd "$S" && find . -printf '%p %s %m\n' | sort; md5sum $(find . -type f | sort))
  run "$RMQ" store verify "$S";  assert_status 0
  run "$RMQ" store stat "$S";    assert_status 0
  assert_contains "abort file  present"
  run "$RMQ" store dump "$S" --count 10; assert_status 0
  after=$(cd "$S" && find . -printf '%p %s %m\n' | sort; md5sum $(find . -type f | sort))
  [ "$before" = "$after" ]
}

@test "verify: --commitlog reads a commitlog kept outside the store" {
  write_store 3000
  mv "$S/commitlog" "$T/elsewhere"
  run "$RMQ" store verify "$S"
  assert_status 1
  assert_contains "cannot read commitlog directory"
  run "$RMQ" store verify "$S" --commitlog "$T/elsewhere"
  assert_status 0
  assert_contains "3000 records, 0 errors"
}

@test "stat: segments, offsets, checkpoint, abort file and queue counts" {
  write_store 1000 --topic TopicA
  write_store 500 --topic TopicB --queues 2 --crash
  end=$(kv written)
  run "$RMQ" store stat "$S" --json
  assert_status 0
  assert_contains "\"max_offset\":$end,\"records\":1500"
  assert_contains '"TopicA":{"messages":1000'
  assert_contains '{"queue_id":3,"min":0,"max":250,"messages":250}'
  assert_contains '"TopicB":{"messages":500'
  assert_contains '{"queue_id":1,"min":0,"max":250,"messages":250}'
  assert_contains '"abort_file":true'
  run "$RMQ" store stat "$S"
  assert_status 0
  assert_contains "offsets 0..$end, 1500 records"
  assert_contains "abort file  present"
  assert_contains "queues      6 queues, 1500 messages"
  [[ "$output" =~ TopicB\ +1\ +0\ +250\ +250 ]]
  run "$TT" recover "$S"                       # clean close: abort file gone
  assert_status 0
  run "$RMQ" store stat "$S" --json
  assert_contains '"abort_file":false'
  assert_contains "\"checkpoint\":{\"valid\":true,\"flushed\":$end,\"safe\":$end,\"clean\":true"
}

@test "dump: bodies round trip exactly, as text and as escaped JSON" {
  printf 'he said "hi"\nbye\ttab \xc3\xa9 \\ end' >"$T/b1"
  printf '\xff\xfe\x00bin\x01' >"$T/b2"
  write_store 1 --body-file "$T/b1" --topic Txt
  write_store 1 --body-file "$T/b2" --topic Bin
  write_store 1 --body "plain body line" --topic Plain --keys
  run "$RMQ" store dump "$S" --json
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
  assert_contains '"body":"he said \"hi\"\nbye\ttab é \\ end"'
  assert_contains "\"body_base64\":\"$(base64 -w0 "$T/b2")\""
  assert_contains '"keys":"k0 kb0","tags":"Tag0"'
  run "$RMQ" store dump "$S" --topic Plain
  assert_status 0
  assert_contains "body: 15 bytes"
  assert_contains "keys: k0 kb0"
  [[ "$output" == *$'\nplain body line' ]]   # run drops the trailing blank line
  run "$RMQ" store dump "$S" --topic Txt
  [[ "$output" == *$'he said "hi"\nbye\ttab \xc3\xa9 \\ end'* ]]
}

@test "dump: --topic, --queue, --from and --count select messages" {
  write_store 400 --topic TopicA
  write_store 300 --topic TopicB --queues 3
  run "$RMQ" store dump "$S" --topic TopicB --json
  assert_status 0
  [ "${#lines[@]}" -eq 300 ]
  [ "$(grep -c '"topic":"TopicB"' <<<"$output")" -eq 300 ]
  run "$RMQ" store dump "$S" --topic TopicA --queue 2 --from 40 --count 5 --json
  assert_status 0
  [ "${#lines[@]}" -eq 5 ]
  [[ "${lines[0]}" == *'"queue_id":2,"queue_offset":40,'* ]]
  [[ "${lines[4]}" == *'"queue_id":2,"queue_offset":44,'* ]]
  read -r phys _ < <(rec 10)        # the 11th message written (TopicA)
  run "$RMQ" store dump "$S" --from "$phys" --count 3 --json
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[0]}" == *"\"commitlog_offset\":$phys,"* ]]
  run "$RMQ" store dump "$S" --from $((phys + 1))
  assert_status 1
  assert_contains "no record starts at offset $((phys + 1))"
  run "$RMQ" store dump "$S" --topic Nope
  assert_status 1
  assert_contains "no consume queue for topic 'Nope'"
}

@test "dump: LZ4 frame and zlib bodies are decompressed" {
  body=$(printf 'compress me %.0s' $(seq 200))
  write_store 2 --lz4 --body "$body" --topic Lz
  write_store 1 --zlib --body "$body" --topic Zl
  run "$RMQ" store verify "$S"
  assert_status 0
  run "$RMQ" store dump "$S" --json
  assert_status 0
  [ "${#lines[@]}" -eq 3 ]
  for l in "${lines[@]}"; do
    [[ "$l" == *"\"body_size\":${#body},\"body\":\"$body\""* ]]
  done
  [[ "${lines[0]}" == *'"compression":"lz4"'* ]]
  [[ "${lines[2]}" == *'"compression":"zlib"'* ]]
  run "$RMQ" store dump "$S" --topic Lz --count 1
  assert_contains "body: ${#body} bytes (lz4-compressed)"
}

@test "dump: a body that cannot be decompressed is printed raw with a note" {
  write_store 1 --fake-compressed 1 --body "not really lz4" --topic F1
  write_store 1 --fake-compressed 2 --body "zstd is not built in" --topic F2
  run "$RMQ" store dump "$S" --json
  assert_status 0
  assert_contains '"body":"not really lz4","note":"cannot decompress lz4 body:'
  assert_contains '"body":"zstd is not built in","note":"cannot decompress zstd body: compression type 2 is not supported"'
  run "$RMQ" store dump "$S" --topic F1
  assert_contains "note: cannot decompress lz4 body"
  assert_contains "not really lz4"
}

@test "dump: damaged records are shown with a note and reported on stderr" {
  write_store 50
  read -r phys size _ < <(rec 20)
  "$TT" corrupt "$(seg_file "$phys")" --bitflip $((phys % S_SEG + 100)):0
  run "$RMQ" store dump "$S" --json
  assert_status 1
  assert_contains "rmq store: commitlog/00000000000000000000: record at $phys: body CRC mismatch"
  assert_contains '"note":"damaged: body CRC mismatch'
}
