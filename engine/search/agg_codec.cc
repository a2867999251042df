// Encoding of aggregation partials for the shard → coordinator hop. Decoding
// checks every partial against the spec it should answer.
#include <algorithm>

#include "engine/search/str_cat.h"
#include "engine/search/agg_partial.h"

namespace shoal::search {

namespace {

// A merged or shard-level bucket list never legitimately exceeds this.
constexpr uint64_t kMaxEncodedBuckets = std::max<uint64_t>(kMaxBuckets, kMaxShardSize);

absl::Status bad(const AggSpec& spec, std::string_view what) {
  return absl::DataLossError(str_cat("aggregation \"", spec.name, "\" partial: ", what));
}

// Whether a decoded bucket key has the shape its kind produces.
bool key_fits(const AggSpec& spec, const Value& key) {
  if (key.missing()) return false;
  switch (spec.kind) {
    case AggKind::kTerms: return key.type() == spec.field_type;
    case AggKind::kHistogram: return key.type() == FieldType::kInteger;
    case AggKind::kDateHistogram: return key.type() == FieldType::kDate;
    case AggKind::kRange:
      return key.type() == FieldType::kInteger && key.as_integer() >= 0 &&
             static_cast<size_t>(key.as_integer()) < spec.ranges.size();
    case AggKind::kFilters:
      return key.type() == FieldType::kInteger && key.as_integer() >= 0 &&
             static_cast<size_t>(key.as_integer()) < spec.filters.size();
    default: return false;
  }
}

void encode_buckets(const AggSpec& spec, const BucketsPartial& b, Writer& w) {
  w.varint(b.buckets.size());
  w.varint(b.total_count);
  w.varint(b.error_bound);
  for (const Bucket& bucket : b.buckets) {
    bucket.key.encode(w);
    w.varint(bucket.doc_count);
    w.varint(bucket.error);
    encode_partials(spec.children, bucket.subs, w);
  }
}

absl::StatusOr<BucketsPartial> decode_buckets(const AggSpec& spec, Reader& r) {
  BucketsPartial b;
  const uint64_t n = r.varint();
  b.total_count = r.varint();
  b.error_bound = r.varint();
  if (!r.ok() || n > kMaxEncodedBuckets) return bad(spec, "bad bucket count");
  b.buckets.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Bucket& bucket = b.buckets[i];
    if (!Value::decode(r, &bucket.key) || !key_fits(spec, bucket.key)) return bad(spec, "bad bucket key");
    if (i > 0 && !(b.buckets[i - 1].key < bucket.key)) return bad(spec, "bucket keys out of order");
    bucket.doc_count = r.varint();
    bucket.error = r.varint();
    auto subs = decode_partials(spec.children, r);
    if (!subs.ok()) return subs.status();
    bucket.subs = std::move(*subs);
  }
  if (!r.ok()) return bad(spec, "truncated");
  return b;
}

}  // namespace

void encode_partial(const AggSpec& spec, const AggPartial& p, Writer& w) {
  w.u8(static_cast<uint8_t>(p.kind));
  if (const auto* m = std::get_if<MetricPartial>(&p.body)) {
    w.varint(m->count);
    m->sum.encode(w);
    m->sum_of_squares.encode(w);
    w.f64(m->min);
    w.f64(m->max);
  } else if (const auto* b = std::get_if<BucketsPartial>(&p.body)) {
    encode_buckets(spec, *b, w);
  } else if (const auto* d = std::get_if<TDigest>(&p.body)) {
    d->encode(w);
  } else {
    std::get<HyperLogLog>(p.body).encode(w);
  }
}

absl::StatusOr<AggPartial> decode_partial(const AggSpec& spec, Reader& r) {
  if (r.u8() != static_cast<uint8_t>(spec.kind) || !r.ok()) return bad(spec, "kind does not match the request");
  AggPartial p = empty_partial(spec);
  if (auto* m = std::get_if<MetricPartial>(&p.body)) {
    m->count = r.varint();
    if (!ExactSum::decode(r, &m->sum) || !ExactSum::decode(r, &m->sum_of_squares)) return bad(spec, "bad sums");
    m->min = r.f64();
    m->max = r.f64();
    if (!r.ok()) return bad(spec, "truncated");
  } else if (auto* b = std::get_if<BucketsPartial>(&p.body)) {
    auto buckets = decode_buckets(spec, r);
    if (!buckets.ok()) return buckets.status();
    *b = std::move(*buckets);
  } else if (auto* d = std::get_if<TDigest>(&p.body)) {
    if (!TDigest::decode(r, d) || d->compression() != spec.compression) return bad(spec, "bad t-digest");
  } else {
    auto& h = std::get<HyperLogLog>(p.body);
    if (!HyperLogLog::decode(r, &h) || h.precision_threshold() != spec.precision_threshold) {
      return bad(spec, "bad HyperLogLog");
    }
  }
  return p;
}

void encode_partials(const std::vector<AggSpec>& specs, const std::vector<AggPartial>& ps, Writer& w) {
  for (size_t i = 0; i < specs.size(); ++i) encode_partial(specs[i], ps[i], w);
}

absl::StatusOr<std::vector<AggPartial>> decode_partials(const std::vector<AggSpec>& specs, Reader& r) {
  std::vector<AggPartial> out;
  out.reserve(specs.size());
  for (const AggSpec& s : specs) {
    auto p = decode_partial(s, r);
    if (!p.ok()) return p.status();
    out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace shoal::search
