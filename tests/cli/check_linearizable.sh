#!/usr/bin/env bash
# `shoal check linearizable`: verdicts and exit codes on shared Jepsen
# histories, the HTML failing window, JSON output, the budget's "unknown",
# and bad input named by file and line (exit 2).
# Usage: bash tests/cli/check_linearizable.sh path/to/shoal   (from the repo root)
set -uo pipefail
shoal=${1:?usage: check_linearizable.sh path/to/shoal}
data=../shared/data/histories
# shellcheck source=tests/cli/check_helpers.bash
source "$(dirname "$0")/check_helpers.bash"

etcd="check linearizable --model cas-register --format jepsen-log"
# shellcheck disable=SC2086
expect 0 $etcd "$data/jepsen-etcd/etcd_002.log"
contains "$tmp/out" "etcd_002.log: linearizable"

# shellcheck disable=SC2086
expect 1 $etcd --report-dir "$tmp/report" "$data/jepsen-etcd/etcd_002.log" "$data/jepsen-etcd/etcd_000.log"
contains "$tmp/out" "etcd_000.log: not linearizable"
contains "$tmp/report/etcd_000.log.linearizability.html" "<svg"
contains "$tmp/report/etcd_000.log.linearizability.html" 'class="blocking"'
[ ! -e "$tmp/report/etcd_002.log.linearizability.html" ] || fail "a report was written for a linearizable history"

expect 1 check linearizable --model kv --format jepsen-edn --json "$data/jepsen-kv/c10-bad.edn" "$data/jepsen-kv/c10-ok.edn"
contains "$tmp/out" '"verdict":"not-linearizable"'
contains "$tmp/out" '"verdict":"linearizable"'
contains "$tmp/out" '"exit_code":1'

# The first failure decides the verdict and names one key; --all-keys
# searches every key and names each that fails; --threads changes nothing
# but the time.
expect 1 check linearizable --format jepsen-edn --json "$data/jepsen-kv/c10-bad.edn"
first=$(grep -oE '"failing_keys":\["[0-9]+"\]' "$tmp/out" | grep -oE '[0-9]+"' | tr -d '"')
[ -n "$first" ] || fail "not exactly one failing key: $(cat "$tmp/out")"
expect 1 check linearizable --format jepsen-edn --all-keys --json "$data/jepsen-kv/c10-bad.edn"
contains "$tmp/out" '"failing_keys":["0","1","2","3","5","6","7","9"]'
contains "$tmp/out" "on key \\\"$first\\\""
for t in 1 2 5; do
  "$shoal" check linearizable --format jepsen-edn --threads "$t" "$data/jepsen-kv/c10-bad.edn" |
    sed 's/ \[[0-9.]* ms\]$//' >"$tmp/threads-$t"
done
cmp -s "$tmp/threads-1" "$tmp/threads-2" || fail "--threads 2 differs: $(cat "$tmp/threads-1" "$tmp/threads-2")"
cmp -s "$tmp/threads-1" "$tmp/threads-5" || fail "--threads 5 differs: $(cat "$tmp/threads-1" "$tmp/threads-5")"
expect 2 check linearizable --threads 0 "$data/jepsen-kv/c10-bad.edn"

# A budget too small for the search: "unknown", which fails unless --unknown-ok.
# shellcheck disable=SC2086
expect 1 $etcd --steps-max 100 "$data/jepsen-etcd/etcd_002.log"
contains "$tmp/out" "unknown: the search budget ran out"
# shellcheck disable=SC2086
expect 0 $etcd --steps-max 100 --unknown-ok "$data/jepsen-etcd/etcd_002.log"

# Shoal's own JSON lines (the default format and model).
cat >"$tmp/good.jsonl" <<'JSON'
{"shoal_history":1,"initial":null}
{"process":1,"f":"write","key":"k","value":"1","invoke_ns":0,"complete_ns":10,"outcome":"ok"}
{"process":2,"f":"read","key":"k","invoke_ns":5,"complete_ns":15,"outcome":"ok","result":"1"}
{"process":3,"f":"cas","key":"k","expected":"1","value":"2","invoke_ns":20,"complete_ns":null,"outcome":"pending"}
JSON
expect 0 check linearizable "$tmp/good.jsonl"
sed 's/"result":"1"/"result":"9"/' "$tmp/good.jsonl" >"$tmp/bad-read.jsonl"
expect 1 check linearizable "$tmp/bad-read.jsonl"

# Bad input: one line naming the file and line, exit 2 (even beside good files).
printf '%s\n' '{"shoal_history":1,"initial":null}' '{"process":1,"f":"read"' >"$tmp/malformed.jsonl"
expect 2 check linearizable "$tmp/good.jsonl" "$tmp/malformed.jsonl"
contains "$tmp/err" "$tmp/malformed.jsonl:2:"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "bad input should be one line: $(cat "$tmp/err")"
printf 'INFO  jepsen.util - 0\t:invoke\t:cas\t[1]\n' >"$tmp/malformed.log"
# shellcheck disable=SC2086
expect 2 $etcd "$tmp/malformed.log"
contains "$tmp/err" "$tmp/malformed.log:1:"
expect 2 check linearizable "$tmp/does-not-exist.jsonl"
contains "$tmp/err" "does-not-exist.jsonl"
expect 2 check linearizable --model cas-register "$tmp/good.jsonl"
contains "$tmp/err" "one register"
expect 2 check linearizable --model bogus "$tmp/good.jsonl"

finish check_linearizable
