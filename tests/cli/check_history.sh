#!/usr/bin/env bash
# `shoal check sessions|staleness|lost-writes` on a small Shoal history with a
# known stale read, and `shoal check convergence` on replica states: each
# checker passes or fails as the definitions say, and bad input or flags
# exit 2.
# Usage: bash tests/cli/check_history.sh path/to/shoal   (from the repo root)
set -uo pipefail
shoal=${1:?usage: check_history.sh path/to/shoal}
# shellcheck source=tests/cli/check_helpers.bash
source "$(dirname "$0")/check_helpers.bash"

# p1 writes v1 after p2's v0 was acknowledged, then reads v0 back 10ns later.
cat >"$tmp/h.jsonl" <<'JSON'
{"process":2,"f":"write","key":"k","value":"v0","invoke_ns":0,"complete_ns":1,"outcome":"ok"}
{"process":1,"f":"write","key":"k","value":"v1","invoke_ns":2,"complete_ns":10,"outcome":"ok"}
{"process":1,"f":"read","key":"k","invoke_ns":20,"complete_ns":30,"outcome":"ok","result":"v0"}
JSON

expect 1 check sessions "$tmp/h.jsonl"
contains "$tmp/out" "read-your-writes: 1 violation(s)"
contains "$tmp/out" "monotonic-reads: ok"
expect 1 check staleness --bound 5ns "$tmp/h.jsonl"
contains "$tmp/out" "misses p1 write"
expect 0 check staleness --bound 1ms "$tmp/h.jsonl"
echo '{"k": "v1"}' >"$tmp/final.json"
expect 0 check lost-writes --final "$tmp/final.json" "$tmp/h.jsonl"
echo '{"k": "v0"}' >"$tmp/final.json"
expect 1 check lost-writes --final "$tmp/final.json" --json "$tmp/h.jsonl"
contains "$tmp/out" '"violation_count":1'

expect 2 check staleness --bound soon "$tmp/h.jsonl"
echo '["not", "an", "object"]' >"$tmp/final.json"
expect 2 check lost-writes --final "$tmp/final.json" "$tmp/h.jsonl"
contains "$tmp/err" "final.json"
printf '%s\n' '{"process":1,"f":"read","invoke_ns":1}' >"$tmp/bad.jsonl"
expect 2 check sessions "$tmp/bad.jsonl"
contains "$tmp/err" "bad.jsonl:1:"

echo '{"a": "1", "b": "2"}' >"$tmp/r1.json"
echo '{"a": "1", "b": "2", "c": null}' >"$tmp/r2.json"
echo '{"a": "1", "b": "3"}' >"$tmp/r3.json"
expect 0 check convergence "$tmp/r1.json" "$tmp/r2.json"
expect 1 check convergence "$tmp/r1.json" "$tmp/r2.json" "$tmp/r3.json"
contains "$tmp/out" 'disagree on key "b"'
expect 2 check convergence "$tmp/r1.json" "$tmp/missing.json"

finish check_history
