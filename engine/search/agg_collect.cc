#include "engine/search/agg_collect.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "engine/search/str_cat.h"
#include "engine/core/random.h"
#include "engine/search/date.h"

namespace shoal::search {

uint64_t value_hash(const Value& v) {
  const uint64_t seed = v.missing() ? uint64_t{0} : static_cast<uint64_t>(v.type());
  if (v.missing()) return stable_hash(nullptr, 0, seed);
  if (v.type() == FieldType::kKeyword) return stable_hash(v.as_keyword().data(), v.as_keyword().size(), seed);
  uint64_t bits;
  if (v.type() == FieldType::kFloat) {
    const double d = v.as_float();
    std::memcpy(&bits, &d, sizeof bits);
  } else {
    bits = static_cast<uint64_t>(v.as_integer());
  }
  return stable_hash(&bits, sizeof bits, seed);
}

namespace {

// Which parts of a MetricPartial each kind needs; the rest stay empty, so a
// min aggregation does not pay for exact sums.
struct MetricNeeds {
  bool sum = false;
  bool squares = false;
  bool extremes = false;
};

MetricNeeds needs_of(AggKind kind) {
  switch (kind) {
    case AggKind::kStats: return {true, false, true};
    case AggKind::kExtendedStats: return {true, true, true};
    case AggKind::kAvg:
    case AggKind::kSum: return {true, false, false};
    case AggKind::kMin:
    case AggKind::kMax: return {false, false, true};
    default: return {};
  }
}

class MetricCollector final : public AggCollector {
 public:
  explicit MetricCollector(const AggSpec& spec) : spec_(spec), needs_(needs_of(spec.kind)) {}
  void collect(const DocView& doc) override {
    const Value& v = doc.fields[spec_.field];
    if (v.missing()) return;
    ++m_.count;
    if (!needs_.sum && !needs_.extremes) return;
    const double x = v.as_number();
    if (needs_.sum) m_.sum.add(x);
    if (needs_.squares) m_.sum_of_squares.add_product(x, x);
    if (needs_.extremes) {
      m_.min = std::min(m_.min, x);
      m_.max = std::max(m_.max, x);
    }
  }
  absl::StatusOr<AggPartial> finish() override { return AggPartial{spec_.kind, std::move(m_)}; }

 private:
  const AggSpec& spec_;
  MetricNeeds needs_;
  MetricPartial m_;
};

class DigestCollector final : public AggCollector {
 public:
  explicit DigestCollector(const AggSpec& spec) : spec_(spec), digest_(spec.compression) {}
  void collect(const DocView& doc) override {
    const Value& v = doc.fields[spec_.field];
    if (!v.missing()) digest_.add(v.as_number());
  }
  absl::StatusOr<AggPartial> finish() override { return AggPartial{spec_.kind, std::move(digest_)}; }

 private:
  const AggSpec& spec_;
  TDigest digest_;
};

class CardinalityCollector final : public AggCollector {
 public:
  explicit CardinalityCollector(const AggSpec& spec) : spec_(spec), sketch_(spec.precision_threshold) {}
  void collect(const DocView& doc) override {
    const Value& v = doc.fields[spec_.field];
    if (!v.missing()) sketch_.add_hash(value_hash(v));
  }
  absl::StatusOr<AggPartial> finish() override { return AggPartial{spec_.kind, std::move(sketch_)}; }

 private:
  const AggSpec& spec_;
  HyperLogLog sketch_;
};

// A bucket being filled: its count and, lazily, its sub-aggregation collectors.
struct BucketState {
  uint64_t count = 0;
  std::vector<std::unique_ptr<AggCollector>> subs;

  void add(const AggSpec& spec, const DocView& doc) {
    ++count;
    if (subs.empty() && !spec.children.empty()) {
      for (const AggSpec& child : spec.children) subs.push_back(make_collector(child));
    }
    for (auto& s : subs) s->collect(doc);
  }
};

absl::StatusOr<Bucket> finish_bucket(const AggSpec& spec, Value key, BucketState& state) {
  Bucket b;
  b.key = std::move(key);
  b.doc_count = state.count;
  if (state.subs.empty()) {
    for (const AggSpec& child : spec.children) b.subs.push_back(empty_partial(child));
  }
  for (auto& s : state.subs) {
    auto p = s->finish();
    if (!p.ok()) return p.status();
    b.subs.push_back(std::move(*p));
  }
  return b;
}

// The bucket key a document falls in for terms, histogram and date_histogram,
// or false when the document has no value (or, for histograms, a value whose
// bucket index does not fit an int64: a sign of a far too small interval).
bool bucket_key(const AggSpec& spec, const Value& v, Value* key, bool* overflow) {
  if (v.missing()) return false;
  switch (spec.kind) {
    case AggKind::kTerms: *key = v; return true;
    case AggKind::kHistogram: {
      const double j = std::floor((v.as_number() - spec.offset) / spec.interval);
      if (!(std::fabs(j) <= 9.0e15)) {
        *overflow = true;
        return false;
      }
      *key = Value::integer(static_cast<int64_t>(j));
      return true;
    }
    default: {
      const int64_t ms = v.as_date();
      const int64_t tz = spec.time_zone_offset_ms;
      int64_t start;
      if (spec.calendar) {
        start = calendar_floor(ms - spec.offset_ms, spec.calendar_unit, tz) + spec.offset_ms;
      } else {
        const int64_t iv = spec.fixed_interval_ms;
        start = floor_div(ms + tz - spec.offset_ms, iv) * iv + spec.offset_ms - tz;
      }
      *key = Value::date(start);
      return true;
    }
  }
}

// terms, histogram, date_histogram: buckets found by key as documents arrive.
class KeyedBucketsCollector final : public AggCollector {
 public:
  explicit KeyedBucketsCollector(const AggSpec& spec) : spec_(spec) {}

