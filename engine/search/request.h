// A search request, parsed from Elasticsearch-like JSON and validated against
// a collection's schema:
//
//   {"query": {...clause...},
//    "knn": {"field": "embedding", "query_vector": [...], "k": 10,
//            "num_candidates": 100, "filter": {...clause...}},
//    "sort": ["_score", {"price": {"order": "asc", "missing": "_last"}}],
//    "size": 10, "from": 0,
//    "search_after": [...] | "cursor": "<token from next_cursor>",
//    "pit": {"id": "<token>"},
//    "_source": true,
//    "aggs": {...}}
//
// Semantics, stated once for shards and coordinator alike:
// * The matching set is the documents matching `query` (match_all when absent)
//   and `knn.filter`. Aggregations run over the whole matching set.
// * Without knn, hits are the matching set in sort order; each shard returns
//   its first from+size after the cursor and the coordinator merges.
// * With knn, hits are the k nearest documents of the matching set (ranked by
//   knn score, then id), each scored knn score × boost + query score, then
//   ordered by `sort` and paged by from/size/cursor within those k. Shards
//   return their own k nearest; the coordinator keeps the global k.
// * knn score: l2_norm 1/(1+d²), dot_product d+1 for d ≥ 0 else 1/(1−d),
//   cosine (1+cos)/2 — Elasticsearch's, so higher is always better.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/search/agg_spec.h"
#include "engine/search/clause.h"
#include "engine/search/schema.h"
#include "engine/search/sort.h"

namespace shoal::search {

inline constexpr uint32_t kMaxK = 10000;
inline constexpr uint32_t kMaxNumCandidates = 10000;
inline constexpr uint32_t kMaxResultWindow = 10000;  // from + size

struct KnnSpec {
  std::vector<float> query_vector;
  uint32_t k = 10;
  uint32_t num_candidates = 15;
  std::optional<Clause> filter;
  double boost = 1;
  // Per-query overrides of the collection's index options.
  std::optional<uint32_t> ef_search;
  std::optional<uint32_t> nprobe;
};

struct SearchRequest {
  std::optional<Clause> query;
  std::optional<KnnSpec> knn;
  std::vector<SortClause> sort = default_sort();
  uint32_t from = 0;
  uint32_t size = 10;
  std::optional<std::vector<Value>> search_after;
  std::optional<std::string> pit_id;
  bool source = true;
  std::vector<AggSpec> aggs;

  // True when every document is in the matching set.
  bool matches_everything() const;
};

absl::StatusOr<SearchRequest> parse_search_request(std::string_view json, const Schema& schema);

// True when doc is in the request's matching set; *query_score receives the
// query-context score (0 without a query).
bool in_matching_set(const SearchRequest& r, const DocView& doc, double* query_score);

// The knn score for a raw FAISS distance (squared L2 or inner product).
double knn_score(VectorMetric metric, float distance);

// A fingerprint of the sort, stored in cursors so that a cursor cannot be
// replayed against a different order.
uint64_t sort_fingerprint(const std::vector<SortClause>& sort);

}  // namespace shoal::search
