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