  void collect(const DocView& doc) override {
    Value key;
    if (!bucket_key(spec_, doc.fields[spec_.field], &key, &overflow_)) return;
    ++total_;
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (spec_.kind != AggKind::kTerms && buckets_.size() >= kMaxBuckets) {
        overflow_ = true;
        return;
      }
      it = buckets_.emplace(std::move(key), BucketState{}).first;
    }
    it->second.add(spec_, doc);
  }

  absl::StatusOr<AggPartial> finish() override {
    if (overflow_) {
      return absl::ResourceExhaustedError(
          str_cat("aggregation \"", spec_.name, "\" (", agg_kind_name(spec_.kind), ") would create more than ",
                       kMaxBuckets, " buckets on one shard; use a larger interval"));
    }
    // Sorting the map's entries is what keeps its per-process hash order out
    // of the partial.
    std::vector<std::pair<Value, BucketState*>> entries;
    entries.reserve(buckets_.size());
    for (auto& [k, st] : buckets_) entries.emplace_back(k, &st);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    BucketsPartial out;
    out.total_count = spec_.kind == AggKind::kTerms ? total_ : 0;
    if (spec_.kind == AggKind::kTerms) select_top_terms(entries, &out.error_bound);
    for (auto& [key, st] : entries) {
      auto b = finish_bucket(spec_, std::move(key), *st);
      if (!b.ok()) return b.status();
      out.buckets.push_back(std::move(*b));
    }
    return AggPartial{spec_.kind, std::move(out)};
  }

 private:
  // Keeps the shard_size best terms under the requested order, in key order,
  // and sets the bound on the count of any term left out.
  void select_top_terms(std::vector<std::pair<Value, BucketState*>>& entries, uint64_t* error_bound) const {
    *error_bound = 0;
    if (entries.size() <= spec_.shard_size) return;
    if (spec_.order == TermsOrder::kKeyAsc) {
      entries.resize(spec_.shard_size);
      return;
    }
    if (spec_.order == TermsOrder::kKeyDesc) {
      entries.erase(entries.begin(), entries.end() - spec_.shard_size);
      return;
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.second->count > b.second->count; });
    entries.resize(spec_.shard_size);
    // Every term left out has at most the count of the last one kept.
    *error_bound = entries.back().second->count;
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  const AggSpec& spec_;
  struct KeyHash {
    size_t operator()(const Value& v) const { return static_cast<size_t>(value_hash(v)); }
  };
  std::unordered_map<Value, BucketState, KeyHash> buckets_;
  uint64_t total_ = 0;
  bool overflow_ = false;
};

// range and filters: a fixed list of buckets; a document may fall in several.
class FixedBucketsCollector final : public AggCollector {
 public:
  explicit FixedBucketsCollector(const AggSpec& spec)
      : spec_(spec), states_(spec.kind == AggKind::kRange ? spec.ranges.size() : spec.filters.size()) {}

  void collect(const DocView& doc) override {
    if (spec_.kind == AggKind::kFilters) {
      for (size_t i = 0; i < spec_.filters.size(); ++i) {
        if (matches(spec_.filters[i].second, doc)) states_[i].add(spec_, doc);
      }
      return;
    }
    const Value& v = doc.fields[spec_.field];
    if (v.missing()) return;
    const double x = v.as_number();
    for (size_t i = 0; i < spec_.ranges.size(); ++i) {
      const AggRange& r = spec_.ranges[i];
      if ((!r.from || x >= *r.from) && (!r.to || x < *r.to)) states_[i].add(spec_, doc);
    }
  }

  absl::StatusOr<AggPartial> finish() override {
    BucketsPartial out;
    for (size_t i = 0; i < states_.size(); ++i) {
      auto b = finish_bucket(spec_, Value::integer(static_cast<int64_t>(i)), states_[i]);
      if (!b.ok()) return b.status();
      out.buckets.push_back(std::move(*b));
    }
    return AggPartial{spec_.kind, std::move(out)};
  }

 private:
  const AggSpec& spec_;
  std::vector<BucketState> states_;
};

}  // namespace

std::unique_ptr<AggCollector> make_collector(const AggSpec& spec) {
  switch (spec.kind) {
    case AggKind::kTerms:
    case AggKind::kHistogram:
    case AggKind::kDateHistogram: return std::make_unique<KeyedBucketsCollector>(spec);
    case AggKind::kRange:
    case AggKind::kFilters: return std::make_unique<FixedBucketsCollector>(spec);
    case AggKind::kPercentiles: return std::make_unique<DigestCollector>(spec);
    case AggKind::kCardinality: return std::make_unique<CardinalityCollector>(spec);
    default: return std::make_unique<MetricCollector>(spec);
  }
}

AggregationSet::AggregationSet(const std::vector<AggSpec>& specs) {
  for (const AggSpec& s : specs) collectors_.push_back(make_collector(s));
}

absl::StatusOr<std::vector<AggPartial>> AggregationSet::finish() {
  std::vector<AggPartial> out;
  for (auto& c : collectors_) {
    auto p = c->finish();
    if (!p.ok()) return p.status();
    out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace shoal::search
