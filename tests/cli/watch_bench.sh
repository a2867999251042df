#!/usr/bin/env bash
# `shoal bench watch` on a short run: it runs to the end, every watcher gets
# every acknowledged put (else it exits 1 without figures), and it prints the
# figures, as text and as JSON, with as many events delivered as expected.
# Latencies are printed, never checked. A bad flag is a one-line usage error
# (exit 2).
# Usage: bash tests/cli/watch_bench.sh path/to/shoal   (from the repo root)
set -uo pipefail
shoal=${1:?usage: watch_bench.sh path/to/shoal}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$shoal" bench watch --duration 2s --watchers 3 2>&1)
code=$?
[ "$code" -eq 0 ] || fail "bench watch exited $code: $out"
grep -qE '^watchers 3 \([0-9]+ on followers\) .* puts issued [1-9][0-9]* acked [1-9][0-9]*' <<<"$out" ||
  fail "bench watch: no line of watchers and puts: $out"
latencies='latency p50 [0-9.]+ms p90 [0-9.]+ms p99 [0-9.]+ms max [0-9.]+ms +\(wall [0-9.]+s\)$'
grep -qE "^events delivered ([0-9]+) of \\1 expected +$latencies" <<<"$out" ||
  fail "bench watch: no line of events and latencies, or fewer delivered than expected: $out"

out=$("$shoal" bench watch --duration 2s --watchers 3 --unwatched-rate 100 --json 2>&1)
code=$?
[ "$code" -eq 0 ] || fail "bench watch --json exited $code: $out"
for field in events_delivered events_expected latency_ms_p50 latency_ms_p90 latency_ms_p99 latency_ms_max wall_seconds \
             unwatched_puts_acked; do
  grep -q "\"$field\":" <<<"$out" || fail "bench watch --json: no $field: $out"
done

for bad in "--watchers 0" "--rate 0" "--duration 0s" "--unwatched-rate -1" "--no-such-flag"; do
  # shellcheck disable=SC2086  # each case is several words on purpose
  err=$("$shoal" bench watch $bad 2>&1 >/dev/null)
  code=$?
  [ "$code" -eq 2 ] || fail "bench watch $bad exited $code, want 2"
  [ "$(wc -l <<<"$err")" -eq 1 ] || fail "bench watch $bad: want one line of error, got: $err"
done

[ "$failures" -eq 0 ] || exit 1
echo "watch_bench: all passed"
