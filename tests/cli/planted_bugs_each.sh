#!/usr/bin/env bash
# Every planted bug of shoal-planted (engine/core/planted.h) is caught by a
# sweep of the scenario built to reach its class, within 200 seeds, and the
# same seeds pass on shoal. The classes were never reached by the earlier
# catalogue in 1,600 seeds each; this is the test that they now are.
#   vote-without-log-check          chaos-kv          (tests/cli/planted_bug.sh shrinks it too)
#   commit-earlier-term-by-count    chaos-churn       leader churn, logs diverging across terms
#   lease-ignores-clock-drift       chaos-clock       leases with clocks at the edge of the bound
#   overlapping-membership-changes  membership-churn  an operator who does not wait
#   ack-before-durable              replication-levels the all-level check, judged as the leader acknowledges
#   vote-before-durable             chaos-churn       crash-mid-sync: a voter forgets its vote mid-election
#   quorum-one-short                split-brain       a minority side commits
#   read-index-without-confirmation chaos-clock       a deposed leader still answers linearizable reads
#   commit-index-unbounded          chaos-churn       stale entries of an older term committed
#   all-ack-at-quorum               chaos-kv-5        the all-level check
#   leader-counts-itself-before-durable chaos-disk    crash-mid-sync on the leader, its sync stretched
#   average-of-shard-averages       cross-shard-query the aggregation oracle over unequal shards
#   search-skips-unavailable-shard  partial-shard-failure-rf1  a shard's only replica down
#   lock-expires-early              lock-contention   the holders' intervals overlap
#   fence-ignored                   lock-contention   a paused holder's stale-token write lands
#   watch-resume-skips              cache-invalidation a watch reconnecting after a failed poll
#   session-touch-resurrects        session-replication a touch of an ended session
#   cache-serves-stale-read         cache-invalidation a subscriber's refresh read from a lagging replica
#   txn-recovery-rolls-forward      txn-atomicity     a coordinator crashed mid-prepare, its txn rolled forward
set -u
shoal=$1
planted=$(dirname "$shoal")/shoal-planted
[ -x "$planted" ] || { echo "no $planted: configure with -DSHOAL_PLANTED_BUGS=ON (the default)"; exit 1; }
fail() { echo "$*"; exit 1; }

while read -r bug scenario; do
  out=$(SHOAL_PLANTED_BUG=$bug "$planted" sim sweep --scenario "$scenario" --seeds 1..200 --jobs 2 --max-failures 1 \
        2>/dev/null); rc=$?
  [ $rc -eq 1 ] || fail "$bug: a 200-seed sweep of $scenario did not catch it (exit $rc): $(tail -2 <<<"$out")"
  line=$(grep -m1 "FAILED $scenario" <<<"$out")
  seed=$(awk '{print $4}' <<<"$line")
  "$shoal" sim run --scenario "$scenario" --seed "$seed" >/dev/null 2>&1 ||
    fail "$bug: $scenario seed $seed fails on shoal too: not the planted bug"
  echo "$bug: caught by $scenario at seed $seed: ${line#*trace }"
done <<'LIST'
vote-without-log-check chaos-kv
commit-earlier-term-by-count chaos-churn
lease-ignores-clock-drift chaos-clock
overlapping-membership-changes membership-churn
ack-before-durable replication-levels
vote-before-durable chaos-churn
quorum-one-short split-brain
read-index-without-confirmation chaos-clock
commit-index-unbounded chaos-churn
all-ack-at-quorum chaos-kv-5
leader-counts-itself-before-durable chaos-disk
average-of-shard-averages cross-shard-query
search-skips-unavailable-shard partial-shard-failure-rf1
lock-expires-early lock-contention
fence-ignored lock-contention
watch-resume-skips cache-invalidation
session-touch-resurrects session-replication
cache-serves-stale-read cache-invalidation
txn-recovery-rolls-forward txn-atomicity
LIST
err=$(SHOAL_PLANTED_BUG=no-such-bug "$planted" sim run --scenario chaos-kv 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'names no planted bug' <<<"$err" || fail "an unknown planted bug name: exit $rc: $err"
echo "planted bugs: each class caught within 200 seeds of its scenario"
