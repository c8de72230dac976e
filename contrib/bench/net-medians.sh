#!/bin/sh
# net-medians.sh DIR [SECONDS] — rmq bench produce/consume/e2e against a local broker,
# 3 runs each over TCP and over the Unix socket; prints every run's JSON and the medians.
# Each scenario gets a fresh broker and store under DIR (deleted first). Also measures the
# broker's start-to-ready time on an empty store and its idle RSS.
set -eu
DIR=${1:?usage: net-medians.sh DIR [SECONDS]}
SECS=${2:-3}
RMQ=${RMQ:-$(dirname "$0")/../../rmq}
PORT=${PORT:-29911}
. "$(dirname "$0")/broker.sh"

med() {  # med NAME FIELD: median [min–max] of FIELD over $DIR/NAME.*.json
  jq -s -r --arg f "$2" 'map(.[$f]) | sort | "\(.[1]|floor) [\(.[0]|floor)–\(.[2]|floor)]"' "$DIR"/"$1".*.json
}

scenario() {   # scenario NAME CONF -- bench args (ADDR substituted)
  name=$1; conf=$2; shift 3
  for t in tcp unix; do
    start_broker "$RMQ" $conf
    if [ $t = tcp ]; then addr=127.0.0.1:$PORT; else addr=unix:$DIR/b.sock; fi
    for i in 1 2 3; do
      case "$1" in
      consume)   # fill the topic, then read it all back
        "$RMQ" bench produce -b "$addr" --count 2000000 --batch 32 >/dev/null
        "$RMQ" bench consume -b "$addr" --count 2000000 --json >"$DIR/$name-$t.$i.json" ;;
      *) "$RMQ" bench "$@" -b "$addr" --json >"$DIR/$name-$t.$i.json" ;;
      esac
      cat "$DIR/$name-$t.$i.json"
      [ "$1" = consume ] && { stop_broker; start_broker "$RMQ" $conf; }
    done
    stop_broker
    printf '== %s %s: msgs/s %s, MB/s %s, p50 %s us, p99 %s us, p999 %s us\n' "$name" "$t" \
      "$(med "$name-$t" msgs_per_sec)" "$(med "$name-$t" mb_per_sec)" "$(med "$name-$t" p50_us)" \
      "$(med "$name-$t" p99_us)" "$(med "$name-$t" p999_us)" | tee -a "$DIR/summary"
  done
}

rm -f "$DIR/summary"
scenario produce-1k  "" -- produce --duration "$SECS"
scenario produce-128 "" -- produce --duration "$SECS" --size 128
scenario batch32-1k  "" -- produce --duration "$SECS" --batch 32
scenario consume-1k  "" -- consume
scenario e2e-10k     "" -- e2e --rate 10000 --duration 10
scenario sync-1k     "flushDiskType=SYNC_FLUSH" -- produce --duration "$SECS"

# start-to-ready on an empty store: from the fork to the first accepted connection on the
# Unix socket (polled every 100 us), then idle RSS one second later
for i in 1 2 3; do
  rm -rf "$DIR/store" "$DIR/b.sock"
  python3 - "$RMQ" "$DIR" <<'PY' | tee -a "$DIR/summary"
import os, socket, subprocess, sys, time
rmq, d = sys.argv[1], sys.argv[2]
log = open(d + "/broker.log", "w")
t0 = time.monotonic()
p = subprocess.Popen([rmq, "broker", "-c", d + "/b.conf"], stdout=log, stderr=log)
while True:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(d + "/b.sock"); break
    except OSError:
        time.sleep(0.0001)
    finally:
        s.close()
t1 = time.monotonic()
time.sleep(1)
rss = open("/proc/%d/status" % p.pid).read().split("VmRSS:")[1].split()[0]
print("ready %.1f ms after start (empty store), idle RSS %s KiB" % ((t1 - t0) * 1e3, rss))
p.terminate(); p.wait()
PY
done
cat "$DIR/summary"
