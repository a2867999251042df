#!/usr/bin/env bash
# The harness's test of itself: shoal-planted grants Raft votes without the
# log up-to-date check. A swarm sweep must catch it within 500 seeds, and
# shrink must reduce the failure to at most a quarter of the original faults
# (often far fewer; how few depends on the seed the sweep finds first).
# The shrunk schedule still fails on shoal-planted and passes on shoal.
set -u
shoal=$1
planted=$(dirname "$shoal")/shoal-planted
[ -x "$planted" ] || { echo "no $planted: configure with -DSHOAL_PLANTED_BUGS=ON (the default)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

out=$("$planted" sim sweep --scenario chaos-kv --seeds 1..500 --jobs 2 --max-failures 1 2>/dev/null); rc=$?
[ $rc -eq 1 ] || { echo "the sweep did not catch the planted bug (exit $rc): $out"; exit 1; }
seed=$(grep -m1 -o 'FAILED chaos-kv *seed [0-9]*' <<<"$out" | grep -o '[0-9]*$')
echo "caught at seed $seed: $(head -1 <<<"$out")"

shrunk=$("$planted" sim shrink --scenario chaos-kv --seed "$seed" --out "$tmp/s.json"); rc=$?
[ $rc -eq 0 ] || { echo "shrink exited $rc: $shrunk"; exit 1; }
echo "$shrunk"
read -r before after < <(grep -o 'faults: [0-9]* -> [0-9]*' <<<"$shrunk" | tail -1 | awk '{print $2, $4}')
[ -n "$before" ] && [ "$before" -ge 10 ] || { echo "the original run had only '$before' faults"; exit 1; }
[ $((after * 4)) -le "$before" ] || { echo "shrunk to $after of $before faults: more than a quarter"; exit 1; }

"$planted" sim run --scenario chaos-kv --seed "$seed" --schedule "$tmp/s.json" >/dev/null 2>&1
rc=$?; [ $rc -ne 0 ] || { echo "the shrunk schedule passes on shoal-planted"; exit 1; }
"$shoal" sim run --scenario chaos-kv --seed "$seed" --schedule "$tmp/s.json" >/dev/null; rc=$?
[ $rc -eq 0 ] || { echo "the shrunk schedule fails on shoal too (exit $rc): not the planted bug"; exit 1; }
echo "planted bug: caught at seed $seed, shrunk from $before to $after faults"
