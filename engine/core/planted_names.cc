#include "engine/core/planted.h"

namespace shoal {

const char* planted_bug_name(PlantedBug bug) {
  switch (bug) {
    case PlantedBug::kNone: return "none";
    case PlantedBug::kVoteWithoutLogCheck: return "vote-without-log-check";
    case PlantedBug::kCommitEarlierTermByCount: return "commit-earlier-term-by-count";
    case PlantedBug::kLeaseIgnoresClockDrift: return "lease-ignores-clock-drift";
    case PlantedBug::kOverlappingMembershipChanges: return "overlapping-membership-changes";
    case PlantedBug::kAckBeforeDurable: return "ack-before-durable";
    case PlantedBug::kVoteBeforeDurable: return "vote-before-durable";
    case PlantedBug::kQuorumOneShort: return "quorum-one-short";
    case PlantedBug::kReadIndexWithoutConfirmation: return "read-index-without-confirmation";
    case PlantedBug::kCommitIndexUnbounded: return "commit-index-unbounded";
    case PlantedBug::kAllAckAtQuorum: return "all-ack-at-quorum";
    case PlantedBug::kLeaderCountsItselfBeforeDurable: return "leader-counts-itself-before-durable";
    case PlantedBug::kAverageOfShardAverages: return "average-of-shard-averages";
    case PlantedBug::kSearchSkipsUnavailableShard: return "search-skips-unavailable-shard";
    case PlantedBug::kLockExpiresEarly: return "lock-expires-early";
    case PlantedBug::kFenceIgnored: return "fence-ignored";
    case PlantedBug::kWatchResumeSkips: return "watch-resume-skips";
    case PlantedBug::kSessionTouchResurrects: return "session-touch-resurrects";
    case PlantedBug::kCacheServesStaleRead: return "cache-serves-stale-read";
    case PlantedBug::kTxnRecoveryRollsForward: return "txn-recovery-rolls-forward";
  }
  return "?";
}

const std::vector<PlantedBug>& all_planted_bugs() {
  static const std::vector<PlantedBug> all = {
      PlantedBug::kVoteWithoutLogCheck, PlantedBug::kCommitEarlierTermByCount, PlantedBug::kLeaseIgnoresClockDrift,
      PlantedBug::kOverlappingMembershipChanges, PlantedBug::kAckBeforeDurable,     PlantedBug::kVoteBeforeDurable,
      PlantedBug::kQuorumOneShort,               PlantedBug::kReadIndexWithoutConfirmation,
      PlantedBug::kCommitIndexUnbounded, PlantedBug::kAllAckAtQuorum,
      PlantedBug::kLeaderCountsItselfBeforeDurable, PlantedBug::kAverageOfShardAverages,
      PlantedBug::kSearchSkipsUnavailableShard, PlantedBug::kLockExpiresEarly, PlantedBug::kFenceIgnored,
      PlantedBug::kWatchResumeSkips, PlantedBug::kSessionTouchResurrects, PlantedBug::kCacheServesStaleRead,
      PlantedBug::kTxnRecoveryRollsForward};
  return all;
}

}  // namespace shoal
