# broker.sh — sourced by the benchmark scripts here: a broker on a fresh store under $DIR,
# on 127.0.0.1:$PORT and $DIR/b.sock, stopped by PID when the script exits.
# BROKER_PIN (optional) prefixes its command, e.g. "taskset -c 0".
BPID=
trap '[ -n "$BPID" ] && kill "$BPID" 2>/dev/null || true' EXIT

start_broker() {   # start_broker BIN [conf lines...]; CONF (env): more lines, ';'-separated
  _bin=$1; shift
  rm -rf "$DIR/store" "$DIR/b.sock"; mkdir -p "$DIR"
  { printf '%s\n' "storePathRootDir=$DIR/store" "listenPort=$PORT" "unixSocketPath=$DIR/b.sock" \
      "brokerIP1=127.0.0.1" "brokerName=broker-a" "$@"
    echo "${CONF:-}" | tr ';' '\n'; } >"$DIR/b.conf"
  ${BROKER_PIN:-} "$_bin" broker -c "$DIR/b.conf" >"$DIR/broker.log" 2>&1 &
  BPID=$!
  for _ in $(seq 500); do grep -q " ready on " "$DIR/broker.log" && return 0; sleep 0.01; done
  echo "broker did not start" >&2; cat "$DIR/broker.log" >&2; exit 1
}

stop_broker() { kill -TERM "$BPID"; wait "$BPID" 2>/dev/null || true; BPID=; }
