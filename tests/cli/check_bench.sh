#!/usr/bin/env bash
# `shoal bench check` runs every set once and exits 0 only when every shared
# history gets its known verdict and every generated one the verdict it was
# made to have (the "kv bad" ones are not linearizable); --save-generated
# writes the generated histories, and `shoal check` reads them back.
# Usage: bash tests/cli/check_bench.sh path/to/shoal   (from the repo root)
set -uo pipefail
shoal=${1:?usage: check_bench.sh path/to/shoal}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$("$shoal" bench check --repetitions 1 --bad-histories 2 --save-generated "$tmp" --json) ||
  { echo "FAIL: exit $?: $out"; exit 1; }
for set in 'jepsen-etcd (shared)' 'jepsen-kv (shared)' 'generated kv, 50 clients' 'generated kv bad, 50 clients'; do
  grep -qF "\"set\":\"$set" <<<"$out" || { echo "FAIL: no row for $set: $out"; exit 1; }
done
grep -qF '"wrong_verdicts":["' <<<"$out" && { echo "FAIL: wrong verdicts: $out"; exit 1; }
grep -qF '"linearizable":0,' <<<"$out" || { echo "FAIL: no set without a linearizable history: $out"; exit 1; }
bad=("$tmp"/generated-kv-bad-*.jsonl)
[ "${#bad[@]}" -eq 2 ] || { echo "FAIL: --save-generated wrote ${#bad[@]} bad histories: $(ls "$tmp")"; exit 1; }
"$shoal" check linearizable "${bad[@]}" >"$tmp/verdicts" 2>&1
[ $? -eq 1 ] || { echo "FAIL: a saved bad history passed: $(cat "$tmp/verdicts")"; exit 1; }
[ "$(grep -c ': not linearizable' "$tmp/verdicts")" -eq 2 ] || { echo "FAIL: $(cat "$tmp/verdicts")"; exit 1; }
echo "check_bench: all passed"
