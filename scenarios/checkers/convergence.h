// Convergence: after the cluster heals and quiesces, every replica holds the
// same state. Each replica's final state is given as its key -> value map;
// the result names every key on which replicas differ (a key one replica
// lacks counts as a difference). Pure function.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

struct ReplicaState {
  std::string replica;  // e.g. "n3/shard-2"
  std::map<std::string, std::string> data;
};

// REQUIRES: at least one replica.
CheckResult check_convergence(const std::vector<ReplicaState>& replicas);

}  // namespace shoal::check
