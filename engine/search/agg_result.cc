#include "engine/search/agg_result.h"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

#include "engine/search/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/search/date.h"

namespace shoal::search {

namespace json = boost::json;

std::string percent_key(double percent) {
  if (percent == std::floor(percent)) return absl::StrFormat("%.1f", percent);
  return str_cat(percent);
}

namespace {

json::value number_or_null(bool present, double v) { return present ? json::value(v) : json::value(nullptr); }

void add_date_string(const AggSpec& spec, json::object& o, const char* key, bool present, double v) {
  if (spec.field_type == FieldType::kDate && present) {
    o[str_cat(key, "_as_string")] = format_date_ms(static_cast<int64_t>(v));
  }
}

void render_extended(const AggSpec& spec, const MetricPartial& m, json::object& o) {
  const bool any = m.count > 0;
  const double n = static_cast<double>(m.count);
  o["sum_of_squares"] = number_or_null(any, m.sum_of_squares.value());
  if (!any) {
    for (const char* k : {"variance", "variance_population", "variance_sample", "std_deviation",
                          "std_deviation_population", "std_deviation_sample"}) {
      o[k] = nullptr;
    }
    o["std_deviation_bounds"] = json::object{{"upper", nullptr}, {"lower", nullptr}};
    return;
  }
  // One exactly rounded numerator n·Σx² − (Σx)² makes the variance the same
  // for any split of the data (see exact_sum.h).
  const double numerator = exact_variance_numerator(m.count, m.sum, m.sum_of_squares);
  const double var_pop = numerator / (n * n);
  const double avg = m.sum.value() / n;
  o["variance"] = var_pop;
  o["variance_population"] = var_pop;
  o["variance_sample"] = number_or_null(m.count > 1, m.count > 1 ? numerator / (n * (n - 1)) : 0);
  const double sd = std::sqrt(var_pop);
  o["std_deviation"] = sd;
  o["std_deviation_population"] = sd;
  o["std_deviation_sample"] = number_or_null(m.count > 1, m.count > 1 ? std::sqrt(numerator / (n * (n - 1))) : 0);
  o["std_deviation_bounds"] = json::object{{"upper", avg + spec.sigma * sd}, {"lower", avg - spec.sigma * sd}};
}

json::object render_metric(const AggSpec& spec, const MetricPartial& m) {
  json::object o;
  const bool any = m.count > 0;
  const double avg = any ? m.sum.value() / static_cast<double>(m.count) : 0;
  switch (spec.kind) {
    case AggKind::kValueCount: o["value"] = m.count; break;
    case AggKind::kSum: o["value"] = m.sum.value(); break;
    case AggKind::kAvg: o["value"] = number_or_null(any, avg); break;
    case AggKind::kMin:
      o["value"] = number_or_null(any, m.min);
      add_date_string(spec, o, "value", any, m.min);
      break;
    case AggKind::kMax:
      o["value"] = number_or_null(any, m.max);
      add_date_string(spec, o, "value", any, m.max);
      break;
    default:
      o["count"] = m.count;
      o["min"] = number_or_null(any, m.min);
      o["max"] = number_or_null(any, m.max);
      o["avg"] = number_or_null(any, avg);
      o["sum"] = m.sum.value();
      if (spec.kind == AggKind::kExtendedStats) render_extended(spec, m, o);
      break;
  }
  return o;
}

json::object render_percentiles(const AggSpec& spec, const TDigest& d) {
  json::object values;
  for (double p : spec.percents) {
    const bool any = d.count() > 0;
    const double v = any ? d.quantile(p / 100) : 0;
    values[percent_key(p)] = number_or_null(any, v);
    if (spec.field_type == FieldType::kDate && any) {
      values[percent_key(p) + "_as_string"] = format_date_ms(static_cast<int64_t>(std::llround(v)));
    }
  }
  return json::object{{"values", std::move(values)}};
}

absl::Status add_subs(const AggSpec& spec, const Bucket& b, json::object& out) {
  for (size_t i = 0; i < spec.children.size(); ++i) {
    auto sub = render_agg(spec.children[i], b.subs[i]);
    if (!sub.ok()) return sub.status();
    out[spec.children[i].name] = std::move(*sub);
  }
  return absl::OkStatus();
}

absl::StatusOr<json::object> render_terms(const AggSpec& spec, const BucketsPartial& p) {
  std::vector<const Bucket*> order;
  for (const Bucket& b : p.buckets) order.push_back(&b);
  // Buckets are in key order already; a stable sort by count keeps ties by key.
  if (spec.order == TermsOrder::kCountDesc) {
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->doc_count > b->doc_count; });
  } else if (spec.order == TermsOrder::kKeyDesc) {
    std::reverse(order.begin(), order.end());
  }
  if (order.size() > spec.size) order.resize(spec.size);
  json::array buckets;
  uint64_t shown = 0;
  for (const Bucket* b : order) {
    json::object o;
    o["key"] = b->key.to_json();
    if (spec.field_type == FieldType::kDate) o["key_as_string"] = b->key.to_string();
    o["doc_count"] = b->doc_count;
    if (spec.show_term_doc_count_error) o["doc_count_error_upper_bound"] = b->error;
    if (absl::Status s = add_subs(spec, *b, o); !s.ok()) return s;
    shown += b->doc_count;
    buckets.push_back(std::move(o));
  }
  json::object out;
  out["doc_count_error_upper_bound"] = p.error_bound;
  out["sum_other_doc_count"] = p.total_count - shown;
  out["buckets"] = std::move(buckets);
  return out;
}

