#!/usr/bin/env bats
# rmq config: the shipped templates load, bad files are refused with exact file:line
# messages, -p shows the effective values.

load test_helper

ETC=$BATS_TEST_DIRNAME/../etc

# check FILE [options]: runs `rmq config check` from $T so messages name a short path
check() {
  cd "$T" && run "$RMQ" config check "$@"
}

@test "config: every file under etc/ loads without errors or warnings" {
  local f n=0
  for f in $(cd "$ETC" && find . -type f \( -name '*.conf' -o -name '*.properties' \) | sort); do
    f=${f#./}
    if [ "$f" = namesrv.conf ]; then
      run "$RMQ" config check --namesrv "$ETC/$f"
    else
      run "$RMQ" config check "$ETC/$f"
    fi
    assert_status 0
    [ "$output" = "rmq config: $ETC/$f: ok" ] || { echo "$f: $output" >&2; return 1; }
    n=$((n + 1))
  done
  [ "$n" -eq 15 ]
}

@test "config: the defaults shown commented out in etc/*.conf are valid values" {
  # "#key=value" lines with a value, uncommented
  sed -n 's/^#\([a-zA-Z][a-zA-Z0-9]*=..*\)$/\1/p' "$ETC/broker.conf" >"$T/b.conf"
  [ "$(wc -l <"$T/b.conf")" -gt 40 ]
  check b.conf
  assert_status 0
  [ "$output" = "rmq config: b.conf: ok" ]
  sed -n 's/^#\([a-zA-Z][a-zA-Z0-9]*=..*\)$/\1/p' "$ETC/namesrv.conf" >"$T/n.conf"
  check --namesrv n.conf
  assert_status 0
  [ "$output" = "rmq config: n.conf: ok" ]
}

@test "config: every key of the table is documented in etc/broker.conf and etc/namesrv.conf" {
  local key missing=""
  "$RMQ" config defaults >"$T/defaults"
  "$RMQ" config defaults --namesrv >"$T/ns-defaults"
  for key in $(sed -n 's/^#\([a-zA-Z0-9]*\)=.*/\1/p' "$T/defaults"); do
    grep -qE "^#? ?$key ?=" "$ETC/broker.conf" || missing="$missing $key"
  done
  for key in $(sed -n 's/^#\([a-zA-Z0-9]*\)=.*/\1/p' "$T/ns-defaults"); do
    grep -qE "^#? ?$key ?=" "$ETC/namesrv.conf" || missing="$missing namesrv:$key"
  done
  [ -z "$missing" ] || { echo "undocumented:$missing" >&2; return 1; }
}

@test "config: brokerRole=MASTERX is refused with file:line and the accepted values" {
  printf 'brokerClusterName=c\nbrokerName=b\nbrokerRole=MASTERX\n' >"$T/broker.conf"
  check broker.conf
  assert_status 1
  [ "${lines[0]}" = "rmq config: broker.conf:3: brokerRole: invalid value 'MASTERX' (expected ASYNC_MASTER, SYNC_MASTER or SLAVE)" ]
  [ "${lines[1]}" = "rmq config: broker.conf: 1 error" ]
  [ "${#lines[@]}" -eq 2 ]
}

@test "config: listenPort=abc is refused" {
  printf '# comment\nlistenPort=abc\n' >"$T/broker.conf"
  check broker.conf
  assert_status 1
  [ "${lines[0]}" = "rmq config: broker.conf:2: listenPort: invalid value 'abc' (expected an integer from 0 to 65535)" ]
}

@test "config: a negative size is refused (old spelling too)" {
  printf 'mapedFileSizeCommitLog=-1\n' >"$T/broker.conf"
  check broker.conf
  assert_status 1
  [ "${lines[0]}" = "rmq config: broker.conf:1: mapedFileSizeCommitLog: value '-1' out of range (expected an integer from 4096 to 2147483647)" ]
}

@test "config: a bad boolean and an empty required value are refused" {
  printf 'autoCreateTopicEnable=yes\nbrokerName=\n' >"$T/broker.conf"
  check broker.conf
  assert_status 1
  [ "${lines[0]}" = "rmq config: broker.conf:1: autoCreateTopicEnable: invalid value 'yes' (expected true or false)" ]
  [ "${lines[1]}" = "rmq config: broker.conf:2: brokerName: empty value (expected a non-empty value)" ]
}

@test "config: every error is reported, not only the first" {
  printf 'brokerRole=X\nlistenPort=abc\nfoo=1\nflushDiskType=SYNC\nnot a pair\n' >"$T/broker.conf"
  check broker.conf
  assert_status 1
  [ "${lines[0]}" = "rmq config: broker.conf:1: brokerRole: invalid value 'X' (expected ASYNC_MASTER, SYNC_MASTER or SLAVE)" ]
  [ "${lines[1]}" = "rmq config: broker.conf:2: listenPort: invalid value 'abc' (expected an integer from 0 to 65535)" ]
  [ "${lines[2]}" = "rmq config: warning: broker.conf:3: unknown key 'foo'" ]
  [ "${lines[3]}" = "rmq config: broker.conf:4: flushDiskType: invalid value 'SYNC' (expected ASYNC_FLUSH or SYNC_FLUSH)" ]
  [ "${lines[4]}" = "rmq config: broker.conf:5: expected 'key=value', got 'not a pair'" ]
  [ "${lines[5]}" = "rmq config: broker.conf: 4 errors" ]
}

@test "config: an unknown key is a warning and the file still loads" {
  printf 'brokerName=b\nlistenport=10911\n' >"$T/broker.conf"
  check broker.conf
  assert_status 0
  [ "${lines[0]}" = "rmq config: warning: broker.conf:2: unknown key 'listenport'" ]
  [ "${lines[1]}" = "rmq config: broker.conf: ok" ]
}

@test "config: a missing file is a clear error" {
  check nope.conf
  assert_status 1
  [ "$output" = "rmq config: cannot open 'nope.conf': No such file or directory" ]
}

@test "config: -p prints the effective values, derived ones included" {
  printf 'storePathRootDir=%s/store\nbrokerName: b\n' "$T" >"$T/broker.conf"
  cd "$T" && "$RMQ" config check -p broker.conf >"$T/out" 2>"$T/err"
  grep -qx "listenPort=10911" "$T/out"
  grep -qx "haListenPort=10912" "$T/out"
  grep -qx "brokerName=b" "$T/out"
  grep -qx "storePathCommitLog=$T/store/commitlog" "$T/out"
  grep -qx "storePathConsumeQueue=$T/store/consumequeue" "$T/out"
  grep -qx "unixSocketPath=$T/store/rmq.sock" "$T/out"
  grep -qx "brokerRole=ASYNC_MASTER" "$T/out"
  grep -qx "mappedFileSizeCommitLog=1073741824" "$T/out"
  grep -qx "deleteWhen=04" "$T/out"
  [ "$(grep -c kvConfigPath "$T/out")" -eq 0 ]
  [ "$(cat "$T/err")" = "rmq config: broker.conf: ok" ]   # the ok line goes to stderr
  [ "$(grep -cv "^[A-Za-z0-9]*=" "$T/out")" -eq 0 ]   # nothing but key=value
}

@test "config: -m prints only the important keys; options may follow FILE" {
  printf 'brokerName=b\n' >"$T/broker.conf"
  cd "$T" && "$RMQ" config check broker.conf --important >"$T/out" 2>/dev/null
  grep -qx "brokerName=b" "$T/out"
  grep -qx "listenPort=10911" "$T/out"
  [ "$(grep -c maxFrameSize "$T/out")" -eq 0 ]
}

@test "config: -o overrides the file; NAMESRV_ADDR is used only when the file has none" {
  printf 'listenPort=20911\n' >"$T/broker.conf"
  cd "$T" && NAMESRV_ADDR=10.0.0.9:9876 "$RMQ" config check -p -o listenPort=30911 broker.conf >"$T/out" 2>/dev/null
  grep -qx "listenPort=30911" "$T/out"
  grep -qx "haListenPort=30912" "$T/out"
  grep -qx "namesrvAddr=10.0.0.9:9876" "$T/out"
  printf 'namesrvAddr=127.0.0.1:9876\n' >"$T/broker.conf"
  NAMESRV_ADDR=10.0.0.9:9876 "$RMQ" config check -p broker.conf >"$T/out" 2>/dev/null
  grep -qx "namesrvAddr=127.0.0.1:9876" "$T/out"
  check -o brokerRole=BOSS broker.conf
  assert_status 1
  [ "${lines[0]}" = "rmq config: -o brokerRole=BOSS: brokerRole: invalid value 'BOSS' (expected ASYNC_MASTER, SYNC_MASTER or SLAVE)" ]
}

@test "config: the daemons take -n and -o after the file, and name a bad -o" {
  printf 'listenPort=20911\n' >"$T/broker.conf"
  cd "$T" && "$RMQ" broker -c broker.conf -n 10.0.0.1:9876 -o listenPort=30911 -p >"$T/out"
  grep -qx "listenPort=30911" "$T/out"
  grep -qx "namesrvAddr=10.0.0.1:9876" "$T/out"
  "$RMQ" namesrv -o listenPort=9877 -p | grep -qx "listenPort=9877"
  run "$RMQ" broker -c broker.conf -o listenPort=abc
  assert_status 1
  [ "${lines[0]}" = "rmq broker: -o listenPort=abc: listenPort: invalid value 'abc' (expected an integer from 0 to 65535)" ]
  run "$RMQ" namesrv -o =9877
  assert_status 2
  [ "${lines[0]}" = "rmq namesrv: -o wants KEY=VALUE, not '=9877'" ]
}

@test "config: start-up rules are checked (a SLAVE needs brokerId > 0)" {
  printf 'brokerName=b\nbrokerRole=SLAVE\n' >"$T/broker.conf"
  check broker.conf
  assert_status 1
  [ "${lines[0]}" = "rmq config: broker.conf:2: brokerRole: a SLAVE needs brokerId > 0 (brokerId is 0)" ]
}

@test "config: --namesrv uses the name server's defaults and warns about broker keys" {
  printf 'brokerRole=SLAVE\n' >"$T/namesrv.conf"
  cd "$T" && HOME=/home/u "$RMQ" config check --namesrv -p namesrv.conf >"$T/out" 2>"$T/err"
  grep -qx "listenPort=9876" "$T/out"
  grep -qx "unixSocketPath=/home/u/namesrv/rmq-namesrv.sock" "$T/out"
  grep -qx "kvConfigPath=/home/u/namesrv/kvConfig.json" "$T/out"
  grep -qx "rmq config: warning: namesrv.conf:1: 'brokerRole' is a broker key; ignored" "$T/err"
}

@test "config: usage" {
  run "$RMQ" config -h
  assert_status 0
  [[ "${lines[0]}" == "usage: rmq config"* ]]
  run "$RMQ" config
  assert_status 2
  run "$RMQ" config check
  assert_status 2
  assert_contains "missing FILE"
  run "$RMQ" config check --bogus x.conf
  assert_status 2
  run "$RMQ" config frobnicate
  assert_status 2
  run "$RMQ" config defaults
  assert_status 0
  assert_contains "#listenPort=10911"
}
