#include "engine/core/planted.h"

namespace shoal {

const char* planted_bug_name(PlantedBug bug) {
  switch (bug) {
    case PlantedBug::kNone: return "none";
    case PlantedBug::kVoteWithoutLogCheck: return "vote-without-log-check";
    case PlantedBug::kCommitEarlierTermByCount: return "commit-earlier-term-by-count";
    case PlantedBug::kLeaseIgnoresClockDrift: return "lease-ignores-clock-drift";
    case PlantedBug::kOverlappingMembershipChanges: return "overlapping-membership-changes";
  }
  return "?";
}

const std::vector<PlantedBug>& all_planted_bugs() {
  static const std::vector<PlantedBug> all = {
      PlantedBug::kVoteWithoutLogCheck, PlantedBug::kCommitEarlierTermByCount, PlantedBug::kLeaseIgnoresClockDrift,
      PlantedBug::kOverlappingMembershipChanges};
  return all;
}

}  // namespace shoal
