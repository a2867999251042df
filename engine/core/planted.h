// Planted bugs: the harness's own test that it can find a broken rule.
//
// planted_bug() names the rule the running binary breaks on purpose. Every
// production binary links engine/core/planted.cc, where it is kNone. The
// test-only executable `shoal-planted` (built when the CMake option
// SHOAL_PLANTED_BUGS is ON) links tools/planted/ first, whose definition
// returns the bug named by SHOAL_PLANTED_BUG; the linker then never pulls the
// core definition. No flag, file or environment variable can switch a bug on
// in `shoal` itself.
//
// Each bug is a class of mistake real Raft implementations (and sharded
// search engines) have shipped; the
// sweep that catches it (tests/cli/planted_bug.sh) shows the harness reaches
// the schedules that expose it.
#pragma once

#include <vector>

namespace shoal {

enum class PlantedBug {
  kNone,
  // A vote (and pre-vote) is granted without checking that the candidate's
  // log is at least as up to date as the voter's (§5.4.1).
  kVoteWithoutLogCheck,
  // A leader commits an entry of an earlier term by counting its replicas
  // (the Figure 8 mistake, §5.4.2): only entries of its own term may be.
  kCommitEarlierTermByCount,
  // A leader's lease is not shortened by the clock-drift bound, so with
  // clocks drifting at the bound it outlives the voters' promise not to
  // elect another leader.
  kLeaseIgnoresClockDrift,
  // A membership change is accepted while another is still uncommitted, so
  // two configurations without a common majority can be in flight.
  kOverlappingMembershipChanges,
  // A follower acknowledges appended entries before they are durable.
  kAckBeforeDurable,
  // A vote is answered before the vote is durable.
  kVoteBeforeDurable,
  // A majority is counted as half the voters, rounded down.
  kQuorumOneShort,
  // A ReadIndex read is served without a heartbeat round confirming that
  // this node still leads.
  kReadIndexWithoutConfirmation,
  // The commit index is not bounded by what the append verified: the leader
  // sends its own, and a follower takes it up to its last entry, stale
  // entries of an older term included.
  kCommitIndexUnbounded,
  // An all-level write is acknowledged once a quorum holds it.
  kAllAckAtQuorum,
  // The leader counts its own copy toward a quorum before it is durable.
  kLeaderCountsItselfBeforeDurable,
  // The coordinator merges averages as the average of the shards' averages.
  kAverageOfShardAverages,
  // The coordinator leaves a shard that did not answer out of a search
  // without naming it missing.
  kSearchSkipsUnavailableShard,
  // The leader expires a lock's lease at half its ttl, so the store grants
  // the lock again while the holder's lease is still live.
  kLockExpiresEarly,
  // A fenced write applies whatever lock its token names: a holder whose
  // lease ran out (paused, say) still writes after the next holder.
  kFenceIgnored,
  // A watch that reconnects resumes one revision past where it had got, so
  // a change at exactly that revision is never delivered.
  kWatchResumeSkips,
  // Touching a session that ended brings it back (a touch of an absent id
  // recreates it) instead of answering not-found.
  kSessionTouchResurrects,
  // A LocalCache takes a late put whose read began before an invalidation it
  // has already applied (the read-invalidate-put race), so it serves a value
  // older than a change it was told of.
  kCacheServesStaleRead,
  // A txn's recovery rolls a pending txn forward (commits it at its record)
  // instead of aborting it, as if meeting one of its intents meant every
  // participant had prepared: a coordinator that crashed mid-prepare leaves
  // the txn applied in some groups and not in others.
  kTxnRecoveryRollsForward,
};

PlantedBug planted_bug();

const char* planted_bug_name(PlantedBug bug);
const std::vector<PlantedBug>& all_planted_bugs();

}  // namespace shoal
