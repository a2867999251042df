// Aggregation partials: what a shard computes for each aggregation of a
// request, what travels to the coordinator, and what merge() folds together.
//
// A partial is a tree mirroring the AggSpec tree. Metric kinds share one
// MetricPartial (count, exact sums of x and x², min, max); percentiles carry a
// t-digest, cardinality a HyperLogLog; bucket kinds carry buckets sorted by
// key, each with its doc count and one partial per sub-aggregation. Keys are:
//   terms           the field value
//   histogram       the bucket index j (key = offset + j·interval)
//   date_histogram  the bucket start as a date (epoch ms, UTC)
//   range, filters  the position of the range or filter in the request
//
// Terms partials also carry what the error bound needs: every bucket's
// `error` (the most its true count can exceed doc_count) and the partial's
// `error_bound` (the most any term absent from the list can have). A shard
// that truncates its list to shard_size reports the last kept count as its
// bound; merge() sums bounds the way Elasticsearch does, and merging is
// associative, so shards may be merged in any grouping.
//
// Partials encode with the codec and decode against the spec they were made
// for; a partial that does not fit its spec is DataLoss, never a crash.
#pragma once

#include <cstdint>
#include <limits>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/codec.h"
#include "engine/search/agg_spec.h"
#include "engine/search/exact_sum.h"
#include "engine/search/hyperloglog.h"
#include "engine/search/tdigest.h"
#include "engine/search/value.h"

namespace shoal::search {

struct AggPartial;

struct MetricPartial {
  uint64_t count = 0;
  ExactSum sum;
  ExactSum sum_of_squares;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
};

struct Bucket {
  Value key;
  uint64_t doc_count = 0;
  uint64_t error = 0;  // terms only
  std::vector<AggPartial> subs;
};

struct BucketsPartial {
  std::vector<Bucket> buckets;  // strictly increasing keys
  uint64_t total_count = 0;     // terms: documents with a value
  uint64_t error_bound = 0;     // terms: bound on the count of an absent term
};

struct AggPartial {
  AggKind kind = AggKind::kValueCount;
  std::variant<MetricPartial, BucketsPartial, TDigest, HyperLogLog> body;
};

// An empty partial for spec (what a shard with no matching documents sends).
AggPartial empty_partial(const AggSpec& spec);

// Folds `from` into `into`. REQUIRES: both were made for spec.
void merge_partial(const AggSpec& spec, AggPartial& into, const AggPartial& from);
// Merges per-shard lists (one partial per top-level spec each) into one list.
std::vector<AggPartial> merge_partials(const std::vector<AggSpec>& specs,
                                       const std::vector<std::vector<AggPartial>>& per_shard);

void encode_partial(const AggSpec& spec, const AggPartial& p, Writer& w);
absl::StatusOr<AggPartial> decode_partial(const AggSpec& spec, Reader& r);
void encode_partials(const std::vector<AggSpec>& specs, const std::vector<AggPartial>& ps, Writer& w);
absl::StatusOr<std::vector<AggPartial>> decode_partials(const std::vector<AggSpec>& specs, Reader& r);

}  // namespace shoal::search
