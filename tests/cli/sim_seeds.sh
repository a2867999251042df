#!/usr/bin/env bash
# Seeds and seed ranges: every command that takes one refuses a negative,
# out-of-range, non-decimal or empty value with one line that names the flag
# and the problem, and exits 2. (CLI11's own conversion used to wrap -1 to
# 2^64-1 and saturate a 25-digit seed to the same value, and run it.)
set -u
shoal=$1
fail() { echo "$*"; exit 1; }

expect_refused() {  # expect_refused FLAG ARGS...: exit 2 and one line naming FLAG
  local flag=$1; shift
  err=$("$shoal" "$@" 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || fail "'$*' exited $rc, want 2 (stderr: $err)"
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "'$*' printed more than one line: $err"
  grep -q -- "$flag" <<<"$err" || fail "'$*' does not name $flag: $err"
}

big=1234567890123456789012345
for bad in -1 "$big" 18446744073709551616 abc 1.5 0x10 " 7" "" +3; do
  expect_refused --seed sim run --seed "$bad"
  expect_refused --seed sim replay --seed "$bad"
  expect_refused --seed sim shrink --scenario chaos-kv --seed "$bad"
  expect_refused --seed bench agg --seed "$bad"
  expect_refused --seed bench check --seed "$bad"
  expect_refused --seed bench vector --seed "$bad"
done
for bad in -1..3 "1..$big" "$big" a..b 5..1 1.. ..4 1...4 "" 1..18446744073709551615; do
  expect_refused --seeds sim sweep --scenario health-basic --seeds "$bad"
done

# The largest seed is a seed, runs as itself, and its replay command names it.
out=$("$shoal" sim run --seed 18446744073709551615 --duration 7s --json); rc=$?
[ $rc -eq 0 ] || fail "seed 2^64-1 exited $rc: $out"
grep -q '"seed":18446744073709551615' <<<"$out" || fail "seed 2^64-1 did not run as itself: $out"
# A range that ends at the largest seed ends: one seed, not a counter that wraps.
out=$("$shoal" sim sweep --scenario health-basic --seeds 18446744073709551615..18446744073709551615 --jobs 1 \
      2>/dev/null); rc=$?
[ $rc -eq 0 ] || fail "sweeping seed 2^64-1 exited $rc: $out"
grep -q '^1 seeds in' <<<"$out" || fail "sweeping seed 2^64-1 did not run one seed: $out"
# A leading zero is decimal, not octal: 010 is seed 10.
a=$("$shoal" sim run --seed 010 --duration 7s --json | grep -o '"trace_hash":"[0-9a-f]*"')
b=$("$shoal" sim run --seed 10 --duration 7s --json | grep -o '"trace_hash":"[0-9a-f]*"')
[ -n "$a" ] && [ "$a" = "$b" ] || fail "seed 010 is not seed 10: $a vs $b"
echo "seeds: out-of-range and malformed seeds are refused with exit 2 everywhere"
