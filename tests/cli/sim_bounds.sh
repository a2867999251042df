#!/usr/bin/env bash
# A run that cannot finish still ends with a verdict of its own class: an
# engine assertion exits 5, a run bound (events, wall time, memory) exits 6,
# each with the stop named, its report and the trace's tail. Some seeds of
# shoal-planted trip an engine assertion (they used to abort with no report)
# or livelock in a message storm (they used to run until a sweep's timeout).
# The bounds never change a run that completes, and a sweep says which
# reports it kept and why not the others.
set -u
shoal=$1
planted=$(dirname "$shoal")/shoal-planted
[ -x "$planted" ] || { echo "no $planted: configure with -DSHOAL_PLANTED_BUGS=ON (the default)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "$*"; exit 1; }
field() { grep -o "\"$1\":[^,}]*" <<<"$2" | head -1; }  # the first NAME's scalar value in JSON text
stop_kind() { grep -o '"stop":{"kind":"[a-z-]*"' <<<"$1" | cut -d'"' -f6; }
stop_events() { grep -o '"stop":{[^}]*}' <<<"$1" | grep -o '"events":[0-9]*' | cut -d: -f2; }

# An engine assertion: exit 5, the assertion named with its file and line, a
# report with the stop and the trace's tail. The first planted seed whose run
# trips an assertion is found by a sweep (which seed it is moves with the
# engine; that some seed does, within a few hundred, does not).
sweep=$("$planted" sim sweep --scenario chaos-kv --seeds 1..400 --jobs 2 2>/dev/null)
seed=$(grep -m1 -o 'FAILED chaos-kv *seed [0-9]* *exit 5' <<<"$sweep" | awk '{print $4}')
[ -n "$seed" ] || fail "no planted seed in 1..400 tripped an engine assertion: $(tail -3 <<<"$sweep")"
out=$("$planted" sim run --scenario chaos-kv --seed "$seed" --report "$tmp/r7" 2>&1); rc=$?
[ $rc -eq 5 ] || fail "planted seed $seed exited $rc, want 5 (engine assertion): $out"
grep -q '^  STOPPED assertion: engine assertion failed: .* (engine/[a-z_/]*\.cc:[0-9]*)' <<<"$out" ||
  fail "the output does not name the assertion and its place: $out"
grep -q '^FAIL (assertion)$' <<<"$out" || fail "no assertion verdict: $out"
grep -q '^  the last 20 events before the stop' <<<"$out" || fail "the output shows no trace tail: $out"
for f in result.json summary.md index.html trace-tail.txt history.jsonl; do
  [ -s "$tmp/r7/$f" ] || fail "the assertion's report lacks $f: $(ls "$tmp/r7")"
done
json=$(cat "$tmp/r7/result.json")
[ "$(field exit_code "$json")" = '"exit_code":5' ] || fail "result.json: $(field exit_code "$json")"
[ "$(stop_kind "$json")" = assertion ] || fail "result.json has no assertion stop: $(field stop "$json")"
grep -q '"file":"engine/[a-z_/]*\.cc","line":[0-9]' <<<"$json" || fail "result.json does not place the assertion"
[ "$(wc -l < "$tmp/r7/trace-tail.txt")" -ge 100 ] || fail "the trace tail is short: $(wc -l < "$tmp/r7/trace-tail.txt")"
grep -q '^## Stopped: assertion' "$tmp/r7/summary.md" || fail "summary.md does not say the run stopped"
grep -q 'Stopped: assertion' "$tmp/r7/index.html" || fail "index.html does not say the run stopped"

# Each bound, made tiny, gives its own class; the event bound deterministically.
out=$("$shoal" sim run --scenario chaos-kv --seed 1 --events-max 1000 --json); rc=$?
[ $rc -eq 6 ] || fail "--events-max 1000 exited $rc, want 6"
[ "$(stop_kind "$out")" = events-max ] && [ "$(stop_events "$out")" = 1000 ] ||
  fail "--events-max 1000 did not stop at event 1000: $(field stop "$out")"
again=$("$shoal" sim run --scenario chaos-kv --seed 1 --events-max 1000 --json)
[ "$(field trace_hash "$out")" = "$(field trace_hash "$again")" ] || fail "an event bound stops at different places"
out=$("$shoal" sim run --scenario chaos-kv --seed 1 --memory-max 1MiB --json); rc=$?
[ $rc -eq 6 ] && [ "$(stop_kind "$out")" = memory-max ] || fail "--memory-max 1MiB: exit $rc, $(field stop "$out")"
out=$("$shoal" sim run --scenario chaos-kv --seed 1 --duration 60s --wall-time-max 1ms --json); rc=$?
[ $rc -eq 6 ] && [ "$(stop_kind "$out")" = wall-time-max ] ||
  fail "--wall-time-max 1ms: exit $rc, $(field stop "$out")"

# Bounds are safety valves: a run that completes is the same run under any.
a=$("$shoal" sim run --scenario chaos-kv --seed 3 --json); rc=$?
[ $rc -eq 0 ] || fail "chaos-kv seed 3 exited $rc"
b=$("$shoal" sim run --scenario chaos-kv --seed 3 --events-max 100000000 --wall-time-max 1h --memory-max 16GiB --json)
[ "$(field trace_hash "$a")" = "$(field trace_hash "$b")" ] || fail "the bounds changed a completed run"
[ "$(field stop "$a")" = '"stop":null' ] || fail "a passing run has a stop: $(field stop "$a")"

# The caps are in the help of run and sweep, with the exit codes.
for cmd in run sweep; do
  help=$("$shoal" sim $cmd --help)
  for flag in --events-max --wall-time-max --memory-max; do
    grep -q -- "$flag" <<<"$help" || fail "sim $cmd --help does not show $flag"
  done
  grep -q '5 an engine assertion' <<<"$help" && grep -q '6 the run passed' <<<"$help" ||
    fail "sim $cmd --help does not list exit codes 5 and 6"
done
for bad in "--events-max 0" "--events-max -5" "--wall-time-max soon" "--memory-max 12XB" "--memory-max 0"; do
  err=$("$shoal" sim run $bad 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] || fail "'sim run $bad': exit $rc, $err"
done

# A sweep tells each class apart, keeps the reports its budget allows and says
# why it dropped the others.
out=$("$planted" sim sweep --scenario chaos-kv --seeds "$seed..$seed" --jobs 1 2>/dev/null); rc=$?
[ $rc -eq 1 ] || fail "a sweep with a failing seed exited $rc"
grep -q "FAILED chaos-kv *seed $seed *exit 5 .* assertion: engine assertion failed" <<<"$out" ||
  fail "the sweep does not show seed $seed's assertion: $out"
out=$("$shoal" sim sweep --scenario chaos-kv --seeds 1..3 --jobs 2 --events-max 500 --report-dir "$tmp/sweep" \
      --reports-max 2 2>/dev/null); rc=$?
[ $rc -eq 1 ] || fail "a sweep of bounded seeds exited $rc: $out"
[ "$(grep -c 'exit 6 .* events-max' <<<"$out")" -eq 3 ] || fail "the sweep does not show three event bounds: $out"
grep -q "reports: kept 2 of 3 failing seeds under $tmp/sweep; 1 not kept: --reports-max 2 reached" <<<"$out" ||
  fail "the sweep does not say which reports it kept: $out"
[ "$(ls "$tmp/sweep" | wc -l)" -eq 2 ] || fail "the sweep kept $(ls "$tmp/sweep" | wc -l) reports, want 2"
echo "bounds: assertions exit 5, bounds exit 6, each with its report; completed runs are unchanged"
