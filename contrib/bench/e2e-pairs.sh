#!/bin/sh
# e2e-pairs.sh DIR RUNS — end-to-end latency of Redis Streams and rmq, alternated in pairs.
# Each pair: redis-server started as the peers harness starts it (fresh dir, AOF everysec,
# no rewrite) measured by its `bench_redis lat`, then a fresh rmq broker and store measured
# by `rmq bench e2e`, both at RATE msgs/s (10000) of 1 KiB for DUR seconds (10) after one
# second of warm-up that neither counts. PEERS (env): a built copy of ../shared/bench/peers
# (default /tmp/peers); REDIS_PORT (env) 26379; E2E_ARGS (env) is added to rmq's command
# (e.g. "-b unix:SOCK"; SOCK is the broker's Unix socket). SERVER_CPUS / CLIENT_CPUS (env):
# taskset CPU lists for the servers and the bench clients (both systems alike), to take the
# scheduler's placement out of the comparison. Prints each run and the medians.
set -eu
DIR=${1:?usage: e2e-pairs.sh DIR RUNS}; RUNS=${2:?usage: e2e-pairs.sh DIR RUNS}
RMQ=${RMQ:-$(dirname "$0")/../../rmq}
PEERS=${PEERS:-/tmp/peers}
RATE=${RATE:-10000}; DUR=${DUR:-10}
PORT=${PORT:-29941}; REDIS_PORT=${REDIS_PORT:-26379}
S_PIN=; C_PIN=
[ -n "${SERVER_CPUS:-}" ] && S_PIN="taskset -c $SERVER_CPUS"
[ -n "${CLIENT_CPUS:-}" ] && C_PIN="taskset -c $CLIENT_CPUS"
. "$(dirname "$0")/broker.sh"   # BPID is the Redis server's too while it runs
BROKER_PIN=$S_PIN
[ -x "$PEERS/bench_redis" ] || { echo "no $PEERS/bench_redis: copy ../shared/bench/peers there and make" >&2; exit 1; }

wait_log() {   # wait_log FILE PATTERN
  for _ in $(seq 500); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done
  echo "not started: $1" >&2; cat "$1" >&2; exit 1
}

redis_run() {   # redis_run I: p50 p99 p999 into $DIR/redis.I
  rm -rf "$DIR/redis"; mkdir -p "$DIR/redis"
  $S_PIN redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DIR/redis" --appendonly yes \
    --appendfsync everysec --save '' --auto-aof-rewrite-percentage 0 --daemonize no \
    --logfile "$DIR/redis/redis.log" >/dev/null 2>&1 &
  BPID=$!
  wait_log "$DIR/redis/redis.log" "Ready to accept connections"
  $C_PIN "$PEERS/bench_redis" lat -p "$REDIS_PORT" -s 1024 -r "$RATE" -d "$DUR" -W 1 -b 1000 |
    sed -n 's/.* p50_us=\([0-9.]*\) .* p99_us=\([0-9.]*\) p999_us=\([0-9.]*\) .*/\1 \2 \3/p' >"$DIR/redis.$1"
  stop_broker
}

rmq_run() {   # rmq_run I: p50 p99 p999 into $DIR/rmq.I
  start_broker "$RMQ"
  # shellcheck disable=SC2046
  $C_PIN "$RMQ" bench e2e -b "127.0.0.1:$PORT" --rate "$RATE" --duration "$DUR" --warmup 1 \
    $(echo "${E2E_ARGS:-}" | sed "s|SOCK|$DIR/b.sock|g") --json |
    jq -r '"\(.p50_us) \(.p99_us) \(.p999_us)"' >"$DIR/rmq.$1"
  stop_broker
}

mkdir -p "$DIR"
rm -f "$DIR"/redis.* "$DIR"/rmq.*
i=1
while [ "$i" -le "$RUNS" ]; do
  redis_run "$i"; echo "redis $i: p50/p99/p999 us $(cat "$DIR/redis.$i")"
  rmq_run "$i";   echo "rmq   $i: p50/p99/p999 us $(cat "$DIR/rmq.$i")"
  i=$((i + 1))
done
for sys in redis rmq; do
  printf '%-5s median' "$sys"
  for col in 1 2 3; do
    printf ' %s' "$(cat "$DIR/$sys".* | awk -v c=$col '{print $c}' | sort -n |
      awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')"
  done
  echo " (p50 p99 p999 us)"
done
