// Parsing of the aggregations of a request (see agg_spec.h).
#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

#include "engine/search/str_cat.h"
#include "engine/search/agg_spec.h"
#include "engine/search/hyperloglog.h"
#include "engine/search/json_util.h"
#include "engine/search/tdigest.h"

namespace shoal::search {

namespace json = boost::json;

std::string_view agg_kind_name(AggKind kind) {
  switch (kind) {
    case AggKind::kTerms: return "terms";
    case AggKind::kStats: return "stats";
    case AggKind::kExtendedStats: return "extended_stats";
    case AggKind::kHistogram: return "histogram";
    case AggKind::kDateHistogram: return "date_histogram";
    case AggKind::kRange: return "range";
    case AggKind::kFilters: return "filters";
    case AggKind::kAvg: return "avg";
    case AggKind::kMin: return "min";
    case AggKind::kMax: return "max";
    case AggKind::kSum: return "sum";
    case AggKind::kValueCount: return "value_count";
    case AggKind::kPercentiles: return "percentiles";
    case AggKind::kCardinality: return "cardinality";
  }
  return "unknown";
}

bool is_bucket_kind(AggKind k) {
  return k == AggKind::kTerms || k == AggKind::kHistogram || k == AggKind::kDateHistogram || k == AggKind::kRange ||
         k == AggKind::kFilters;
}

bool is_exact_kind(AggKind k) {
  return k != AggKind::kTerms && k != AggKind::kPercentiles && k != AggKind::kCardinality;
}

namespace {

constexpr int64_t kMaxDateOffsetMs = 366 * kMsPerDay;

struct AggParseState {
  const Schema& schema;
  size_t count = 0;
};

absl::StatusOr<std::vector<AggSpec>> parse_level(const json::value& v, AggParseState& st, std::string_view path,
                                                 unsigned depth);

std::optional<AggKind> kind_from_name(std::string_view n) {
  for (int k = 1; k <= kAggKindCount; ++k) {
    if (agg_kind_name(static_cast<AggKind>(k)) == n) return static_cast<AggKind>(k);
  }
  return std::nullopt;
}

bool accepts(AggKind kind, FieldType t) {
  switch (kind) {
    case AggKind::kTerms:
    case AggKind::kValueCount:
    case AggKind::kCardinality: return true;
    case AggKind::kMin:
    case AggKind::kMax:
    case AggKind::kPercentiles:
    case AggKind::kRange: return is_numeric(t);
    case AggKind::kDateHistogram: return t == FieldType::kDate;
    default: return t == FieldType::kInteger || t == FieldType::kFloat;
  }
}

// Resolves params.field and checks the kind accepts its type.
absl::Status parse_field(const json::object& params, AggParseState& st, std::string_view path, AggSpec* spec) {
  const json::value* f = params.if_contains("field");
  if (f == nullptr) return json_error(path, "expected \"field\"");
  auto name = as_string(*f, join_path(path, "field"));
  if (!name.ok()) return name.status();
  if (st.schema.is_vector_field(*name)) {
    return json_error(path, str_cat("aggregation \"", spec->name, "\" (", agg_kind_name(spec->kind),
                                         ") cannot run on dense_vector field \"", *name, "\""));
  }
  std::optional<size_t> i = st.schema.field_index(*name);
  if (!i) return json_error(join_path(path, "field"), str_cat("unknown field \"", *name, "\""));
  spec->field = *i;
  spec->field_type = st.schema.field(*i).type;
  if (!accepts(spec->kind, spec->field_type)) {
    return json_error(path, str_cat("aggregation \"", spec->name, "\" of kind ", agg_kind_name(spec->kind),
                                         " does not support field \"", *name, "\" of type ",
                                         field_type_name(spec->field_type)));
  }
  return absl::OkStatus();
}

absl::Status parse_terms_params(const json::object& p, std::string_view path, AggSpec* s) {
  if (absl::Status e = check_members(p, path, {"field", "size", "shard_size", "order", "show_term_doc_count_error"});
      !e.ok()) {
    return e;
  }
  if (const json::value* v = p.if_contains("size")) {
    auto n = as_int(*v, join_path(path, "size"), 1, kMaxTermsSize);
    if (!n.ok()) return n.status();
    s->size = static_cast<uint32_t>(*n);
  }
  // Elasticsearch's default over-fetch: size * 1.5 + 10 terms per shard.
  s->shard_size = static_cast<uint32_t>(s->size + s->size / 2 + 10);
  if (const json::value* v = p.if_contains("shard_size")) {
    auto n = as_int(*v, join_path(path, "shard_size"), 1, kMaxShardSize);
    if (!n.ok()) return n.status();
    s->shard_size = static_cast<uint32_t>(*n);
  }
  s->shard_size = std::max(s->shard_size, s->size);
  if (const json::value* v = p.if_contains("show_term_doc_count_error")) {
    auto b = as_bool(*v, join_path(path, "show_term_doc_count_error"));
    if (!b.ok()) return b.status();
    s->show_term_doc_count_error = *b;
  }
  if (const json::value* v = p.if_contains("order")) {
    std::string op = join_path(path, "order");
    auto m = single_member(*v, op);
    if (!m.ok()) return m.status();
    auto dir = as_string((*m)->value(), op);
    if (!dir.ok()) return dir.status();
    std::string_view key((*m)->key().data(), (*m)->key().size());
    if (key == "_count" && *dir == "desc") s->order = TermsOrder::kCountDesc;
    else if (key == "_key" && *dir == "asc") s->order = TermsOrder::kKeyAsc;
    else if (key == "_key" && *dir == "desc") s->order = TermsOrder::kKeyDesc;
    else {
      return json_error(op, str_cat("order {\"", key, "\": \"", *dir,
                                         "\"} is not supported (use _count desc, _key asc or _key desc; ordering by "
                                         "ascending count has an unbounded error)"));
    }
  }
  return absl::OkStatus();
}

absl::Status parse_min_doc_count(const json::object& p, std::string_view path, AggSpec* s) {
  if (const json::value* v = p.if_contains("min_doc_count")) {
    auto n = as_int(*v, join_path(path, "min_doc_count"), 0, INT64_MAX);
    if (!n.ok()) return n.status();
    s->min_doc_count = static_cast<uint64_t>(*n);
  }
  return absl::OkStatus();
}

absl::Status parse_histogram_params(const json::object& p, std::string_view path, AggSpec* s) {
  if (absl::Status e = check_members(p, path, {"field", "interval", "offset", "min_doc_count"}); !e.ok()) return e;
  const json::value* iv = p.if_contains("interval");
  if (iv == nullptr) return json_error(path, "expected \"interval\"");
  auto interval = as_double(*iv, join_path(path, "interval"));
  if (!interval.ok()) return interval.status();
  if (!(*interval > 0)) return json_error(join_path(path, "interval"), "must be positive");
  s->interval = *interval;
  if (const json::value* v = p.if_contains("offset")) {
    auto off = as_double(*v, join_path(path, "offset"));
    if (!off.ok()) return off.status();
    s->offset = *off;
  }
  return parse_min_doc_count(p, path, s);
}

// "+6h" / "-30m" / "1d": a signed fixed duration.
absl::StatusOr<int64_t> parse_signed_duration(const json::value& v, std::string_view path) {
  if (v.is_number()) return as_int(v, path, -kMaxDateMs, kMaxDateMs);
  auto text = as_string(v, path);
  if (!text.ok()) return text.status();
  std::string_view t = *text;
  int64_t sign = 1;
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
    sign = t[0] == '-' ? -1 : 1;
    t.remove_prefix(1);
  }
  auto ms = parse_fixed_interval_ms(t);
  if (!ms.ok()) return json_error(path, to_std(ms.status().message()));
  return sign * *ms;
}

absl::Status parse_date_histogram_params(const json::object& p, std::string_view path, AggSpec* s) {
  if (absl::Status e = check_members(p, path, {"field", "calendar_interval", "fixed_interval", "time_zone", "offset",
                                               "min_doc_count"});
      !e.ok()) {
    return e;
  }
  const json::value* cal = p.if_contains("calendar_interval");
  const json::value* fixed = p.if_contains("fixed_interval");
  if ((cal == nullptr) == (fixed == nullptr)) {
    return json_error(path, "expected exactly one of \"calendar_interval\" and \"fixed_interval\"");
  }
  if (cal) {
    auto text = as_string(*cal, join_path(path, "calendar_interval"));
    if (!text.ok()) return text.status();
    auto unit = parse_calendar_unit(*text);
    if (!unit.ok()) return json_error(join_path(path, "calendar_interval"), to_std(unit.status().message()));
    s->calendar = true;
    s->calendar_unit = *unit;
  } else {
    auto text = as_string(*fixed, join_path(path, "fixed_interval"));
    if (!text.ok()) return text.status();
    auto ms = parse_fixed_interval_ms(*text);
    if (!ms.ok()) return json_error(join_path(path, "fixed_interval"), to_std(ms.status().message()));
    s->fixed_interval_ms = *ms;
  }
  if (const json::value* v = p.if_contains("time_zone")) {
    auto text = as_string(*v, join_path(path, "time_zone"));
    if (!text.ok()) return text.status();
    auto tz = parse_time_zone_offset_ms(*text);
    if (!tz.ok()) return json_error(join_path(path, "time_zone"), to_std(tz.status().message()));
    s->time_zone_offset_ms = *tz;
  }
  if (const json::value* v = p.if_contains("offset")) {
    auto off = parse_signed_duration(*v, join_path(path, "offset"));
    if (!off.ok()) return off.status();
    // An offset shifts buckets within one interval; a year covers every unit.
    if (*off > kMaxDateOffsetMs || *off < -kMaxDateOffsetMs) {
      return json_error(join_path(path, "offset"), "must be within one year");
    }
    s->offset_ms = *off;
  }
  return parse_min_doc_count(p, path, s);
}

// A range bound: a number, or for date fields also an ISO-8601 date.
absl::StatusOr<double> parse_bound(const json::value& v, FieldType type, std::string_view path) {
  if (type == FieldType::kDate && v.is_string()) {
    auto ms = parse_date_ms(std::string_view(v.get_string().data(), v.get_string().size()));
    if (!ms.ok()) return json_error(path, to_std(ms.status().message()));
    return static_cast<double>(*ms);
  }
  return as_double(v, path);
}

std::string range_key(const AggRange& r) {
  auto side = [](const std::optional<double>& d) {
    return d ? json::serialize(json::value(*d)) : std::string("*");
  };
  return str_cat(side(r.from), "-", side(r.to));
}

absl::Status parse_range_params(const json::object& p, std::string_view path, AggSpec* s) {
  if (absl::Status e = check_members(p, path, {"field", "ranges"}); !e.ok()) return e;
  const json::value* rv = p.if_contains("ranges");
  if (rv == nullptr) return json_error(path, "expected \"ranges\"");
  auto arr = as_array(*rv, join_path(path, "ranges"));
  if (!arr.ok()) return arr.status();
  if ((*arr)->empty() || (*arr)->size() > kMaxRanges) {
    return json_error(join_path(path, "ranges"), str_cat("expected 1 to ", kMaxRanges, " ranges"));
  }
  for (size_t i = 0; i < (*arr)->size(); ++i) {
    std::string rp = str_cat(path, ".ranges[", i, "]");
    auto obj = as_object((**arr)[i], rp);
    if (!obj.ok()) return obj.status();
    if (absl::Status e = check_members(**obj, rp, {"from", "to", "key"}); !e.ok()) return e;
    AggRange r;
    for (const char* side : {"from", "to"}) {
      if (const json::value* b = (*obj)->if_contains(side)) {
        if (b->is_null()) continue;
        auto d = parse_bound(*b, s->field_type, join_path(rp, side));
        if (!d.ok()) return d.status();
        (std::string_view(side) == "from" ? r.from : r.to) = *d;
      }
    }
    if (const json::value* k = (*obj)->if_contains("key")) {
      auto key = as_string(*k, join_path(rp, "key"));
      if (!key.ok()) return key.status();
      r.key = *key;
    } else {
      r.key = range_key(r);
    }
    s->ranges.push_back(std::move(r));
  }
  return absl::OkStatus();
}

absl::Status parse_filters_params(const json::object& p, AggParseState& st, std::string_view path, AggSpec* s) {
  if (absl::Status e = check_members(p, path, {"filters"}); !e.ok()) return e;
  const json::value* fv = p.if_contains("filters");
  if (fv == nullptr) return json_error(path, "expected \"filters\"");
  auto obj = as_object(*fv, join_path(path, "filters"));
  if (!obj.ok()) return obj.status();
  if ((*obj)->empty() || (*obj)->size() > kMaxFilters) {
    return json_error(join_path(path, "filters"), str_cat("expected 1 to ", kMaxFilters, " named filters"));
  }
  for (const auto& kv : **obj) {
    std::string name(kv.key());
    auto clause = parse_clause(kv.value(), st.schema, join_path(join_path(path, "filters"), name));
    if (!clause.ok()) return clause.status();
    s->filters.emplace_back(std::move(name), std::move(*clause));
  }
  return absl::OkStatus();
}

absl::Status parse_percentiles_params(const json::object& p, std::string_view path, AggSpec* s) {
  if (absl::Status e = check_members(p, path, {"field", "percents", "tdigest"}); !e.ok()) return e;
  s->percents = {1, 5, 25, 50, 75, 95, 99};
  if (const json::value* v = p.if_contains("percents")) {
    auto arr = as_array(*v, join_path(path, "percents"));
    if (!arr.ok()) return arr.status();
    if ((*arr)->empty() || (*arr)->size() > kMaxPercents) {
      return json_error(join_path(path, "percents"), str_cat("expected 1 to ", kMaxPercents, " percents"));
    }
    s->percents.clear();
    for (size_t i = 0; i < (*arr)->size(); ++i) {
      auto d = as_double((**arr)[i], str_cat(path, ".percents[", i, "]"));
      if (!d.ok()) return d.status();
      if (*d < 0 || *d > 100) return json_error(str_cat(path, ".percents[", i, "]"), "must be in [0, 100]");
      s->percents.push_back(*d);
    }
  }
  if (const json::value* v = p.if_contains("tdigest")) {
    auto obj = as_object(*v, join_path(path, "tdigest"));
    if (!obj.ok()) return obj.status();
    if (absl::Status e = check_members(**obj, join_path(path, "tdigest"), {"compression"}); !e.ok()) return e;
    if (const json::value* c = (*obj)->if_contains("compression")) {
      auto d = as_double(*c, join_path(path, "tdigest.compression"));
      if (!d.ok()) return d.status();
      if (*d < kMinCompression || *d > kMaxCompression) {
        return json_error(join_path(path, "tdigest.compression"),
                          str_cat("must be in [", kMinCompression, ", ", kMaxCompression, "]"));
      }
      s->compression = *d;
    }
  }
  return absl::OkStatus();
}

absl::Status parse_metric_params(const json::object& p, std::string_view path, AggSpec* s) {
  if (s->kind == AggKind::kCardinality) {
    if (absl::Status e = check_members(p, path, {"field", "precision_threshold"}); !e.ok()) return e;
    if (const json::value* v = p.if_contains("precision_threshold")) {
      auto n = as_int(*v, join_path(path, "precision_threshold"), 0, INT64_MAX);
      if (!n.ok()) return n.status();
      // Elasticsearch caps the threshold silently; so do we.
      s->precision_threshold = std::min<uint64_t>(static_cast<uint64_t>(*n), kMaxPrecisionThreshold);
    }
    return absl::OkStatus();
  }
  if (s->kind == AggKind::kExtendedStats) {
    if (absl::Status e = check_members(p, path, {"field", "sigma"}); !e.ok()) return e;
    if (const json::value* v = p.if_contains("sigma")) {
      auto d = as_double(*v, join_path(path, "sigma"));
      if (!d.ok()) return d.status();
      if (*d < 0) return json_error(join_path(path, "sigma"), "must not be negative");
      s->sigma = *d;
    }
    return absl::OkStatus();
  }
  return check_members(p, path, {"field"});
}

absl::Status parse_params(const json::object& params, AggParseState& st, std::string_view path, AggSpec* s) {
  if (s->kind != AggKind::kFilters) {
    if (absl::Status e = parse_field(params, st, path, s); !e.ok()) return e;
  }
  switch (s->kind) {
    case AggKind::kTerms: return parse_terms_params(params, path, s);
    case AggKind::kHistogram: return parse_histogram_params(params, path, s);
    case AggKind::kDateHistogram: return parse_date_histogram_params(params, path, s);
    case AggKind::kRange: return parse_range_params(params, path, s);
    case AggKind::kFilters: return parse_filters_params(params, st, path, s);
    case AggKind::kPercentiles: return parse_percentiles_params(params, path, s);
    default: return parse_metric_params(params, path, s);
  }
}

absl::StatusOr<AggSpec> parse_one(std::string name, const json::value& v, AggParseState& st, std::string_view path,
                                  unsigned depth) {
  if (name.empty() || name.size() > kMaxFieldNameBytes || name.find_first_of("[]>") != std::string::npos) {
    return json_error(path, str_cat("invalid aggregation name \"", name, "\""));
  }
  auto obj = as_object(v, path);
  if (!obj.ok()) return obj.status();
  AggSpec spec;
  spec.name = std::move(name);
  const json::value* children = nullptr;
  const json::value* params = nullptr;
  for (const auto& kv : **obj) {
    std::string_view key(kv.key().data(), kv.key().size());
    if (key == "aggs" || key == "aggregations") {
      if (children) return json_error(path, "gives sub-aggregations twice");
      children = &kv.value();
      continue;
    }
    std::optional<AggKind> kind = kind_from_name(key);
    if (!kind) return json_error(path, str_cat("unknown aggregation kind \"", key, "\""));
    if (params) return json_error(path, "an aggregation has exactly one kind");
    spec.kind = *kind;
    params = &kv.value();
  }
  if (params == nullptr) return json_error(path, "expected an aggregation kind");
  std::string pp = join_path(path, agg_kind_name(spec.kind));
  auto pobj = as_object(*params, pp);
  if (!pobj.ok()) return pobj.status();
  if (absl::Status e = parse_params(**pobj, st, pp, &spec); !e.ok()) return e;
  if (children) {
    if (!is_bucket_kind(spec.kind)) {
      return json_error(path, str_cat("aggregation \"", spec.name, "\" of kind ", agg_kind_name(spec.kind),
                                           " cannot have sub-aggregations"));
    }
    auto subs = parse_level(*children, st, join_path(path, "aggs"), depth + 1);
    if (!subs.ok()) return subs.status();
    spec.children = std::move(*subs);
  }
  return spec;
}

absl::StatusOr<std::vector<AggSpec>> parse_level(const json::value& v, AggParseState& st, std::string_view path,
                                                 unsigned depth) {
  if (depth >= kMaxAggDepth) return json_error(path, str_cat("aggregations nest deeper than ", kMaxAggDepth));
  auto obj = as_object(v, path);
  if (!obj.ok()) return obj.status();
  std::vector<AggSpec> out;
  for (const auto& kv : **obj) {
    if (++st.count > kMaxAggregations) {
      return json_error(path, str_cat("more than ", kMaxAggregations, " aggregations"));
    }
    std::string name(kv.key());
    auto spec = parse_one(name, kv.value(), st, join_path(path, name), depth);
    if (!spec.ok()) return spec.status();
    out.push_back(std::move(*spec));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<AggSpec>> parse_aggs(const json::value& v, const Schema& schema, std::string_view path) {
  AggParseState st{schema};
  return parse_level(v, st, path, 0);
}

}  // namespace shoal::search
