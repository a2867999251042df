#!/usr/bin/env bash
# `shoal lock` and fenced `shoal kv` writes against three real nodes on
# loopback: a grant prints its token; a second holder waiting briefly is
# refused (exit 1) and told who holds the lock; status shows the holder; a
# write fenced with the holding token applies and one with any other token is
# refused; release, extend, force-release and an expired lease behave as
# documented; every bad input exits 2 with one line; a cluster that cannot be
# reached exits 1. Every command is bounded by `timeout`; the nodes are
# killed on exit.
set -u
source "$(dirname "$0")/real_cluster.bash"
real_cluster_start "$1"
wait_for_cluster
[ "$out" = "no locks held" ] || fail "a fresh cluster lists locks: $out"

# A grant prints its token; a second holder is refused after its wait, told who holds it.
expect 0 lock acquire r1 --ttl 20s --holder h1
[[ "$out" =~ ^acquired\ r1\ token\ ([0-9]+)\ valid\ [0-9.]+s\ \(holder\ h1\)$ ]] || fail "acquire printed: $out"
t1=${BASH_REMATCH[1]}
expect 1 lock acquire r1 --ttl 5s --wait 300ms --holder h2
one_line "$err" "a refused acquire"
[[ "$err" == "locked: r1 held by h1 token $t1 (asked "*" times)" ]] || fail "a refused acquire said: $err"
expect 1 lock acquire r1 --ttl 5s --holder h2 --json
[[ "$out" == *'"code":"locked"'* && "$out" == *"\"holder\":\"h1\",\"token\":$t1"* ]] || fail "--json refusal: $out"

# Status of one lock, and the table of all.
expect 0 lock status r1
[[ "$out" == "r1 held by h1 token $t1 (lease of 20"*" from index "*")" ]] || fail "status r1: $out"
expect 0 lock status
grep -Eq "^r1 +h1 +$t1 " <<<"$out" || fail "status table: $out"
expect 0 lock status r1 --json
[[ "$out" == *"\"holder\":\"h1\",\"token\":$t1"* ]] || fail "status --json: $out"

# Fenced writes: the holding token applies, any other is refused and changes nothing.
expect 0 kv put k1 v1 --fence "r1:$t1"
[ "$out" = ok ] || fail "fenced put printed: $out"
expect 0 kv append k1 +more --fence "r1:$t1"
expect 1 kv put k1 stale --fence "r1:$((t1 - 1))"
one_line "$err" "a fenced put"
[[ "$err" == "fenced: put k1: fenced by lock r1: token $((t1 - 1)) does not hold the lock: token $t1 does" ]] ||
  fail "a fenced put said: $err"
expect 1 kv cas k1 v1+more x --fence "r1:$((t1 + 1))"
[[ "$err" == "fenced: cas k1:"* ]] || fail "a fenced cas said: $err"
expect 1 kv delete k1 --fence "other:$t1"
[[ "$err" == "fenced: delete k1: fenced by lock other: token $t1 does not hold the lock: it is free" ]] ||
  fail "a delete fenced by a free lock said: $err"
expect 0 kv get k1
[ "$out" = "v1+more" ] || fail "fenced writes changed k1 to: $out"
# A leader-level fenced write is accepted before its fence is judged: its outcome is unknown.
expect 1 kv put k3 v --fence "r1:$t1" --level leader
[[ "$err" == *"accepted at index"*"whether the fence held is not known (use --level quorum)" ]] ||
  fail "a leader-level fenced put said: $err"

# Extend and release need the holding token.
expect 0 lock extend r1 --token "$t1" --ttl 30s
[[ "$out" =~ ^extended\ r1\ token\ $t1\ valid\ [0-9.]+s$ ]] || fail "extend printed: $out"
expect 1 lock release r1 --token $((t1 + 1))
[[ "$err" == "not holder: r1: token $((t1 + 1)) does not hold the lock: token $t1 does" ]] || fail "release by another token: $err"
expect 0 lock release r1 --token "$t1"
[ "$out" = "released r1 token $t1" ] || fail "release printed: $out"
expect 1 kv put k1 late --fence "r1:$t1"
[[ "$err" == "fenced: put k1:"*"it is free" ]] || fail "a write after the release said: $err"

