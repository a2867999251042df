// Placement checks of a sharded collection, over its state after quiescence.
//
// `shard-sizes-balanced`: every shard holds within ±tolerance of the mean
// number of documents (hash sharding spreads ids evenly; a shard far off the
// mean shows a routing or migration fault). `slack_documents` widens the
// band by an absolute count, for collections so small that a fraction of
// the mean is less than a document or two.
//
// `documents-on-owner`: every document is held by the shard the router
// (the shard map) says owns its id, and by no other shard. Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

inline constexpr double kShardSizeToleranceDefault = 0.10;

// REQUIRES: 0 <= tolerance_fraction. `documents_by_shard`: shard id -> count
// (a shard holding nothing must be listed with 0).
CheckResult check_shard_sizes_balanced(const std::map<uint32_t, size_t>& documents_by_shard,
                                       double tolerance_fraction = kShardSizeToleranceDefault,
                                       size_t slack_documents = 0);

// `held`: every (document id, shard) placement found on the shards (an id
// may appear on several); `owner`: id -> the shard the router names.
CheckResult check_documents_on_owner(const std::vector<std::pair<std::string, uint32_t>>& held,
                                     const std::map<std::string, uint32_t>& owner);

}  // namespace shoal::check
