#include "engine/search/sort.h"

#include <boost/json.hpp>

#include "engine/search/str_cat.h"
#include "engine/search/json_util.h"

namespace shoal::search {

namespace json = boost::json;

std::vector<SortClause> default_sort() {
  return {SortClause{SortTarget::kScore, 0, true, false}, SortClause{SortTarget::kId, 0, false, false}};
}

namespace {

absl::StatusOr<SortClause> target_of(std::string_view name, const Schema& schema, std::string_view path) {
  SortClause c;
  if (name == "_score") {
    c.target = SortTarget::kScore;
    c.descending = true;
    return c;
  }
  if (name == "_id") {
    c.target = SortTarget::kId;
    c.descending = false;
    return c;
  }
  if (schema.is_vector_field(name)) return json_error(path, str_cat("cannot sort by dense_vector \"", name, "\""));
  std::optional<size_t> i = schema.field_index(name);
  if (!i) return json_error(path, str_cat("unknown sort field \"", name, "\""));
  c.target = SortTarget::kField;
  c.field = *i;
  c.descending = false;
  return c;
}

absl::Status parse_order(const json::value& v, std::string_view path, SortClause* c) {
  auto s = as_string(v, path);
  if (!s.ok()) return s.status();
  if (*s != "asc" && *s != "desc") return json_error(path, str_cat("order must be asc or desc, got \"", *s, "\""));
  c->descending = *s == "desc";
  return absl::OkStatus();
}

// {"price": "desc"} or {"price": {"order": "desc", "missing": "_first"}}
absl::StatusOr<SortClause> parse_object_clause(const json::value& v, const Schema& schema, std::string_view path) {
  auto m = single_member(v, path);
  if (!m.ok()) return m.status();
  std::string_view name((*m)->key().data(), (*m)->key().size());
  std::string p = join_path(path, name);
  auto c = target_of(name, schema, p);
  if (!c.ok()) return c.status();
  const json::value& spec = (*m)->value();
  if (spec.is_string()) {
    if (absl::Status s = parse_order(spec, p, &*c); !s.ok()) return s;
    return c;
  }
  auto obj = as_object(spec, p);
  if (!obj.ok()) return obj.status();
  if (absl::Status s = check_members(**obj, p, {"order", "missing"}); !s.ok()) return s;
  if (const json::value* o = (*obj)->if_contains("order")) {
    if (absl::Status s = parse_order(*o, join_path(p, "order"), &*c); !s.ok()) return s;
  }
  if (const json::value* mi = (*obj)->if_contains("missing")) {
    auto s = as_string(*mi, join_path(p, "missing"));
    if (!s.ok()) return s.status();
    if (*s != "_first" && *s != "_last") return json_error(join_path(p, "missing"), "must be _first or _last");
    c->missing_first = *s == "_first";
  }
  return c;
}

}  // namespace

absl::StatusOr<std::vector<SortClause>> parse_sort(const json::value* v, const Schema& schema) {
  if (v == nullptr) return default_sort();
  std::vector<SortClause> out;
  json::array single;
  const json::array* arr = v->if_array();
  if (arr == nullptr) {
    single.push_back(*v);
    arr = &single;
  }
  if (arr->empty() || arr->size() > kMaxSortClauses) {
    return json_error("sort", str_cat("expected 1 to ", kMaxSortClauses, " sort clauses"));
  }
  bool has_id = false;
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string path = str_cat("sort[", i, "]");
    const json::value& item = (*arr)[i];
    absl::StatusOr<SortClause> c = item.is_string()
                                       ? target_of(std::string_view(item.get_string().data(), item.get_string().size()),
                                                   schema, path)
                                       : parse_object_clause(item, schema, path);
    if (!c.ok()) return c.status();
    if (c->target == SortTarget::kId) has_id = true;
    out.push_back(*c);
    // Everything after _id is decided already: ids are unique.
    if (has_id) break;
  }
  if (!has_id) out.push_back(SortClause{SortTarget::kId, 0, false, false});
  return out;
}

int compare_keys(const std::vector<SortClause>& clauses, const std::vector<Value>& a, const std::vector<Value>& b) {
  for (size_t i = 0; i < clauses.size(); ++i) {
    const SortClause& c = clauses[i];
    const bool am = a[i].missing();
    const bool bm = b[i].missing();
    if (am || bm) {
      if (am && bm) continue;
      // Missing goes first or last whatever the direction.
      return (am == c.missing_first) ? -1 : 1;
    }
    int cmp = compare(a[i], b[i]);
    if (cmp != 0) return c.descending ? -cmp : cmp;
  }
  return 0;
}

absl::StatusOr<std::vector<Value>> parse_search_after(const json::value& v, const std::vector<SortClause>& clauses,
                                                      const Schema& schema) {
  auto arr = as_array(v, "search_after");
  if (!arr.ok()) return arr.status();
  if ((*arr)->size() != clauses.size()) {
    return json_error("search_after", str_cat("expected ", clauses.size(),
                                                   " values (one per sort key, ending with the _id), got ",
                                                   (*arr)->size()));
  }
  std::vector<Value> key;
  for (size_t i = 0; i < clauses.size(); ++i) {
    std::string path = str_cat("search_after[", i, "]");
    const json::value& item = (**arr)[i];
    switch (clauses[i].target) {
      case SortTarget::kScore: {
        auto d = as_double(item, path);
        if (!d.ok()) return d.status();
        key.push_back(Value::floating(*d));
        break;
      }
      case SortTarget::kId: {
        auto s = as_string(item, path);
        if (!s.ok()) return s.status();
        key.push_back(Value::keyword(std::move(*s)));
        break;
      }
      case SortTarget::kField: {
        const FieldSpec& f = schema.field(clauses[i].field);
        auto val = parse_field_value(item, f.type, f.name);
        if (!val.ok()) return json_error(path, to_std(val.status().message()));
        key.push_back(std::move(*val));
        break;
      }
    }
  }
  return key;
}

}  // namespace shoal::search