# The next holder gets a higher token; force-release frees it whoever holds it.
expect 0 lock acquire r1 --ttl 20s --holder h2 --json
[[ "$out" =~ \"token\":([0-9]+) ]] || fail "acquire --json: $out"
t2=${BASH_REMATCH[1]}
[ "$t2" -gt "$t1" ] || fail "the second grant's token $t2 is not above $t1"
[[ "$out" == *'"outcome":"ok","code":"ok"'* && "$out" == *'"valid_ms":'* ]] || fail "acquire --json: $out"
expect 0 lock force-release r1
[ "$out" = "force-released r1" ] || fail "force-release printed: $out"
expect 1 lock status r1
[ "$err" = "free: r1 is not held" ] || fail "status of a free lock: $err"
expect 1 lock force-release r1
[ "$err" = "free: r1 is not held" ] || fail "force-release of a free lock: $err"

# A lease that is not released runs out: the leader frees it, the token is fenced.
expect 0 lock acquire r2 --ttl 500ms --holder sleeper --json
[[ "$out" =~ \"token\":([0-9]+) ]] || fail "acquire r2: $out"
t3=${BASH_REMATCH[1]}
for _ in $(seq 1 50); do
  run lock status r2
  [ "$rc" -eq 1 ] && break
  sleep 0.2
done
[ "$rc" -eq 1 ] || fail "the lease of r2 never ran out: $out"
expect 1 kv put k2 x --fence "r2:$t3"
[[ "$err" == "fenced: put k2:"* ]] || fail "a write after the lease ran out said: $err"

# Bad input: exit 2, one line naming the problem.
bad() {
  local want=$1; shift
  expect 2 "$@"
  one_line "$err" "shoal $*"
  grep -qF -- "$want" <<<"$err" || fail "shoal $*: the message does not say '$want': $err"
}
bad "--ttl: 'soon' is not a duration" lock acquire r1 --ttl soon
bad "--ttl: '0s' is outside 1ms..24h" lock acquire r1 --ttl 0s
bad "--ttl: '25h' is outside 1ms..24h" lock extend r1 --token 5 --ttl 25h
bad "--ttl: '1.5ms' is not a whole number of milliseconds" lock acquire r1 --ttl 1.5ms
bad "--ttl is required" lock acquire r1
bad "--wait: '-1s' is not a duration" lock acquire r1 --ttl 1s --wait=-1s
bad "--token is required" lock release r1
bad "--holder: a holder name has 1..256 bytes" lock acquire r1 --ttl 1s --holder ""
bad "--token: 'abc' is not a token" lock release r1 --token abc
bad "--token: '0' is not a token" lock extend r1 --token 0 --ttl 1s
bad "resource is required" lock force-release
bad "--fence: 'r1' is not RESOURCE:TOKEN" kv put k v --fence r1
bad "--fence: ':5' is not RESOURCE:TOKEN" kv append k v --fence :5
bad "--fence: 'x' is not a token" kv delete k --fence r1:x
bad "--fence: '-3' is not a token" kv put k v --fence r1:-3
bad "--fence: '' is not RESOURCE:TOKEN" kv put k v --fence ""
err=$(timeout 10 "$shoal" lock status --endpoints 127.0.0.1:notaport 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <<<"$err")" -eq 1 ] || fail "a bad endpoint: exit $rc: $err"

# A cluster that cannot be reached: exit 1, the outcome named.
err=$(timeout 20 "$shoal" lock acquire r1 --ttl 1s --timeout 1s --endpoints "127.0.0.1:$((base + 4))" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || fail "an unreachable cluster: exit $rc: $err"
[[ "$err" =~ ^shoal:\ acquire\ r1:\ (fail|unknown):\  ]] || fail "an unreachable cluster said: $err"
echo "lock cli: all passed"
