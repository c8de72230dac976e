# Shared by every t/*.bats file. Each test gets a private temp dir ($T) removed at the end,
# and daemons started with start_daemon are stopped by PID even when the test fails.
RMQ=${RMQ_BIN:-$BATS_TEST_DIRNAME/../rmq}
TT=${RMQ_TEST_TOOL:-$BATS_TEST_DIRNAME/../build/rmq-test-tool}

setup() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/rmq-test.XXXXXX")
  RMQ_PIDS=()
}

teardown() {
  local pid
  for pid in "${RMQ_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null && { for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; kill -KILL "$pid" 2>/dev/null; }
  done
  rm -rf "$T"
}

# wait_for CMD [ARGS...]: runs CMD every 0.1 s until it succeeds, up to 10 s; then once
# more, so a failure shows its own output
wait_for() {
  for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
  "$@"
}

# wait_until 'EXPR' [TRIES]: the same for a shell expression (eval), up to TRIES (600)
# tenths of a second
wait_until() {
  local i
  for i in $(seq "${2:-600}"); do
    eval "$1" && return 0
    sleep 0.1
  done
  echo "timed out waiting for: $1" >&2
  return 1
}

# routed_on N TOPIC: the name server's route of TOPIC names N brokers
routed_on() { [ "$("$RMQ" topic route -n "$NSADDR" "$2" 2>/dev/null | grep -c ' RW- *$')" -eq "$1" ]; }

# Fails the test when the last `run` ended by a signal (crash), even if failure was expected.
refute_signal() {
  if [ "$status" -ge 128 ]; then
    echo "command died by signal $((status - 128)): $output" >&2
    return 1
  fi
}

# assert_status N: the last `run` exited with N (and did not crash).
assert_status() {
  refute_signal || return 1
  if [ "$status" -ne "$1" ]; then
    echo "expected exit $1, got $status; output:" >&2
    echo "$output" >&2
    return 1
  fi
}

# assert_contains STR: the output of the last `run` contains STR.
assert_contains() {
  if [[ "$output" != *"$1"* ]]; then
    echo "expected output to contain: $1" >&2
    echo "output was: $output" >&2
    return 1
  fi
}

# start_broker [extra conf lines...]: a broker with its store in $T/store on a random free
# port and the Unix socket $T/b.sock; sets PORT, SOCK, TCP, UNIX and BPID (stopped by
# teardown). Waits for its "ready" line; a port someone else took is tried again with
# another. On failure the broker's log goes to stderr.
start_broker() {
  launch_broker broker-a "$T/store" "$T/b.sock" "$T/b.conf" "$T/broker.log" "$@"
}

# wait_ready LOG PID: up to 10 s for the daemon's "ready on" line; 1 when it died first.
wait_ready() {
  for _ in $(seq 200); do
    grep -q " ready on " "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# launch_broker NAME STORE SOCK CONF LOG [conf lines...]: what start_broker and
# start_named_broker share: a random port (another one when it was taken), the config
# written to CONF, the broker's output in LOG.
launch_broker() {
  local name=$1 store=$2 conf=$4 log=$5 try
  SOCK=$3
  UNIX=unix:$SOCK
  shift 5
  for try in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 20000))
    TCP=127.0.0.1:$PORT
    { echo "storePathRootDir=$store"; echo "listenPort=$PORT"; echo "unixSocketPath=$SOCK"
      echo "brokerIP1=127.0.0.1"; echo "brokerName=$name"; printf '%s\n' "$@"; } >"$conf"
    "$RMQ" broker -c "$conf" >"$log" 2>&1 &
    BPID=$!
    RMQ_PIDS+=("$BPID")
    wait_ready "$log" "$BPID" && return 0
    grep -qi "in use" "$log" || break
  done
  cat "$log" >&2
  return 1
}

# stop_broker: SIGTERM and wait (up to 10 s) for a clean exit.
stop_broker() {
  kill -TERM "$BPID"
  for _ in $(seq 200); do kill -0 "$BPID" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}

# start_namesrv [extra conf lines...]: a name server on a random free port and the Unix socket
# $T/ns-PORT.sock; sets NSPORT, NSADDR (127.0.0.1:NSPORT), NSSOCK, NSLOG and NSPID (stopped by
# teardown). May be called several times (each call overwrites the variables). Waits for its
# "ready" line; on failure its log goes to stderr.
start_namesrv() {
  local try
  for try in 1 2 3 4 5; do
    NSPORT=$((20000 + RANDOM % 20000))
    NSADDR=127.0.0.1:$NSPORT
    NSSOCK=$T/ns-$NSPORT.sock
    NSLOG=$T/namesrv-$NSPORT.log
    { echo "listenPort=$NSPORT"; echo "unixSocketPath=$NSSOCK"; printf '%s\n' "$@"; } >"$T/ns-$NSPORT.conf"
    "$RMQ" namesrv -c "$T/ns-$NSPORT.conf" >"$NSLOG" 2>&1 &
    NSPID=$!
    RMQ_PIDS+=("$NSPID")
    wait_ready "$NSLOG" "$NSPID" && return 0
    grep -qi "in use" "$NSLOG" || break
  done
  cat "$NSLOG" >&2
  return 1
}

# stop_namesrv [PID]: SIGTERM (to NSPID by default) and wait up to 10 s for the exit.
stop_namesrv() {
  local pid=${1:-$NSPID}
  kill -TERM "$pid"
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}

# start_named_broker NAME [extra conf lines...]: like start_broker, for one of several brokers:
# store $T/NAME, socket $T/NAME.sock, log $T/NAME.log, brokerName=NAME; sets PORT, TCP, SOCK,
# UNIX and BPID for it. Pass namesrvAddr=... among the extra lines to register it (then it
# returns once the broker registered with one of them).
start_named_broker() {
  local name=$1 arg
  shift
  launch_broker "$name" "$T/$name" "$T/$name.sock" "$T/$name.conf" "$T/$name.log" "$@" || return 1
  # with a name server, clients can route to it only once it registered: wait for that
  # (or for its first failure to, when a test gives it a name server that is down)
  for arg in "$@"; do
    case $arg in namesrvAddr=?*)
      for _ in $(seq 200); do
        grep -q "registered with name server\|cannot register with name server" "$T/$name.log" && return 0
        sleep 0.05
      done
      echo "$name did not register with $arg" >&2
      cat "$T/$name.log" >&2
      return 1 ;;
    esac
  done
}

# wait_for_messages GROUP TOPIC N: consumes TOPIC as GROUP (-e, JSON lines into $T/got.json,
# which starts empty) until N messages came, for up to 10 s; on failure says what the queues
# hold and shows the broker's log. Uses $UNIX (start_broker).
wait_for_messages() {
  local got=0
  : >"$T/got.json"
  for _ in $(seq 100); do
    "$RMQ" consume -b "$UNIX" -g "$1" --exit-at-end --json "$2" >>"$T/got.json"
    got=$(wc -l <"$T/got.json")
    [ "$got" -ge "$3" ] && return 0
    sleep 0.1
  done
  echo "only $got of $3 messages in $2" >&2
  "$RMQ" topic status SCHEDULE_TOPIC_XXXX -b "$UNIX" >&2
  "$RMQ" topic status "$2" -b "$UNIX" >&2
  cat "$T/broker.log" >&2
  return 1
}
