#!/usr/bin/env bash
# Runs `rmq bench store --json` RUNS times (default 3) and prints a markdown table with the
# median [min–max] of every scenario's figures, as BENCHMARKS.md records them.
#   contrib/bench/store-medians.sh /tmp/rmq-bench [extra rmq bench options...]
set -euo pipefail
dir=${1:?usage: store-medians.sh DIR [rmq bench store options]}
shift
runs=${RUNS:-3}
rmq=${RMQ:-$(dirname "$0")/../../rmq}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for i in $(seq "$runs"); do
  "$rmq" bench store --dir "$dir" --json "$@" >>"$out"
  echo "run $i/$runs done" >&2
done
python3 - "$out" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(vals):
    return statistics.median(vals), min(vals), max(vals)
def fmt(v, nd=0):
    m, lo, hi = med(v)
    return f"{m:,.{nd}f} [{lo:,.{nd}f}–{hi:,.{nd}f}]"
print(f"ceilings: page cache {fmt([r['ceiling_write_mb_per_sec'] for r in runs])} MB/s, "
      f"fdatasync per MiB {fmt([r['ceiling_fdatasync_mb_per_sec'] for r in runs])} MB/s "
      f"({runs[0].get('memory', '?')} memory)\n")
print("| scenario | msgs/s | MB/s | ratio to ceiling | msgs per fdatasync | seconds |")
print("|---|---|---|---|---|---|")
names = [s["scenario"] for s in runs[0]["scenarios"]]
for n in names:
    rows = [next(s for s in r["scenarios"] if s["scenario"] == n) for r in runs]
    if n == "recover":
        print(f"| recover ({rows[0]['unflushed_bytes']/1048576:.0f} MiB unflushed) | | "
              f"{fmt([x['mb_per_sec'] for x in rows])} | | | {fmt([x['seconds'] for x in rows], 3)} |")
        continue
    per = fmt([x["msgs_per_fdatasync"] for x in rows], 1) if "msgs_per_fdatasync" in rows[0] else ""
    print(f"| {n} | {fmt([x['msgs_per_sec'] for x in rows])} | {fmt([x['mb_per_sec'] for x in rows])} | "
          f"{fmt([100*x['ratio'] for x in rows], 1)} % | {per} | {fmt([x['seconds'] for x in rows], 2)} |")
PY
