#!/bin/sh
# ab.sh DIR RUNS BIN_A BIN_B -- BENCH ARGS — A/B of two rmq binaries on one bench scenario.
# Runs A and B alternately RUNS times each, every run against a fresh broker and store
# started by the binary under test (the bench client is always BIN_B, so only the broker
# differs). ADDR in the bench args is replaced by the broker's address; use unix:SOCK for
# the Unix socket. Prints every run's JSON and "A/B: median [min–max]" per field.
# CONF (env) adds broker config lines, ';'-separated. PRE (env) is a bench command run
# before each measured one (e.g. to fill the topic for a consume run). B_UNIX=1 (env) makes
# ADDR mean the Unix socket on side B: TCP against Unix with the same binary as A and B.
set -eu
DIR=${1:?usage: ab.sh DIR RUNS BIN_A BIN_B -- bench args}; RUNS=$2; A=$3; B=$4; shift 5
PORT=${PORT:-29931}
. "$(dirname "$0")/broker.sh"
sub() {   # uses $side
  for a in "$@"; do
    case $a in
    ADDR) if [ "$side" = B ] && [ -n "${B_UNIX:-}" ]; then echo "unix:$DIR/b.sock"; else echo "127.0.0.1:$PORT"; fi ;;
    SOCK) echo "unix:$DIR/b.sock" ;;
    *) echo "$a" ;;
    esac
  done
}
rm -f "$DIR"/A.*.json "$DIR"/B.*.json
i=1
while [ $i -le "$RUNS" ]; do
  for side in A B; do
    if [ $side = A ]; then bin=$A; else bin=$B; fi
    start_broker "$bin"
    # shellcheck disable=SC2046
    [ -n "${PRE:-}" ] && "$B" bench $(sub $PRE) >/dev/null
    # shellcheck disable=SC2046
    "$B" bench $(sub "$@") --json >"$DIR/$side.$i.json"
    stop_broker
    printf '%s %s ' "$side" "$i"; cat "$DIR/$side.$i.json"
  done
  i=$((i + 1))
done
for f in msgs_per_sec p50_us p99_us p999_us max_us; do
  for side in A B; do
    printf '%s %s: ' "$side" "$f"
    jq -s -r --arg f "$f" 'map(.[$f]) | sort | "\(.[length/2|floor]|floor) [\(.[0]|floor)–\(.[-1]|floor)]"' "$DIR"/$side.*.json
  done
done
