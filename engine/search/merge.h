// The coordinator's side of a search: what each shard answers, how the
// answers merge into one response, and how that response renders as JSON.
//
// Each shard runs the request (engine/search/search.h) and returns a
// ShardResult: its matching count, its hits (sorted, at most from+size of
// them after the cursor; with knn, its k nearest), and one aggregation
// partial per top-level aggregation. merge_shard_results() combines any
// number of them:
// * hits are ordered by the request's total order (ending in _id), so the
//   merged page equals the page a single node holding every document would
//   return, whatever the sharding, and ties never depend on arrival order;
// * with knn, the global k nearest are the best k of the shards' k nearest
//   by (similarity, id), then sorted and paged like any other hits;
// * aggregation partials merge in shard-id order;
// * shards that did not answer are listed, and the response is flagged
//   partial rather than silently smaller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "engine/search/agg_partial.h"
#include "engine/search/request.h"
#include "engine/search/schema.h"
#include "engine/search/sort.h"

namespace shoal::search {

struct ShardResult {
  uint64_t revision = 0;    // the shard revision the search read
  uint64_t total_hits = 0;  // size of the shard's matching set (knn: its hits)
  std::vector<Hit> hits;
  std::vector<AggPartial> aggs;
};

std::string encode_shard_result(const SearchRequest& request, const ShardResult& result);
absl::StatusOr<ShardResult> decode_shard_result(const SearchRequest& request, const Schema& schema,
                                                std::string_view bytes);

struct SearchResponse {
  uint64_t total_hits = 0;
  std::vector<Hit> hits;
  std::vector<AggPartial> aggs;
  std::optional<std::string> next_cursor;  // set when the page was full
  uint32_t shards_total = 0;
  std::vector<uint32_t> shards_missing;  // sorted shard ids that did not answer
};

// Merges the answers of the shards that responded (by shard id; ids unique).
// REQUIRES: every result was produced for `request`.
SearchResponse merge_shard_results(const SearchRequest& request,
                                   std::vector<std::pair<uint32_t, ShardResult>> results,
                                   std::vector<uint32_t> missing_shards);

// The page a merged list of shard hits yields: the global k nearest (knn),
// then the hits after the cursor, in sort order, skipping `from`, at most
// `size` of them.
std::vector<Hit> page_of(const SearchRequest& request, std::vector<Hit> hits);

// The Elasticsearch-like response body. Fails only when rendering an
// aggregation exceeds a bucket limit.
absl::StatusOr<boost::json::object> render_response(const SearchRequest& request, const Schema& schema,
                                                    const SearchResponse& response);

// Orders knn candidates: higher similarity first, then id ascending.
bool knn_better(const Hit& a, const Hit& b);

}  // namespace shoal::search
