// `aggregations-equal-oracle`: the aggregations of a store's search answer
// against those of the single-node oracle (search_oracle.h), per kind.
//
// The store's side is the rendered JSON (the "aggregations" member of
// render_response, or render_aggs of the merged partials): it is what users
// see, and it is judged the same whether it was merged in process or came
// over HTTP. The oracle's side is the single node's partials, computed with
// the approximate kinds widened (terms over every term, percentiles at
// maximum compression, cardinality at the maximum precision threshold) so
// that the truth is known:
//
// * exact kinds (stats, extended_stats, avg, min, max, sum, value_count,
//   histogram, date_histogram, range, filters) must render exactly what the
//   oracle renders. No tolerance: sums are ExactSum (exact_sum.h), so any
//   split of the data gives the same bits, and so do variances.
// * terms: the shown counts plus sum_other_doc_count are the number of
//   documents with a value; each shown count is at most the true count and
//   at most its stated error below it; the order is the requested one; no
//   unshown term has more than the last shown count plus the stated bound
//   (key orders: the shown terms are the first ones); and when no shard can
//   hold more than shard_size terms the stated bound is 0.
// * percentiles: each value lies between the true quantiles at q ± ε, with
//   ε the t-digest's rank error bound (tdigest.h) for the request's
//   compression and at most one run per shard (plus one per kRunPoints
//   values), widened by the oracle digest's own bound.
// * cardinality: equal to the true count while that is at most
//   precision_threshold (the sketch is exact there); above it within the
//   stated relative error (hyperloglog.h), widened by the oracle's own.
// Sub-aggregations are judged inside every bucket of an exact kind, and
// inside a terms bucket whose count is the true one (a partial count covers
// only some documents of the term).
//
// Violations name the aggregation path, its kind, what was expected and
// what the store gave.
#pragma once

#include <cstdint>

#include <boost/json/object.hpp>

#include "engine/search/merge.h"
#include "engine/search/request.h"
#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/search_oracle.h"

namespace shoal::check {

// `store_aggs`: name -> rendered aggregation; `shards_total`: how many
// shards answered (bounds the t-digest's runs).
CheckResult check_aggregations_equal_oracle(const SearchOracle& oracle, const search::SearchRequest& request,
                                            const boost::json::object& store_aggs, uint32_t shards_total);
// Renders the response's merged partials and judges them. A partial response
// (missing shards) cannot equal the oracle and is not judged (ok, and the
// message says so).
CheckResult check_aggregations_equal_oracle(const SearchOracle& oracle, const search::SearchRequest& request,
                                            const search::SearchResponse& response);

// The request the oracle runs: the same, with approximate kinds widened.
search::SearchRequest widened_aggregation_request(const search::SearchRequest& request);

}  // namespace shoal::check
