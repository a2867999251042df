#!/usr/bin/env bash
# shoal sim run / list: the exit codes and flags the README promises.
set -u
shoal=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "$*"; exit 1; }

"$shoal" sim list | grep -q '^health-basic' || fail "sim list lacks health-basic"
[ "$("$shoal" sim list | wc -l)" -ge 11 ] || fail "sim list is short"
out=$("$shoal" sim run); [ $? -eq 0 ] || fail "default run failed: $out"
echo "$out" | grep -q '^PASS' || fail "no PASS line: $out"
"$shoal" sim run --seed 5 --check-determinism | grep -q 'one trace hash' || fail "determinism check missing"
"$shoal" sim run --scenario crash-recovery --seed 2 --json > "$tmp/r.json" || fail "json run failed"
grep -q '"passed":true' "$tmp/r.json" || fail "json lacks passed:true"
"$shoal" sim run --seed 3 --duration 10s --trace "$tmp/t.txt" >/dev/null || fail "traced run failed"
grep -q 'deliver' "$tmp/t.txt" || fail "trace has no deliveries"
a=$("$shoal" sim run --seed 9 --json | grep -o '"trace_hash":"[0-9a-f]*"')
b=$("$shoal" sim run --seed 9 --json | grep -o '"trace_hash":"[0-9a-f]*"')
[ "$a" = "$b" ] || fail "one seed gave two hashes: $a $b"

# The replay command a run names reproduces it (same trace hash), whether or
# not --duration was given: a scenario's quiet tail runs past its duration.
for given in "" "--duration 10s"; do
  "$shoal" sim run --scenario leader-failover --seed 3 $given --json > "$tmp/lf.json" || fail "leader-failover failed"
  replay=$(grep -o '"replay":"[^"]*"' "$tmp/lf.json" | cut -d'"' -f4)
  want=$(grep -o '"trace_hash":"[0-9a-f]*"' "$tmp/lf.json")
  got=$(bash -c "$replay --json" | grep -o '"trace_hash":"[0-9a-f]*"')
  [ "$got" = "$want" ] || fail "'$replay' gave $got, the run $want"
done

"$shoal" sim run --param claimed_recovery_bound=1ms >/dev/null; [ $? -eq 1 ] || fail "a failing checker must exit 1"
for bad in "--seed x" "--scenario nope" "--duration 5q" "--param nonsense" "--param nope=1" "--nodes 0" "--bogus"; do
  err=$("$shoal" sim run $bad 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || fail "'sim run $bad' exited $rc, want 2"
  [ "$(echo "$err" | wc -l)" -eq 1 ] || fail "'sim run $bad' printed more than one line: $err"
done
echo "sim run: exit codes and flags behave"
