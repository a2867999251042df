#!/usr/bin/env bash
# `shoal session` against three real nodes on loopback: create prints an id
# and the session reads back with its data; update merges; list and stats
# count it; a short-lived session is expired by the leader and a touch then
# finds nothing (exit 1) — it does not come back; logout ends every session
# of a user and no other's; a node killed meanwhile changes none of it; bad
# input exits 2 with one line.
set -u
source "$(dirname "$0")/real_cluster.bash"
real_cluster_start "$1"
wait_for_cluster

expect 0 session create alice --ttl 30s --data theme=dark --data lang=en --id a1
[ "$out" = "a1" ] || fail "create printed: $out"
expect 1 session create alice --id a1
grep -q "exists" <<<"$err" || fail "a second create of a live id said: $err"
expect 0 session get a1 --json
grep -q '"theme":"dark"' <<<"$out" || fail "get lost the data: $out"
expect 0 session update a1 --data theme=light
grep -q "theme=light" <<<"$out" && grep -q "lang=en" <<<"$out" || fail "update did not merge: $out"
expect 0 session create alice --id a2
expect 0 session create bob --id b1
expect 0 session list alice
[ "$(wc -l <<<"$out")" -eq 2 ] || fail "alice's list: $out"

# Kill a node: the rest still serve, and agree.
kill -9 "${node_pid[1]}"; wait "${node_pid[1]}" 2>/dev/null
expect 0 session create carol --ttl 300ms --id c1
sleep 1.5
expect 1 session get c1 --touch
grep -q "not_found" <<<"$err" || fail "an expired session was touched: $err"
expect 1 session get c1
[ "$err" = "shoal: session get: not_found: no live session c1" ] || fail "a missing session said: $err"
start_node 1

expect 0 session logout alice
[ "$out" = "logged out 2 session(s)" ] || fail "logout said: $out"
expect 0 session list alice
[ -z "$out" ] || fail "alice still has sessions: $out"
expect 0 session get b1
expect 0 session stats --json
grep -q '"active":1' <<<"$out" && grep -q '"expired":1' <<<"$out" && grep -q '"deleted":2' <<<"$out" ||
  fail "stats: $out"

bad() {
  expect 2 "$@"
  one_line "$err" "shoal $*"
}
bad session create alice --ttl 0s
bad session create alice --ttl soon
bad session create alice --data novalue
bad session create "" --id x
bad session extend a1 --ttl 31d
echo "session cli: all passed"
