// The per-kind judgements of aggregation_oracle.h; terms are in
// aggregation_terms.cc.
#include "scenarios/checkers/aggregation_judge.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>

#include <boost/json.hpp>

#include "engine/search/agg_result.h"
#include "scenarios/checkers/aggregation_json.h"
#include "scenarios/checkers/line_reader.h"

namespace shoal::check::internal {
namespace {

namespace json = boost::json;

// A bucket of the oracle's rendering: its label (the key, or the filter's
// name), its rendered object, and its partial (null for a gap a histogram
// fills with an empty bucket).
struct ExpectedBucket {
  std::string label;
  const json::object* rendered;
  const search::Bucket* truth;
};

// The rendered key of a keyed bucket partial, as a label.
std::string truth_label(const search::AggSpec& spec, const search::Bucket& b) {
  switch (spec.kind) {
    case search::AggKind::kHistogram:
      return json_label(json::value(spec.offset + static_cast<double>(b.key.as_integer()) * spec.interval));
    case search::AggKind::kDateHistogram: return json_label(json::value(b.key.as_date()));
    case search::AggKind::kRange: return spec.ranges[static_cast<size_t>(b.key.as_integer())].key;
    default: return spec.filters[static_cast<size_t>(b.key.as_integer())].first;
  }
}

// The buckets of a rendering, by label, in rendered order.
std::vector<std::pair<std::string, const json::object*>> rendered_buckets(const search::AggSpec& spec,
                                                                           const json::value* buckets) {
  std::vector<std::pair<std::string, const json::object*>> out;
  if (buckets == nullptr) return out;
  if (spec.kind == search::AggKind::kFilters) {
    if (!buckets->is_object()) return out;
    for (const auto& m : buckets->get_object()) {
      if (m.value().is_object()) out.emplace_back(std::string(m.key()), &m.value().get_object());
    }
    return out;
  }
  if (!buckets->is_array()) return out;
  for (const json::value& b : buckets->get_array()) {
    if (!b.is_object()) continue;
    const json::value* key = b.get_object().if_contains("key");
    out.emplace_back(key ? json_label(*key) : std::string("(no key)"), &b.get_object());
  }
  return out;
}

bool is_child(const search::AggSpec& spec, std::string_view member) {
  return std::any_of(spec.children.begin(), spec.children.end(), [&](const auto& c) { return c.name == member; });
}

}  // namespace

void AggregationJudge::fail(const search::AggSpec& spec, const std::string& path, const std::string& what) {
  out_.add({str_cat("aggregation \"", path, "\" (", search::agg_kind_name(spec.kind), "): ", what), {}});
}

void AggregationJudge::judge(const search::AggSpec& spec, const search::AggPartial& truth, const json::value* got,
                             const std::string& path) {
  ++judged_;
  if (got == nullptr || !got->is_object()) {
    fail(spec, path, got == nullptr ? "missing from the answer" : "is not a JSON object");
    return;
  }
  const json::object& o = got->get_object();
  switch (spec.kind) {
    case search::AggKind::kTerms: terms(spec, std::get<search::BucketsPartial>(truth.body), o, path); return;
    case search::AggKind::kPercentiles: percentiles(spec, std::get<search::TDigest>(truth.body), o, path); return;
    case search::AggKind::kCardinality:
      cardinality(spec, std::get<search::HyperLogLog>(truth.body), o, path);
      return;
    default:
      if (search::is_bucket_kind(spec.kind)) {
        exact_buckets(spec, truth, o, path);
      } else {
        exact_metric(spec, truth, o, path);
      }
  }
}

void AggregationJudge::exact_metric(const search::AggSpec& spec, const search::AggPartial& truth,
                                    const json::object& got, const std::string& path) {
  auto expected = search::render_agg(spec, truth);
  if (!expected.ok()) {
    fail(spec, path, str_cat("the oracle cannot render it: ", std::string(expected.status().message())));
    return;
  }
  compare_members(*expected, got, {}, [&](const std::string& what) { fail(spec, path, what); });
}

void AggregationJudge::exact_buckets(const search::AggSpec& spec, const search::AggPartial& truth,
                                     const json::object& got, const std::string& path) {
  auto rendered = search::render_agg(spec, truth);
  if (!rendered.ok()) {
    fail(spec, path, str_cat("the oracle cannot render it: ", std::string(rendered.status().message())));
    return;
  }
  std::map<std::string, const search::Bucket*> truth_by_label;
  for (const search::Bucket& b : std::get<search::BucketsPartial>(truth.body).buckets) {
    truth_by_label.emplace(truth_label(spec, b), &b);
  }
  const auto expected = rendered_buckets(spec, rendered->if_contains("buckets"));
  const auto answered = rendered_buckets(spec, got.if_contains("buckets"));
  std::map<std::string, const json::object*> got_by_label(answered.begin(), answered.end());
  std::set<std::string> expected_labels;
  for (const auto& [label, object] : expected) {
    expected_labels.insert(label);
    auto g = got_by_label.find(label);
    if (g == got_by_label.end()) {
      fail(spec, path, str_cat("bucket ", label, " is missing (expected ", json::serialize(*object), ")"));
      continue;
    }
    const std::string bucket_path = str_cat(path, "[", label, "]");
    compare_members(*object, *g->second, [&](std::string_view m) { return is_child(spec, m); },
                    [&](const std::string& what) { fail(spec, bucket_path, what); });
    auto t = truth_by_label.find(label);
    subs(spec, t == truth_by_label.end() ? nullptr : t->second, *g->second, bucket_path);
  }
  for (const auto& [label, object] : answered) {
    if (!expected_labels.count(label)) fail(spec, path, str_cat("bucket ", label, " should not exist"));
  }
  if (spec.kind != search::AggKind::kFilters && expected.size() == answered.size()) {
    for (size_t i = 0; i < expected.size(); ++i) {
      if (expected[i].first == answered[i].first) continue;
      fail(spec, path, str_cat("bucket ", i, ": expected key ", expected[i].first, " got ", answered[i].first));
      break;
    }
  }
}

void AggregationJudge::subs(const search::AggSpec& spec, const search::Bucket* truth, const json::object& got,
                            const std::string& path) {
  for (size_t i = 0; i < spec.children.size(); ++i) {
    const search::AggSpec& child = spec.children[i];
    const search::AggPartial truth_child = truth ? truth->subs[i] : search::empty_partial(child);
    judge(child, truth_child, got.if_contains(child.name), str_cat(path, ">", child.name));
  }
}

void AggregationJudge::percentiles(const search::AggSpec& spec, const search::TDigest& truth,
                                   const json::object& got, const std::string& path) {
  const json::value* values = got.if_contains("values");
  if (values == nullptr || !values->is_object()) {
    fail(spec, path, "has no \"values\" object");
    return;
  }
  const double n = static_cast<double>(truth.count());
  // The store's digest: the request's compression, and at most one run per
  // shard plus one per kRunPoints values buffered (tdigest.h).
  const double runs = static_cast<double>(shards_) + std::floor(n / static_cast<double>(search::kRunPoints));
  const double store_bound = 1.5 * std::numbers::pi / spec.compression + (n > 0 ? 1.5 * runs / n : 0);
  const double epsilon = store_bound + truth.rank_error_bound();
  for (double p : spec.percents) {
    const std::string key = search::percent_key(p);
    const json::value* v = values->get_object().if_contains(key);
    if (truth.count() == 0) {
      if (v == nullptr || !v->is_null()) fail(spec, path, str_cat(key, ": expected null (no values) got ", show(v)));
      continue;
    }
    if (v == nullptr || !v->is_number()) {
      fail(spec, path, str_cat(key, ": expected a number got ", show(v)));
      continue;
    }
    const double q = p / 100;
    const double lo = truth.quantile(std::max(0.0, q - epsilon));
    const double hi = truth.quantile(std::min(1.0, q + epsilon));
    const double x = v->to_number<double>();
    const double slack = 1e-9 * std::max({1.0, std::fabs(lo), std::fabs(hi)});
    if (x < lo - slack || x > hi + slack) {
      fail(spec, path, str_cat(key, ": expected within [", lo, ", ", hi, "] (rank error ", epsilon, ") got ", x));
    }
  }
}

void AggregationJudge::cardinality(const search::AggSpec& spec, const search::HyperLogLog& truth,
                                   const json::object& got, const std::string& path) {
  const json::value* v = got.if_contains("value");
  if (v == nullptr || !v->is_number()) {
    fail(spec, path, str_cat("value: expected a number got ", show(v)));
    return;
  }
  const double x = v->to_number<double>();
  const double t = static_cast<double>(truth.estimate());
  if (truth.exact() && truth.estimate() <= spec.precision_threshold) {
    if (x != t) fail(spec, path, str_cat("value expected ", truth.estimate(), " (exact below precision_threshold) got ", x));
    return;
  }
  const double bound = search::HyperLogLog(spec.precision_threshold).relative_error_bound() +
                       (truth.exact() ? 0 : truth.relative_error_bound());
  if (std::fabs(x - t) > bound * t) {
    fail(spec, path, str_cat("value expected ", t, " within relative error ", bound, " got ", x));
  }
}

}  // namespace shoal::check::internal
