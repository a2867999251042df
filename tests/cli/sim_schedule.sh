#!/usr/bin/env bash
# Schedules and scenario files: a swarm run's recorded schedule replays the
# same run (same trace hash); schedules and specs with errors exit 2 with one
# line; a spec file runs like a catalogue scenario and takes --param overrides.
set -u
shoal=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
hash_of() { grep -o 'trace hash [0-9a-f]*' <<<"$1"; }

a=$("$shoal" sim run --scenario chaos-kv --seed 3 --record "$tmp/s.json"); rc=$?
[ $rc -eq 0 ] || { echo "chaos-kv seed 3 exited $rc: $a"; exit 1; }
grep -q '"faults":\[{' "$tmp/s.json" || { echo "no faults recorded: $(head -c 300 "$tmp/s.json")"; exit 1; }
grep -q '"clients":\[\[{' "$tmp/s.json" || { echo "no workload recorded"; exit 1; }
b=$("$shoal" sim run --scenario chaos-kv --seed 3 --schedule "$tmp/s.json"); rc=$?
[ $rc -eq 0 ] || { echo "replaying the recorded schedule exited $rc: $b"; exit 1; }
[ "$(hash_of "$a")" = "$(hash_of "$b")" ] || { echo "recorded schedule replays another run: $(hash_of "$a") vs $(hash_of "$b")"; exit 1; }

# A schedule without its faults is a different run (the schedule is obeyed).
sed 's/"faults":\[[^]]*\]/"faults":[]/' "$tmp/s.json" > "$tmp/nofaults.json"
c=$("$shoal" sim run --scenario chaos-kv --seed 3 --schedule "$tmp/nofaults.json"); rc=$?
[ $rc -eq 0 ] || { echo "fault-free schedule exited $rc: $c"; exit 1; }
[ "$(hash_of "$a")" != "$(hash_of "$c")" ] || { echo "removing every fault changed nothing"; exit 1; }
grep -q "crashes 0" <<<"$c" || { echo "a fault-free schedule still crashed nodes: $c"; exit 1; }

expect_usage() {  # expect_usage WHAT ARGS...: exit 2 and a one-line error
  local what=$1; shift
  err=$("$shoal" "$@" 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || { echo "$what: exit $rc, want 2"; exit 1; }
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "$what: not one line: $err"; exit 1; }
}
echo '{"shoal_schedule": 1, "scenario": "chaos-kv", "seed": 3, "faults": [{"at_ns": 1, "kind": "meteor", "length_ns": 0, "salt": 1}]}' > "$tmp/bad.json"
expect_usage "unknown fault kind" sim run --scenario chaos-kv --seed 3 --schedule "$tmp/bad.json"
echo 'not json' > "$tmp/garbage.json"
expect_usage "garbage schedule" sim run --scenario chaos-kv --seed 3 --schedule "$tmp/garbage.json"
expect_usage "missing schedule" sim run --scenario chaos-kv --seed 3 --schedule "$tmp/none.json"
expect_usage "schedule of another seed" sim run --scenario chaos-kv --seed 4 --schedule "$tmp/s.json"
expect_usage "schedule for a scenario without one" sim run --scenario leader-election --seed 3 --record "$tmp/x.json"
expect_usage "unknown spec parameter" sim run --scenario chaos-kv --param nemesis.colour=red
expect_usage "bad intensity" sim run --scenario chaos-kv --param nemesis.intensity=extreme
expect_usage "bad fault kind param" sim run --scenario chaos-kv --param nemesis.kinds=kill-one,meteor
# A spec cannot switch off the checker of a level, or run with no checks, or
# leave too little quiet time to judge liveness.
expect_usage "checkers leaving out a level's checker" sim run --scenario chaos-kv \
  --param workload.read_levels=any --param checkers=raft-invariants,linearizable,replies-match-log,no-lost-writes,convergence,every-kind-served
expect_usage "an empty checkers list" sim run --scenario chaos-kv --param checkers=
expect_usage "quiet shorter than the liveness bound" sim run --scenario chaos-kv --param quiet=1s

# A spec file: a copy of the catalogue's, narrowed by --param.
sed 's/"name": "chaos-kv"/"name": "my-chaos"/' scenarios/specs/chaos-kv.json > "$tmp/my.json"
d=$("$shoal" sim run --scenario "$tmp/my.json" --seed 2 --param nemesis.kinds=kill-one --param nemesis.intensity=high \
    --param workload.clients=2); rc=$?
[ $rc -eq 0 ] || { echo "spec file run exited $rc: $d"; exit 1; }
grep -q "kinds kill-one" <<<"$d" || { echo "--param nemesis.kinds did not apply: $d"; exit 1; }
echo '{"name": "broken", "workload": {"clients": "three"}}' > "$tmp/broken.json"
expect_usage "bad spec file" sim run --scenario "$tmp/broken.json"
echo '{"name": "typo", "nemessis": {}}' > "$tmp/typo.json"
expect_usage "unknown spec field" sim run --scenario "$tmp/typo.json"
echo "schedules and spec files: recorded runs replay exactly; bad input exits 2"
