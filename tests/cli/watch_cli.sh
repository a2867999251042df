#!/usr/bin/env bash
# `shoal watch` against three real nodes on loopback: a prefix watch started
# before five puts prints the five changes in revision order with their
# values and exits 0 (--count 5, --json); a key watch from a revision prints
# only the later changes of that key, in the text form; a node killed while
# a watch runs does not stop it; a watch from before the snapshot every
# restarted node starts from exits 1 with one line naming the revision to
# watch from; every bad input exits 2 with one line.
# Every command is bounded by `timeout`; the nodes are killed on exit.
set -u
source "$(dirname "$0")/real_cluster.bash"
real_cluster_start "$1"
wait_for_cluster

# A prefix watch, started first, sees five puts in order, then exits 0.
timeout 60 "$shoal" watch --prefix k --count 5 --json --endpoints "$E" >"$tmp/watch.out" 2>"$tmp/watch.err" &
watch_pid=$!
pids+=($watch_pid)
sleep 0.5
expect 0 kv put other x  # not under the prefix: not printed
for i in 1 2 3 4 5; do expect 0 kv put "k$((i % 2))" "v$i"; done
wait $watch_pid; rc=$?
[ $rc -eq 0 ] || fail "the prefix watch exited $rc: $(cat "$tmp/watch.err")"
[ "$(wc -l <"$tmp/watch.out")" -eq 5 ] || fail "the prefix watch printed: $(cat "$tmp/watch.out")"
prev=0
for i in 1 2 3 4 5; do
  line=$(sed -n "${i}p" "$tmp/watch.out")
  [[ "$line" =~ ^\{\"revision\":([0-9]+),\"op\":\"put\",\"key\":\"k$((i % 2))\",\"value\":\"v$i\"\}$ ]] ||
    fail "change $i printed: $line"
  rev=${BASH_REMATCH[1]}
  [ "$rev" -gt "$prev" ] || fail "change $i at revision $rev does not follow $prev"
  prev=$rev
done
first=$(sed -n 1p "$tmp/watch.out" | grep -Eo '"revision":[0-9]+' | cut -d: -f2)

# A key watch from a revision: only that key's later changes, as text.
expect 0 kv delete k1
expect 0 watch k1 --from "$first" --count 3
[ "$(printf '%s\n' "$out" | awk '{print $2, $3, $4}' | tr '\n' ';')" = "put k1 v3;put k1 v5;delete k1 ;" ] ||
  fail "the key watch printed: $out"
[ "$(printf '%s\n' "$out" | awk '{print $1}' | sort -n -c 2>&1)" = "" ] || fail "revisions out of order: $out"

# A node killed while the watch waits does not end it: it resumes on another.
timeout 60 "$shoal" watch m --count 2 --endpoints "$E" >"$tmp/watch2.out" 2>"$tmp/watch2.err" &
watch_pid=$!
pids+=($watch_pid)
sleep 0.5
expect 0 kv put m one
kill -9 "${node_pid[1]}" 2>/dev/null; wait "${node_pid[1]}" 2>/dev/null
sleep 0.5
for _ in $(seq 1 20); do
  run kv put m two --timeout 3s
  [ "$rc" -eq 0 ] && break
done
[ "$rc" -eq 0 ] || fail "a put with one node down failed: $err"
wait $watch_pid; rc=$?
[ $rc -eq 0 ] || fail "the watch across a node failure exited $rc: $(cat "$tmp/watch2.err")"
[[ "$(awk '{print $4}' "$tmp/watch2.out" | tr '\n' ' ')" == "one two " ]] ||
  fail "the watch across a node failure printed: $(cat "$tmp/watch2.out"); stderr: $(cat "$tmp/watch2.err")"

# Past a snapshot (taken every 2000 entries), restarted nodes hold the
# changes only from it: a watch from 0 exits 1 with one line naming the
# revision to watch from, and a watch from there goes on.
start_node 1
expect 0 kv put --prefix x --count 2100 --timeout 10s
for i in 1 2 3; do kill -9 "${node_pid[$i]}" 2>/dev/null; wait "${node_pid[$i]}" 2>/dev/null; done
for i in 1 2 3; do start_node "$i"; done
wait_for_cluster
expect 1 watch --prefix k --count 1
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "a compacted watch said more than one line: $err"
[[ "$err" =~ ^shoal:\ watch:\ compacted:\ .*--from\ ([0-9]+)$ ]] || fail "a compacted watch said: $err"
resume=${BASH_REMATCH[1]}
[ "$resume" -ge 2000 ] || fail "a compacted watch names revision $resume, before the snapshot"
expect 0 kv put k1 after
expect 0 watch --prefix k --from "$resume" --count 1 --json
[[ "$out" == *'"op":"put","key":"k1","value":"after"}' ]] || fail "the watch from $resume printed: $out"

# Bad input: exit 2, one line naming the problem.
bad() {
  local want=$1; shift
  expect 2 "$@"
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "shoal $*: not one line: $err"
  grep -qF -- "$want" <<<"$err" || fail "shoal $*: the message does not say '$want': $err"
}
bad "watch takes a KEY or --prefix P, not both and not neither" watch
bad "watch takes a KEY or --prefix P, not both and not neither" watch k --prefix k
bad "a key has 1.." watch ""
bad "--from: 'soon' is not a revision" watch k --from soon
bad "--from: '-1' is not a revision" watch k --from=-1
bad "--count: '0' is not a whole number from 1" watch k --count 0
bad "--count: 'x' is not a whole number from 1" watch --prefix k --count x
err=$(timeout 10 "$shoal" watch k --endpoints 127.0.0.1:notaport 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] || fail "a bad endpoint: exit $rc: $err"
echo "watch cli: all passed"
