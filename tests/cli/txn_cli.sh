#!/usr/bin/env bash
# `shoal txn` against three real nodes on loopback (each hosting group 0 and
# the two default txn groups): a txn over keys in both groups commits and
# reads back whole; a get sees the txn's own earlier writes; then txns that
# each append their number to four keys run while a node is SIGKILLed and
# restarted, and at the end the four lists are equal — every txn applied to
# all of its keys or to none — and hold every committed number; bad input
# exits 2 with one line.
set -u
source "$(dirname "$0")/real_cluster.bash"
real_cluster_start "$1"
wait_for_cluster

keys=(k1 k2 k3 k4)
ops='[{"op":"put","key":"a","value":"1"},{"op":"put","key":"b","value":"2"},{"op":"put","key":"c","value":"3"},{"op":"put","key":"d","value":"4"}]'
expect 0 txn "$ops" --json
grep -q '"outcome":"committed"' <<<"$out" || fail "the txn did not commit: $out"
grep -q '"groups":2' <<<"$out" || fail "four keys did not span both txn groups: $out"
expect 0 txn '[{"op":"get","key":"a"},{"op":"get","key":"d"},{"op":"get","key":"zz"}]'
grep -q '^committed (txn ' <<<"$out" && grep -q '^a = "1"$' <<<"$out" && grep -q '^d = "4"$' <<<"$out" &&
  grep -q '^zz = (absent)$' <<<"$out" || fail "the reads: $out"
expect 0 txn '[{"op":"put","key":"x","value":"p"},{"op":"append","key":"x","value":"q"},{"op":"get","key":"x"},{"op":"delete","key":"a"},{"op":"get","key":"a"}]'
grep -q '^x = "pq"$' <<<"$out" && grep -q '^a = (absent)$' <<<"$out" || fail "a txn did not see its own writes: $out"
# Txn keys live in the txn groups, apart from group 0's `shoal kv` keys.
expect 1 kv get x
grep -q "not_found" <<<"$err" || fail "kv get of a txn key: $err"
expect 0 txn '[{"op":"get","key":"x"}]'
grep -q '^x = "pq"$' <<<"$out" || fail "x after the txn: $out"

# Txns appending their number to all four keys, a node SIGKILLed mid-way.
committed=()
for i in $(seq 1 24); do
  if [ "$i" -eq 8 ]; then kill -9 "${node_pid[2]}"; wait "${node_pid[2]}" 2>/dev/null; fi
  if [ "$i" -eq 16 ]; then start_node 2; fi
  list="["
  for k in "${keys[@]}"; do list+="{\"op\":\"append\",\"key\":\"$k\",\"value\":\" $i\"},"; done
  run txn "${list%,}]" --timeout 10s
  [ "$rc" -eq 0 ] && committed+=("$i")
done
[ "${#committed[@]}" -ge 12 ] || fail "only ${#committed[@]} of 24 txns committed around one killed node"
reads="["
for k in "${keys[@]}"; do reads+="{\"op\":\"get\",\"key\":\"$k\"},"; done
expect 0 txn "${reads%,}]"
first=$(grep '^k1 = ' <<<"$out" | cut -d' ' -f3-)
for k in "${keys[@]}"; do
  v=$(grep "^$k = " <<<"$out" | cut -d' ' -f3-)
  [ "$v" = "$first" ] || fail "half-applied txns: k1 = $first but $k = $v"
done
for i in "${committed[@]}"; do
  grep -qw "$i" <<<"$first" || fail "committed txn $i is missing from $first"
done

bad() {
  expect 2 "$@"
  one_line "$err" "shoal $*"
}
bad txn 'not json'
bad txn '[]'
bad txn '[{"op":"get"}]'
bad txn '[{"op":"frob","key":"a"}]'
bad txn '[{"op":"get","key":"a","value":"v"}]'
bad txn '[{"op":"put","key":"a","value":"v","extra":1}]'
bad txn @/no/such/file
echo "txn cli: ${#committed[@]} of 24 txns committed around a SIGKILLed node; all passed"
