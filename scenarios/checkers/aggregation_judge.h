// Internal to aggregation_oracle.cc: judging one rendered aggregation of the
// store against the oracle's (widened) partial, per kind, recursively.
#pragma once

#include <cstdint>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "engine/search/agg_partial.h"
#include "engine/search/agg_spec.h"
#include "scenarios/checkers/check_result.h"

namespace shoal::check::internal {

class AggregationJudge {
 public:
  // `shards`: how many shard partials the store merged (at least 1).
  AggregationJudge(uint32_t shards, CheckResult& out) : shards_(shards), out_(out) {}

  // `truth` was computed for the widened form of `spec`; `got` is the
  // store's rendering (null when the store left it out); `path` names the
  // aggregation, e.g. "by_color[red]>avg_price".
  void judge(const search::AggSpec& spec, const search::AggPartial& truth, const boost::json::value* got,
             const std::string& path);
  size_t judged() const { return judged_; }

 private:
  void exact_metric(const search::AggSpec& spec, const search::AggPartial& truth, const boost::json::object& got,
                    const std::string& path);
  void exact_buckets(const search::AggSpec& spec, const search::AggPartial& truth, const boost::json::object& got,
                     const std::string& path);
  void terms(const search::AggSpec& spec, const search::BucketsPartial& truth, const boost::json::object& got,
             const std::string& path);
  void percentiles(const search::AggSpec& spec, const search::TDigest& truth, const boost::json::object& got,
                   const std::string& path);
  void cardinality(const search::AggSpec& spec, const search::HyperLogLog& truth, const boost::json::object& got,
                   const std::string& path);
  // Judges the sub-aggregations of one bucket (truth null: an empty bucket).
  void subs(const search::AggSpec& spec, const search::Bucket* truth, const boost::json::object& got,
            const std::string& path);
  void fail(const search::AggSpec& spec, const std::string& path, const std::string& what);

  uint32_t shards_;
  CheckResult& out_;
  size_t judged_ = 0;
};

}  // namespace shoal::check::internal
