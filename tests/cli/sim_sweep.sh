#!/usr/bin/env bash
# shoal sim sweep: a passing sweep exits 0; a sweep whose checker must fail
# (a detection bound tighter than the monitor can meet) exits 1 and lists each
# failing seed with the command that replays it; bad flags exit 2.
set -u
shoal=$1
out=$("$shoal" sim sweep --scenario health-basic --seeds 1..6 --jobs 2 2>/dev/null); rc=$?
[ $rc -eq 0 ] || { echo "passing sweep exited $rc: $out"; exit 1; }
echo "$out" | grep -q "6 seeds in .* 0 failed" || { echo "unexpected summary: $out"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=$("$shoal" sim sweep --scenario health-basic --seeds 1..4 --param claimed_detection_bound=100ms \
      --report-dir "$tmp/reports" 2>/dev/null); rc=$?
[ $rc -eq 1 ] || { echo "failing sweep exited $rc"; exit 1; }
for seed in 1 2 3 4; do
  [ -s "$tmp/reports/health-basic-$seed/index.html" ] && grep -q '"passed": *false\|"passed":false' "$tmp/reports/health-basic-$seed/result.json" \
    || { echo "no failure report kept for seed $seed: $(ls -R "$tmp/reports")"; exit 1; }
done
[ "$(echo "$out" | grep -c 'FAILED health-basic')" -eq 4 ] || { echo "expected 4 failures: $out"; exit 1; }
replay=$(echo "$out" | grep -m1 'replay:' | sed 's/.*replay: //')
bash -c "$replay" >/dev/null; rc=$?
[ $rc -eq 1 ] || { echo "the replay command did not reproduce the failure (exit $rc): $replay"; exit 1; }

"$shoal" sim sweep --seeds 9..1 2>/dev/null; [ $? -eq 2 ] || { echo "bad --seeds not exit 2"; exit 1; }
"$shoal" sim sweep --shard 2/2 2>/dev/null; [ $? -eq 2 ] || { echo "bad --shard not exit 2"; exit 1; }
echo "sweep: pass, fail with replay, and bad flags behave"
