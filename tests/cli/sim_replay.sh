#!/usr/bin/env bash
# Every replay command the harness prints replays: run as printed, from the
# directory the user was in, it gives the same verdict and trace hash. That
# holds for the command of a failing `sim run`, each row of a sweep's failure
# table and a shrink's result, and it names the binary that ran (here
# shoal-planted, from outside the project root) with --nodes, --duration,
# --param and --schedule. (The gtest helper's command is run by
# tests/scenarios/gtest_support_test.cc.)
set -u
shoal=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
planted=$(dirname "$shoal")/shoal-planted
[ -x "$planted" ] || { echo "no $planted: configure with -DSHOAL_PLANTED_BUGS=ON (the default)"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "$*"; exit 1; }
hash_of() { grep -o '"trace_hash":"[0-9a-f]*"' <<<"$1" | cut -d'"' -f4; }
verdict_of() { grep -o '"verdict":"[^"]*"' <<<"$1"; }
# replays COMMAND: runs the printed command as a shell would, with --json.
replays() { bash -c "$1 --json" 2>/dev/null; }

# The user stands in a directory of their own, not the project root.
mkdir -p "$tmp/work/sub" && cd "$tmp/work" || exit 1

# A failing sim run: its command keeps --nodes, --duration and --param.
run=(sim run --scenario health-basic --seed 4 --nodes 4 --duration 20s --param claimed_recovery_bound=1ms)
first=$("$planted" "${run[@]}" --json); rc=$?
[ $rc -eq 1 ] || fail "the failing run exited $rc"
replay=$(grep -o '"replay":"[^"]*"' <<<"$first" | cut -d'"' -f4)
for part in "--nodes 4" "--duration 20" "--param claimed_recovery_bound=1ms"; do
  grep -q -- "$part" <<<"$replay" || fail "the replay command drops '$part': $replay"
done
grep -q "shoal-planted sim run" <<<"$replay" || fail "the replay command names another binary: $replay"
again=$(replays "$replay"); rc=$?
[ $rc -eq 1 ] || fail "'$replay' exited $rc, the run 1"
[ "$(hash_of "$again")" = "$(hash_of "$first")" ] && [ "$(verdict_of "$again")" = "$(verdict_of "$first")" ] ||
  fail "'$replay' is another run: $(hash_of "$again") $(verdict_of "$again") vs $(hash_of "$first") $(verdict_of "$first")"
# The text output prints the same command.
text=$("$planted" "${run[@]}")
grep -qxF "replay: $replay" <<<"$text" || fail "the text output's replay differs from the JSON's: $text"

# A sweep's failure table: each row's command gives that row's exit code and hash.
table=$("$planted" sim sweep --scenario health-basic --seeds 1..2 --jobs 2 --param claimed_recovery_bound=1ms \
        2>/dev/null); rc=$?
[ $rc -eq 1 ] || fail "the failing sweep exited $rc: $table"
rows=0
while read -r code hash; do
  read -r replay
  replay=${replay#replay: }
  again=$(replays "$replay"); rc=$?
  [ "$rc" = "$code" ] && [ "$(hash_of "$again")" = "$hash" ] ||
    fail "sweep row '$replay': exit $rc hash $(hash_of "$again"), the row says exit $code hash $hash"
  rows=$((rows + 1))
done < <(grep -A1 '^  FAILED' <<<"$table" | grep -v '^--$' |
         sed -n 's/.* exit \([0-9]*\) *trace \([0-9a-f]*\) .*/\1 \2/p; s/^ *\(replay: .*\)/\1/p')
[ $rows -eq 2 ] || fail "expected two failure rows with a trace hash and a replay: $table"

# A shrink from a subdirectory: its schedule is written there and its command
# replays the shrunk run there, with the --nodes and --duration it shrank under.
cd sub || exit 1
sweep=$("$planted" sim sweep --scenario chaos-kv --seeds 1..300 --jobs 2 --param nodes=5 --param duration=20s --max-failures 1 \
        2>/dev/null)
seed_line=$(grep -m1 'FAILED chaos-kv' <<<"$sweep")
seed=$(awk '{print $4}' <<<"$seed_line")
seed_exit=$(grep -o 'exit [0-9]*' <<<"$seed_line" | awk '{print $2}')
[ -n "$seed" ] || fail "no planted chaos-kv seed of 1..300 fails with 5 nodes in 20s: $(tail -2 <<<"$sweep")"
shrunk=$("$planted" sim shrink --scenario chaos-kv --seed "$seed" --nodes 5 --duration 20s); rc=$?
[ $rc -eq 0 ] || fail "shrink exited $rc: $shrunk"
replay=$(sed -n 's/^replay: //p' <<<"$shrunk")
for part in "--nodes 5" "--duration 20" "--schedule"; do
  grep -q -- "$part" <<<"$replay" || fail "the shrink's replay command drops '$part': $replay"
done
want_hash=$(sed -n 's/^trace hash //p' <<<"$shrunk")
again=$(replays "$replay"); rc=$?
[ $rc -eq "$seed_exit" ] || fail "the shrunk schedule's replay exited $rc, want $seed_exit like the seed: $replay"
[ -n "$want_hash" ] && [ "$(hash_of "$again")" = "$want_hash" ] ||
  fail "the shrunk schedule's replay is another run: $(hash_of "$again") vs '$want_hash'"
# The schedule holds the cluster size and duration it was shrunk under.
schedule=$(ls "shrunk-$seed.schedule.json") || fail "shrink did not write its schedule here"
grep -q '"nodes":5' "$schedule" && grep -q '"duration_ns":20000000000' "$schedule" ||
  fail "the schedule does not record --nodes and --duration: $(head -c 200 "$schedule")"
echo "replay commands: run, sweep and shrink commands replay the same run from where the user is"
