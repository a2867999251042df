// Collecting aggregation partials on a shard: one collector per AggSpec node,
// fed every document of the matching set once, in any order.
//
// Collectors are the shard's half of every aggregation; their results are
// partials (agg_partial.h) that the coordinator merges. A partial does not
// depend on the order documents were collected in, except the t-digest,
// whose centroids depend on insertion order within its stated bound; shards
// collect in slot order, which is deterministic.
//
// Bucket aggregations with many distinct keys are bounded: a histogram or
// date_histogram that would create more than kMaxBuckets buckets on one shard
// fails with ResourceExhausted naming the aggregation.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/search/agg_partial.h"
#include "engine/search/agg_spec.h"
#include "engine/search/clause.h"

namespace shoal::search {

class AggCollector {
 public:
  virtual ~AggCollector() = default;
  virtual void collect(const DocView& doc) = 0;
  // The partial of everything collected. Call once.
  virtual absl::StatusOr<AggPartial> finish() = 0;
};

std::unique_ptr<AggCollector> make_collector(const AggSpec& spec);

// All top-level aggregations of a request, collected together.
class AggregationSet {
 public:
  explicit AggregationSet(const std::vector<AggSpec>& specs);
  bool empty() const { return collectors_.empty(); }
  void collect(const DocView& doc) {
    for (auto& c : collectors_) c->collect(doc);
  }
  absl::StatusOr<std::vector<AggPartial>> finish();

 private:
  std::vector<std::unique_ptr<AggCollector>> collectors_;
};

// A stable 64-bit hash of a value for cardinality: equal values hash equal on
// every node and in every process.
uint64_t value_hash(const Value& v);

}  // namespace shoal::search