absl::Status too_many(const AggSpec& spec) {
  return absl::ResourceExhaustedError(str_cat("aggregation \"", spec.name, "\" (", agg_kind_name(spec.kind),
                                                   ") would return more than ", kMaxBuckets, " buckets"));
}

// The next key after `key` in a histogram's sequence of buckets.
Value next_key(const AggSpec& spec, const Value& key) {
  if (spec.kind == AggKind::kHistogram) return Value::integer(key.as_integer() + 1);
  if (!spec.calendar) return Value::date(key.as_date() + spec.fixed_interval_ms);
  return Value::date(calendar_next(key.as_date() - spec.offset_ms, spec.calendar_unit, spec.time_zone_offset_ms) +
                     spec.offset_ms);
}

absl::StatusOr<json::object> render_histogram_bucket(const AggSpec& spec, const Value& key, const Bucket* b) {
  json::object o;
  if (spec.kind == AggKind::kHistogram) {
    o["key"] = spec.offset + static_cast<double>(key.as_integer()) * spec.interval;
  } else {
    o["key_as_string"] = key.to_string();
    o["key"] = key.as_date();
  }
  o["doc_count"] = b ? b->doc_count : 0;
  if (b) {
    if (absl::Status s = add_subs(spec, *b, o); !s.ok()) return s;
  } else {
    Bucket empty;
    for (const AggSpec& c : spec.children) empty.subs.push_back(empty_partial(c));
    if (absl::Status s = add_subs(spec, empty, o); !s.ok()) return s;
  }
  return o;
}

absl::StatusOr<json::object> render_histogram(const AggSpec& spec, const BucketsPartial& p) {
  json::array buckets;
  if (spec.min_doc_count > 0 || p.buckets.empty()) {
    for (const Bucket& b : p.buckets) {
      if (b.doc_count < spec.min_doc_count) continue;
      auto o = render_histogram_bucket(spec, b.key, &b);
      if (!o.ok()) return o.status();
      buckets.push_back(std::move(*o));
    }
    if (buckets.size() > kMaxBuckets) return too_many(spec);
    return json::object{{"buckets", std::move(buckets)}};
  }
  // min_doc_count 0: every bucket between the first and the last, empty ones too.
  size_t next = 0;
  for (Value key = p.buckets.front().key; !(p.buckets.back().key < key); key = next_key(spec, key)) {
    if (buckets.size() >= kMaxBuckets) return too_many(spec);
    const Bucket* b = next < p.buckets.size() && p.buckets[next].key == key ? &p.buckets[next++] : nullptr;
    auto o = render_histogram_bucket(spec, key, b);
    if (!o.ok()) return o.status();
    buckets.push_back(std::move(*o));
  }
  return json::object{{"buckets", std::move(buckets)}};
}

absl::StatusOr<json::object> render_range(const AggSpec& spec, const BucketsPartial& p) {
  json::array buckets;
  for (const Bucket& b : p.buckets) {
    const AggRange& r = spec.ranges[static_cast<size_t>(b.key.as_integer())];
    json::object o;
    o["key"] = r.key;
    if (r.from) o["from"] = *r.from;
    if (r.to) o["to"] = *r.to;
    if (spec.field_type == FieldType::kDate) {
      if (r.from) o["from_as_string"] = format_date_ms(static_cast<int64_t>(*r.from));
      if (r.to) o["to_as_string"] = format_date_ms(static_cast<int64_t>(*r.to));
    }
    o["doc_count"] = b.doc_count;
    if (absl::Status s = add_subs(spec, b, o); !s.ok()) return s;
    buckets.push_back(std::move(o));
  }
  return json::object{{"buckets", std::move(buckets)}};
}

absl::StatusOr<json::object> render_filters(const AggSpec& spec, const BucketsPartial& p) {
  json::object buckets;
  for (const Bucket& b : p.buckets) {
    json::object o;
    o["doc_count"] = b.doc_count;
    if (absl::Status s = add_subs(spec, b, o); !s.ok()) return s;
    buckets[spec.filters[static_cast<size_t>(b.key.as_integer())].first] = std::move(o);
  }
  return json::object{{"buckets", std::move(buckets)}};
}

}  // namespace

absl::StatusOr<json::object> render_agg(const AggSpec& spec, const AggPartial& partial) {
  if (const auto* m = std::get_if<MetricPartial>(&partial.body)) return render_metric(spec, *m);
  if (const auto* d = std::get_if<TDigest>(&partial.body)) return render_percentiles(spec, *d);
  if (const auto* h = std::get_if<HyperLogLog>(&partial.body)) return json::object{{"value", h->estimate()}};
  const BucketsPartial& b = std::get<BucketsPartial>(partial.body);
  switch (spec.kind) {
    case AggKind::kTerms: return render_terms(spec, b);
    case AggKind::kHistogram:
    case AggKind::kDateHistogram: return render_histogram(spec, b);
    case AggKind::kRange: return render_range(spec, b);
    default: return render_filters(spec, b);
  }
}

absl::StatusOr<json::object> render_aggs(const std::vector<AggSpec>& specs, const std::vector<AggPartial>& partials) {
  json::object out;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto o = render_agg(specs[i], partials[i]);
    if (!o.ok()) return o.status();
    out[specs[i].name] = std::move(*o);
  }
  return out;
}

}  // namespace shoal::search
