// `missing-shards-named`: a search answer never silently covers fewer shards
// than it claims (merge.h: shards that did not answer are listed and the
// response is flagged partial rather than silently smaller).
//
// Per search, the scenario records which shards exist and which ones the
// coordinator actually merged (contributed), beside what the response
// states. A shard that did not contribute must be named missing; a shard
// named missing must not have contributed; shards_total must count every
// shard. With `nothing_may_be_missing` (e.g. RF >= 2 with one node down:
// every shard still has a live replica), any missing shard is a violation
// too. Pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/search/merge.h"
#include "scenarios/checkers/check_result.h"

namespace shoal::check {

struct SearchCoverage {
  size_t op = 0;                       // history index of the search, for the report
  std::vector<uint32_t> all_shards;    // the collection's shards
  std::vector<uint32_t> contributed;   // shards whose answer was merged
  uint32_t shards_total = 0;           // as the response states
  std::vector<uint32_t> shards_missing;  // as the response states
};

// The coverage a response states, with the scenario's knowledge beside it.
SearchCoverage coverage_of(size_t op, const search::SearchResponse& response, std::vector<uint32_t> all_shards,
                           std::vector<uint32_t> contributed);

CheckResult check_missing_shards_named(const std::vector<SearchCoverage>& searches, bool nothing_may_be_missing);

}  // namespace shoal::check
