#!/usr/bin/env bash
# `shoal bench vector` and `shoal bench agg` on tiny data: both run to the end,
# report every index kind beside raw FAISS and every aggregation kind, and the
# exact (flat) index finds every true neighbour. Timings are printed, never
# checked. Bad flags are usage errors (exit 2).
# Usage: bash tests/cli/search_bench.sh path/to/shoal   (from the repo root)
set -uo pipefail
shoal=${1:?usage: search_bench.sh path/to/shoal}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$shoal" bench vector --n 3000 --dim 8 --queries 30 --clusters 6 --batch 1000 --nlist 8 2>&1)
code=$?
[ "$code" -eq 0 ] || fail "bench vector exited $code: $out"
for kind in flat ivf hnsw; do
  for impl in faiss shoal shoal/faiss; do
    grep -qE "^$kind +$impl " <<<"$out" || fail "bench vector: no $kind $impl row"
  done
done
grep -qE '^flat +shoal .* 1\.0000$' <<<"$out" || fail "bench vector: flat recall is not 1.0: $out"

out=$("$shoal" bench agg --n 4000 --shards 3 --repeat 1 2>&1)
code=$?
[ "$code" -eq 0 ] || fail "bench agg exited $code: $out"
for kind in terms stats extended_stats histogram date_histogram range filters avg min max sum value_count \
            percentiles cardinality; do
  grep -qE "^$kind " <<<"$out" || fail "bench agg: no row for $kind"
done

"$shoal" bench vector --n 0 >/dev/null 2>&1
code=$?
[ "$code" -eq 2 ] || fail "bench vector --n 0 exited $code, want 2"
"$shoal" bench vector --kinds flat,lsh --n 100 --dim 4 --queries 2 >/dev/null 2>&1
code=$?
[ "$code" -eq 2 ] || fail "bench vector --kinds lsh exited $code, want 2"

[ "$failures" -eq 0 ] || exit 1
echo "search_bench: all passed"
