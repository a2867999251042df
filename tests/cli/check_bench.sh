#!/usr/bin/env bash
# `shoal bench check` runs every set once and exits 0 only when every shared
# history gets its known verdict and every generated one is linearizable.
# Usage: bash tests/cli/check_bench.sh path/to/shoal   (from the repo root)
set -uo pipefail
shoal=${1:?usage: check_bench.sh path/to/shoal}
out=$("$shoal" bench check --repetitions 1 --json) || { echo "FAIL: exit $?: $out"; exit 1; }
for set in 'jepsen-etcd (shared)' 'jepsen-kv (shared)' 'generated kv, 50 clients'; do
  grep -qF "\"set\":\"$set" <<<"$out" || { echo "FAIL: no row for $set: $out"; exit 1; }
done
grep -qF '"wrong_verdicts":["' <<<"$out" && { echo "FAIL: wrong verdicts: $out"; exit 1; }
echo "check_bench: all passed"
