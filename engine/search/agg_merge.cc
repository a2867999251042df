// Merging aggregation partials (see agg_partial.h): the coordinator's half of
// every aggregation.
#include <utility>

#include "engine/core/assert.h"
#include "engine/core/planted.h"
#include "engine/search/agg_partial.h"

namespace shoal::search {

AggPartial empty_partial(const AggSpec& spec) {
  AggPartial p;
  p.kind = spec.kind;
  if (is_bucket_kind(spec.kind)) {
    p.body = BucketsPartial{};
  } else if (spec.kind == AggKind::kPercentiles) {
    p.body = TDigest(spec.compression);
  } else if (spec.kind == AggKind::kCardinality) {
    p.body = HyperLogLog(spec.precision_threshold);
  } else {
    p.body = MetricPartial{};
  }
  return p;
}

namespace {

void merge_metric(MetricPartial& into, const MetricPartial& from) {
  into.count += from.count;
  into.sum.merge(from.sum);
  into.sum_of_squares.merge(from.sum_of_squares);
  into.min = std::min(into.min, from.min);
  into.max = std::max(into.max, from.max);
}

void merge_subs(const AggSpec& spec, std::vector<AggPartial>& into, const std::vector<AggPartial>& from) {
  SHOAL_ASSERT(into.size() == spec.children.size() && from.size() == spec.children.size());
  for (size_t i = 0; i < spec.children.size(); ++i) merge_partial(spec.children[i], into[i], from[i]);
}

// Merge-joins two key-sorted bucket lists. A term absent from one side may
// still have up to that side's error_bound documents there, which is what
// the merged bucket's error accounts for (non-terms kinds have bound 0).
void merge_buckets(const AggSpec& spec, BucketsPartial& into, const BucketsPartial& from) {
  std::vector<Bucket> out;
  out.reserve(into.buckets.size() + from.buckets.size());
  size_t i = 0;
  size_t j = 0;
  while (i < into.buckets.size() || j < from.buckets.size()) {
    const int cmp = i == into.buckets.size()   ? 1
                    : j == from.buckets.size() ? -1
                                               : compare(into.buckets[i].key, from.buckets[j].key);
    if (cmp < 0) {
      out.push_back(std::move(into.buckets[i++]));
      out.back().error += from.error_bound;
    } else if (cmp > 0) {
      out.push_back(from.buckets[j++]);
      out.back().error += into.error_bound;
    } else {
      Bucket b = std::move(into.buckets[i++]);
      const Bucket& o = from.buckets[j++];
      b.doc_count += o.doc_count;
      b.error += o.error;
      merge_subs(spec, b.subs, o.subs);
      out.push_back(std::move(b));
    }
  }
  into.buckets = std::move(out);
  into.total_count += from.total_count;
  into.error_bound += from.error_bound;
}

}  // namespace

void merge_partial(const AggSpec& spec, AggPartial& into, const AggPartial& from) {
  SHOAL_ASSERT(into.kind == spec.kind && from.kind == spec.kind);
  SHOAL_ASSERT(into.body.index() == from.body.index());
  if (auto* m = std::get_if<MetricPartial>(&into.body)) {
    const MetricPartial& f = std::get<MetricPartial>(from.body);
    if (planted_bug() == PlantedBug::kAverageOfShardAverages && spec.kind == AggKind::kAvg && m->count > 0 &&
        f.count > 0) {
      // Planted: the merged average is the average of the two averages.
      const double avg = (m->sum.value() / static_cast<double>(m->count) + f.sum.value() / static_cast<double>(f.count)) / 2;
      m->count += f.count;
      m->sum = ExactSum();
      m->sum.add(avg * static_cast<double>(m->count));
      return;
    }
    merge_metric(*m, f);
  } else if (auto* b = std::get_if<BucketsPartial>(&into.body)) {
    merge_buckets(spec, *b, std::get<BucketsPartial>(from.body));
  } else if (auto* d = std::get_if<TDigest>(&into.body)) {
    d->merge(std::get<TDigest>(from.body));
  } else {
    std::get<HyperLogLog>(into.body).merge(std::get<HyperLogLog>(from.body));
  }
}

std::vector<AggPartial> merge_partials(const std::vector<AggSpec>& specs,
                                       const std::vector<std::vector<AggPartial>>& per_shard) {
  std::vector<AggPartial> out;
  out.reserve(specs.size());
  for (const AggSpec& s : specs) out.push_back(empty_partial(s));
  // Shards fold in the order given; the caller passes them by shard id so the
  // (order-dependent) t-digest result is reproducible.
  for (const std::vector<AggPartial>& shard : per_shard) {
    SHOAL_ASSERT(shard.size() == specs.size());
    for (size_t i = 0; i < specs.size(); ++i) merge_partial(specs[i], out[i], shard[i]);
  }
  return out;
}

}  // namespace shoal::search
