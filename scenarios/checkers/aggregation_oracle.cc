#include "scenarios/checkers/aggregation_oracle.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <set>

#include <boost/json.hpp>

#include "engine/search/agg_result.h"
#include "scenarios/checkers/aggregation_judge.h"
#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

namespace json = boost::json;

void widen(std::vector<search::AggSpec>& specs) {
  for (search::AggSpec& s : specs) {
    if (s.kind == search::AggKind::kTerms) s.shard_size = search::kMaxShardSize;
    if (s.kind == search::AggKind::kPercentiles) s.compression = search::kMaxCompression;
    if (s.kind == search::AggKind::kCardinality) s.precision_threshold = search::kMaxPrecisionThreshold;
    widen(s.children);
  }
}

}  // namespace

search::SearchRequest widened_aggregation_request(const search::SearchRequest& request) {
  search::SearchRequest wide = request;
  widen(wide.aggs);
  return wide;
}

CheckResult check_aggregations_equal_oracle(const SearchOracle& oracle, const search::SearchRequest& request,
                                            const json::object& store_aggs, uint32_t shards_total) {
  CheckResult r;
  const std::string name = "aggregations-equal-oracle";
  auto truth = oracle.run(widened_aggregation_request(request));
  if (!truth.ok()) {
    r.add({internal::str_cat("the oracle cannot run the request: ", std::string(truth.status().message())), {}});
    r.summarise(name, request.aggs.size(), "aggregations");
    r.name = name;
    return r;
  }
  internal::AggregationJudge judge(std::max<uint32_t>(shards_total, 1), r);
  std::set<std::string> expected_names;
  for (size_t i = 0; i < request.aggs.size(); ++i) {
    const search::AggSpec& spec = request.aggs[i];
    expected_names.insert(spec.name);
    judge.judge(spec, truth->aggs[i], store_aggs.if_contains(spec.name), spec.name);
  }
  for (const auto& member : store_aggs) {
    if (!expected_names.count(std::string(member.key()))) {
      r.add({internal::str_cat("aggregation \"", std::string(member.key()), "\" was not requested"), {}});
    }
  }
  r.summarise(name, judge.judged(), "aggregations");
  r.name = name;
  return r;
}

CheckResult check_aggregations_equal_oracle(const SearchOracle& oracle, const search::SearchRequest& request,
                                            const search::SearchResponse& response) {
  const std::string name = "aggregations-equal-oracle";
  if (!response.shards_missing.empty()) {
    CheckResult r;
    r.name = name;
    r.message = internal::str_cat(name, ": not judged (a partial response: ", response.shards_missing.size(),
                                  " shard(s) missing)");
    return r;
  }
  if (request.aggs.empty()) {
    CheckResult r;
    r.summarise(name, 0, "aggregations");
    r.name = name;
    return r;
  }
  if (response.aggs.size() != request.aggs.size()) {
    CheckResult r;
    r.add({internal::str_cat("the store answered ", response.aggs.size(), " aggregations for ", request.aggs.size(),
                             " requested"),
           {}});
    r.summarise(name, request.aggs.size(), "aggregations");
    r.name = name;
    return r;
  }
  auto rendered = search::render_aggs(request.aggs, response.aggs);
  if (!rendered.ok()) {
    CheckResult r;
    r.add({internal::str_cat("the store's aggregations do not render: ", std::string(rendered.status().message())),
           {}});
    r.summarise(name, request.aggs.size(), "aggregations");
    r.name = name;
    return r;
  }
  return check_aggregations_equal_oracle(oracle, request, *rendered, response.shards_total);
}

}  // namespace shoal::check
