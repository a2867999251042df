// Parsing of query clauses from request JSON (see clause.h for the subset).
#include <algorithm>

#include <boost/json.hpp>

#include "engine/search/str_cat.h"
#include "engine/search/clause.h"
#include "engine/search/json_util.h"

namespace shoal::search {

namespace json = boost::json;

namespace {

struct ParseState {
  const Schema& schema;
  size_t clauses = 0;
};

absl::StatusOr<Clause> parse(const json::value& v, ParseState& st, std::string_view path, unsigned depth);

absl::StatusOr<size_t> resolve_field(const Schema& schema, std::string_view name, std::string_view path) {
  if (schema.is_vector_field(name)) {
    return json_error(path, str_cat("field \"", name, "\" is a dense_vector; use a knn clause to search it"));
  }
  std::optional<size_t> i = schema.field_index(name);
  if (!i) return json_error(path, str_cat("unknown field \"", name, "\""));
  return *i;
}

// A query value for a field: the same rules as a document value, but a
// missing (null) value cannot be searched for.
absl::StatusOr<Value> query_value(const json::value& v, const Schema& schema, size_t field, std::string_view path) {
  const FieldSpec& f = schema.field(field);
  auto value = parse_field_value(v, f.type, f.name);
  if (!value.ok()) return json_error(path, to_std(value.status().message()));
  if (value->missing()) return json_error(path, str_cat("field \"", f.name, "\" needs a value, got null"));
  return value;
}

absl::Status parse_boost(const json::object& obj, std::string_view path, Clause* c) {
  if (const json::value* b = obj.if_contains("boost")) {
    auto d = as_double(*b, join_path(path, "boost"));
    if (!d.ok()) return d.status();
    if (*d < 0) return json_error(join_path(path, "boost"), "must not be negative");
    c->boost = *d;
  }
  return absl::OkStatus();
}

// {"term": {"color": "red"}} or {"term": {"color": {"value": "red", "boost": 2}}}
absl::StatusOr<Clause> parse_term(const json::value& body, const Schema& schema, std::string_view path) {
  auto member = single_member(body, path);
  if (!member.ok()) return member.status();
  std::string_view name((*member)->key().data(), (*member)->key().size());
  std::string p = join_path(path, name);
  auto field = resolve_field(schema, name, p);
  if (!field.ok()) return field.status();
  Clause c;
  c.kind = ClauseKind::kTerm;
  c.field = *field;
  const json::value* raw = &(*member)->value();
  if (const json::object* o = raw->if_object()) {
    if (absl::Status s = check_members(*o, p, {"value", "boost"}); !s.ok()) return s;
    if (absl::Status s = parse_boost(*o, p, &c); !s.ok()) return s;
    raw = o->if_contains("value");
    if (raw == nullptr) return json_error(p, "expected \"value\"");
  }
  auto v = query_value(*raw, schema, c.field, p);
  if (!v.ok()) return v.status();
  c.values.push_back(std::move(*v));
  return c;
}

// {"terms": {"color": ["red", "blue"], "boost": 1}}
absl::StatusOr<Clause> parse_terms(const json::value& body, const Schema& schema, std::string_view path) {
  auto obj = as_object(body, path);
  if (!obj.ok()) return obj.status();
  Clause c;
  c.kind = ClauseKind::kTerms;
  if (absl::Status s = parse_boost(**obj, path, &c); !s.ok()) return s;
  const json::key_value_pair* field_member = nullptr;
  for (const auto& kv : **obj) {
    if (kv.key() == "boost") continue;
    if (field_member) return json_error(path, "terms takes exactly one field");
    field_member = &kv;
  }
  if (field_member == nullptr) return json_error(path, "terms needs a field");
  std::string_view name(field_member->key().data(), field_member->key().size());
  std::string p = join_path(path, name);
  auto field = resolve_field(schema, name, p);
  if (!field.ok()) return field.status();
  c.field = *field;
  auto arr = as_array(field_member->value(), p);
  if (!arr.ok()) return arr.status();
  if ((*arr)->size() > kMaxTermsValues) {
    return json_error(p, str_cat((*arr)->size(), " values exceed the limit of ", kMaxTermsValues));
  }
  for (size_t i = 0; i < (*arr)->size(); ++i) {
    auto v = query_value((**arr)[i], schema, c.field, str_cat(p, "[", i, "]"));
    if (!v.ok()) return v.status();
    c.values.push_back(std::move(*v));
  }
  std::sort(c.values.begin(), c.values.end());
  c.values.erase(std::unique(c.values.begin(), c.values.end()), c.values.end());
  return c;
}

// {"range": {"price": {"gte": 10, "lt": 20}}}
absl::StatusOr<Clause> parse_range(const json::value& body, const Schema& schema, std::string_view path) {
  auto member = single_member(body, path);
  if (!member.ok()) return member.status();
  std::string_view name((*member)->key().data(), (*member)->key().size());
  std::string p = join_path(path, name);
  auto field = resolve_field(schema, name, p);
  if (!field.ok()) return field.status();
  auto bounds = as_object((*member)->value(), p);
  if (!bounds.ok()) return bounds.status();
  if (absl::Status s = check_members(**bounds, p, {"gte", "gt", "lte", "lt", "boost"}); !s.ok()) return s;
  Clause c;
  c.kind = ClauseKind::kRange;
  c.field = *field;
  if (absl::Status s = parse_boost(**bounds, p, &c); !s.ok()) return s;
  for (const auto& kv : **bounds) {
    std::string_view key(kv.key().data(), kv.key().size());
    if (key == "boost") continue;
    auto v = query_value(kv.value(), schema, c.field, join_path(p, key));
    if (!v.ok()) return v.status();
    const bool lower = key == "gte" || key == "gt";
    std::optional<Value>& slot = lower ? c.lower : c.upper;
    if (slot) return json_error(p, lower ? "gives two lower bounds" : "gives two upper bounds");
    slot = std::move(*v);
    (lower ? c.lower_inclusive : c.upper_inclusive) = key == "gte" || key == "lte";
  }
  if (!c.lower && !c.upper) return json_error(p, "range needs at least one of gte, gt, lte, lt");
  return c;
}

absl::StatusOr<Clause> parse_exists(const json::value& body, const Schema& schema, std::string_view path) {
  auto obj = as_object(body, path);
  if (!obj.ok()) return obj.status();
  if (absl::Status s = check_members(**obj, path, {"field", "boost"}); !s.ok()) return s;
  const json::value* f = (*obj)->if_contains("field");
  if (f == nullptr) return json_error(path, "exists needs \"field\"");
  auto name = as_string(*f, join_path(path, "field"));
  if (!name.ok()) return name.status();
  auto field = resolve_field(schema, *name, join_path(path, "field"));
  if (!field.ok()) return field.status();
  Clause c;
  c.kind = ClauseKind::kExists;
  c.field = *field;
  if (absl::Status s = parse_boost(**obj, path, &c); !s.ok()) return s;
  return c;
}

absl::StatusOr<Clause> parse_ids(const json::value& body, std::string_view path) {
  auto obj = as_object(body, path);
  if (!obj.ok()) return obj.status();
  if (absl::Status s = check_members(**obj, path, {"values", "boost"}); !s.ok()) return s;
  Clause c;
  c.kind = ClauseKind::kIds;
  if (absl::Status s = parse_boost(**obj, path, &c); !s.ok()) return s;
  const json::value* values = (*obj)->if_contains("values");
  if (values == nullptr) return json_error(path, "ids needs \"values\"");
  auto arr = as_array(*values, join_path(path, "values"));
  if (!arr.ok()) return arr.status();
  if ((*arr)->size() > kMaxTermsValues) return json_error(path, "too many ids");
  for (size_t i = 0; i < (*arr)->size(); ++i) {
    auto id = as_string((**arr)[i], str_cat(path, ".values[", i, "]"));
    if (!id.ok()) return id.status();
    c.ids.push_back(std::move(*id));
  }
  std::sort(c.ids.begin(), c.ids.end());
  c.ids.erase(std::unique(c.ids.begin(), c.ids.end()), c.ids.end());
  return c;
}

// One occurrence list of a bool: a single clause object or an array of them.
absl::Status parse_occurrence(const json::value& v, ParseState& st, std::string_view path, unsigned depth,
                              std::vector<Clause>* out) {
  if (const json::array* arr = v.if_array()) {
    for (size_t i = 0; i < arr->size(); ++i) {
      auto c = parse((*arr)[i], st, str_cat(path, "[", i, "]"), depth + 1);
      if (!c.ok()) return c.status();
      out->push_back(std::move(*c));
    }
    return absl::OkStatus();
  }
  auto c = parse(v, st, path, depth + 1);
  if (!c.ok()) return c.status();
  out->push_back(std::move(*c));
  return absl::OkStatus();
}

absl::StatusOr<Clause> parse_bool(const json::value& body, ParseState& st, std::string_view path, unsigned depth) {
  auto obj = as_object(body, path);
  if (!obj.ok()) return obj.status();
  if (absl::Status s = check_members(**obj, path, {"must", "should", "must_not", "filter", "minimum_should_match",
                                                   "boost"});
      !s.ok()) {
    return s;
  }
  Clause c;
  c.kind = ClauseKind::kBool;
  if (absl::Status s = parse_boost(**obj, path, &c); !s.ok()) return s;
  std::optional<int64_t> msm;
  for (const auto& kv : **obj) {
    std::string_view key(kv.key().data(), kv.key().size());
    std::string p = join_path(path, key);
    absl::Status s;
    if (key == "must") s = parse_occurrence(kv.value(), st, p, depth, &c.must);
    else if (key == "should") s = parse_occurrence(kv.value(), st, p, depth, &c.should);
    else if (key == "must_not") s = parse_occurrence(kv.value(), st, p, depth, &c.must_not);
    else if (key == "filter") s = parse_occurrence(kv.value(), st, p, depth, &c.filter);
    else if (key == "minimum_should_match") {
      auto n = as_int(kv.value(), p, 0, static_cast<int64_t>(kMaxClauses));
      if (!n.ok()) return n.status();
      msm = *n;
    }
    if (!s.ok()) return s;
  }
  // As in Elasticsearch: with no must or filter, at least one should must match.
  const bool only_should = c.must.empty() && c.filter.empty() && !c.should.empty();
  c.minimum_should_match = static_cast<uint32_t>(msm.value_or(only_should ? 1 : 0));
  if (c.minimum_should_match > c.should.size()) {
    return json_error(join_path(path, "minimum_should_match"),
                      str_cat(c.minimum_should_match, " exceeds the ", c.should.size(), " should clauses"));
  }
  return c;
}

absl::StatusOr<Clause> parse(const json::value& v, ParseState& st, std::string_view path, unsigned depth) {
  if (depth > kMaxClauseDepth) return json_error(path, str_cat("nesting exceeds ", kMaxClauseDepth, " levels"));
  if (++st.clauses > kMaxClauses) return json_error(path, str_cat("more than ", kMaxClauses, " clauses"));
  auto member = single_member(v, path);
  if (!member.ok()) return member.status();
  std::string_view kind((*member)->key().data(), (*member)->key().size());
  const json::value& body = (*member)->value();
  std::string p = join_path(path, kind);
  if (kind == "match_all") {
    auto obj = as_object(body, p);
    if (!obj.ok()) return obj.status();
    if (absl::Status s = check_members(**obj, p, {"boost"}); !s.ok()) return s;
    Clause c;
    if (absl::Status s = parse_boost(**obj, p, &c); !s.ok()) return s;
    return c;
  }
  if (kind == "term") return parse_term(body, st.schema, p);
  if (kind == "terms") return parse_terms(body, st.schema, p);
  if (kind == "range") return parse_range(body, st.schema, p);
  if (kind == "exists") return parse_exists(body, st.schema, p);
  if (kind == "ids") return parse_ids(body, p);
  if (kind == "bool") return parse_bool(body, st, p, depth);
  if (kind == "knn") return json_error(p, "knn is a top-level member of the request, not a query clause");
  return json_error(path, str_cat("unknown query clause \"", kind,
                                       "\" (supported: match_all, term, terms, range, exists, ids, bool)"));
}

}  // namespace

absl::StatusOr<Clause> parse_clause(const json::value& v, const Schema& schema, std::string_view path) {
  ParseState st{schema};
  return parse(v, st, path, 0);
}

}  // namespace shoal::search
