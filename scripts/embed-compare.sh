#!/usr/bin/env bash
# Same-run comparison of the built-in embedder with sentence-transformers (issue 3's speed target).
#
#   scripts/embed-compare.sh [-n ALTERNATIONS] [-r ROUNDS] [-s SETS] [EMBED_SPEED_BINARY...]
#
# Alternates scripts/embed-baseline.py (sentence-transformers, one thread) and each given
# release `embed_speed` binary (default target/release/examples/embed_speed; build it with
# `cargo build --release -p byzvote-builtin --example embed_speed`) ALTERNATIONS times, so that
# the load of a shared machine hits all of them alike, then prints the median ms per sentence
# (CPU and wall, alone and in batches of 8) per set and engine, and each engine's speed-up over
# `SentenceTransformer.encode`. The first round also writes sentence-transformers' embeddings and
# runs `embed_speed --compare` on them (cosine differences). torch and sentence-transformers
# must be importable: set ST_PY to the --target folder they were installed in (default
# /work/st-py; see the header of scripts/embed-baseline.py).
set -euo pipefail
cd "$(dirname "$0")/.."
n=3 rounds=10 sets=all
while getopts n:r:s: o; do
  case $o in n) n=$OPTARG ;; r) rounds=$OPTARG ;; s) sets=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=("${CARGO_TARGET_DIR:-target}/release/examples/embed_speed")
st_py=${ST_PY:-/work/st-py}
out=$(mktemp -d)
results=$out/results.txt
py_sets=$([ "$sets" = all ] && echo "" || echo "$sets")
for i in $(seq 1 "$n"); do
  echo "== alternation $i/$n ($(date -u +%H:%M:%S))" >&2
  extra=()
  [ "$i" = 1 ] && extra=(--out "$out/st.json")
  PYTHONPATH=$st_py python3 scripts/embed-baseline.py --rounds "$rounds" --sets "$py_sets" "${extra[@]}" \
    2>/dev/null | tee -a "$out/log.txt" | grep '^RESULT' >>"$results"
  for b in "${bins[@]}"; do
    label=$(basename "$b")
    cmp=()
    [ "$i" = 1 ] && cmp=(--compare "$out/st.json")
    # A binary built before these options (no RESULT lines) ignores them and times its fixed
    # sentences (= the set embed_speed): its "packed (default)" line is read instead.
    "$b" "$rounds" --set "$sets" --engine packed "${cmp[@]}" | tee -a "$out/log.txt" |
      awk -v l="$label" '/^RESULT/ { sub("engine=candle-", "engine=" l ":"); print }
        /^packed \(default\)/ { gsub(/[()]/, " "); printf "RESULT engine=%s:packed set=embed_speed alone_wall=%s alone_cpu=%s batch_wall=%s batch_cpu=%s\n", l, $4, $7, $12, $15 }' >>"$results"
  done
done
awk '/^against/ { on = 1 } /^(set|RESULT|[a-z_]+:)/ { on = 0 } on' "$out/log.txt"
python3 - "$results" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    kv = dict(f.split("=", 1) for f in line.split()[1:])
    runs[(kv.pop("set"), kv.pop("engine"))].append({k: float(v) for k, v in kv.items()})
keys = ["alone_cpu", "batch_cpu", "alone_wall", "batch_wall"]
print(f"median of {max(len(v) for v in runs.values())} alternations, ms per sentence; x = speed-up over st-encode")
print(f"{'set':<12} {'engine':<26}" + "".join(f"{k:>17}" for k in keys))
for s in sorted({s for s, _ in runs}):
    base = {k: statistics.median(r[k] for r in runs[(s, "st-encode")]) for k in keys}
    for (s2, e), rs in sorted(runs.items()):
        if s2 != s:
            continue
        med = {k: statistics.median(r[k] for r in rs) for k in keys}
        print(f"{s:<12} {e:<26}" + "".join(f"{med[k]:>9.2f} ({base[k] / med[k]:4.2f}x)" for k in keys))
EOF
echo "raw results and logs: $out" >&2
