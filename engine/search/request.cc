#include "engine/search/request.h"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

#include "engine/search/str_cat.h"
#include "engine/core/codec.h"
#include "engine/core/random.h"
#include "engine/search/cursor.h"
#include "engine/search/json_util.h"

namespace shoal::search {

namespace json = boost::json;

bool SearchRequest::matches_everything() const {
  auto all = [](const std::optional<Clause>& c) { return !c || c->kind == ClauseKind::kMatchAll; };
  return all(query) && (!knn || all(knn->filter));
}

bool in_matching_set(const SearchRequest& r, const DocView& doc, double* query_score) {
  *query_score = 0;
  if (r.knn && r.knn->filter && !matches(*r.knn->filter, doc)) return false;
  if (r.query && !matches(*r.query, doc, query_score)) return false;
  return true;
}

double knn_score(VectorMetric metric, float distance) {
  const double d = distance;
  switch (metric) {
    case VectorMetric::kL2: return 1 / (1 + d);
    case VectorMetric::kInnerProduct: return d < 0 ? 1 / (1 - d) : d + 1;
    case VectorMetric::kCosine: return (1 + d) / 2;
  }
  return 0;
}

uint64_t sort_fingerprint(const std::vector<SortClause>& sort) {
  Writer w;
  for (const SortClause& c : sort) {
    w.u8(static_cast<uint8_t>(c.target));
    w.varint(c.field);
    w.boolean(c.descending);
    w.boolean(c.missing_first);
  }
  const std::string& b = w.buffer();
  return stable_hash(b.data(), b.size());
}

namespace {

absl::Status parse_query_vector(const json::value& v, const Schema& schema, KnnSpec* knn) {
  const VectorSpec& vs = *schema.vector();
  auto arr = as_array(v, "knn.query_vector");
  if (!arr.ok()) return arr.status();
  if ((*arr)->size() != vs.dimension) {
    return json_error("knn.query_vector", str_cat("field \"", vs.name, "\" has dimension ", vs.dimension,
                                                       "; the query vector has ", (*arr)->size()));
  }
  knn->query_vector.reserve(vs.dimension);
  for (size_t i = 0; i < (*arr)->size(); ++i) {
    auto d = as_double((**arr)[i], str_cat("knn.query_vector[", i, "]"));
    if (!d.ok()) return d.status();
    const float f = static_cast<float>(*d);
    if (!std::isfinite(f)) return json_error(str_cat("knn.query_vector[", i, "]"), "is out of float range");
    knn->query_vector.push_back(f);
  }
  return absl::OkStatus();
}

absl::Status parse_knn_numbers(const json::object& obj, KnnSpec* knn) {
  if (const json::value* v = obj.if_contains("k")) {
    auto n = as_int(*v, "knn.k", 1, kMaxK);
    if (!n.ok()) return n.status();
    knn->k = static_cast<uint32_t>(*n);
  }
  knn->num_candidates = std::min<uint32_t>(kMaxNumCandidates, std::max<uint32_t>(knn->k, knn->k + knn->k / 2));
  if (const json::value* v = obj.if_contains("num_candidates")) {
    auto n = as_int(*v, "knn.num_candidates", knn->k, kMaxNumCandidates);
    if (!n.ok()) return n.status();
    knn->num_candidates = static_cast<uint32_t>(*n);
  }
  if (const json::value* v = obj.if_contains("boost")) {
    auto d = as_double(*v, "knn.boost");
    if (!d.ok()) return d.status();
    if (*d < 0) return json_error("knn.boost", "must not be negative");
    knn->boost = *d;
  }
  if (const json::value* v = obj.if_contains("ef_search")) {
    auto n = as_int(*v, "knn.ef_search", 1, kMaxHnswEf);
    if (!n.ok()) return n.status();
    knn->ef_search = static_cast<uint32_t>(*n);
  }
  if (const json::value* v = obj.if_contains("nprobe")) {
    auto n = as_int(*v, "knn.nprobe", 1, kMaxIvfLists);
    if (!n.ok()) return n.status();
    knn->nprobe = static_cast<uint32_t>(*n);
  }
  return absl::OkStatus();
}

// The knn filter may be one clause or an array of clauses (all must match).
absl::StatusOr<Clause> parse_knn_filter(const json::value& v, const Schema& schema) {
  const json::array* arr = v.if_array();
  if (arr == nullptr) return parse_clause(v, schema, "knn.filter");
  Clause all;
  all.kind = ClauseKind::kBool;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto c = parse_clause((*arr)[i], schema, str_cat("knn.filter[", i, "]"));
    if (!c.ok()) return c.status();
    all.filter.push_back(std::move(*c));
  }
  return all;
}

absl::StatusOr<KnnSpec> parse_knn(const json::value& v, const Schema& schema) {
  auto obj = as_object(v, "knn");
  if (!obj.ok()) return obj.status();
  if (absl::Status s = check_members(**obj, "knn", {"field", "query_vector", "k", "num_candidates", "filter", "boost",
                                                    "ef_search", "nprobe"});
      !s.ok()) {
    return s;
  }
  const json::value* field = (*obj)->if_contains("field");
  if (field == nullptr) return json_error("knn", "expected \"field\"");
  auto name = as_string(*field, "knn.field");
  if (!name.ok()) return name.status();
  if (!schema.is_vector_field(*name)) {
    return json_error("knn.field", schema.field_index(*name)
                                       ? str_cat("field \"", *name, "\" is not a dense_vector")
                                       : str_cat("unknown field \"", *name, "\""));
  }
  KnnSpec knn;
  const json::value* qv = (*obj)->if_contains("query_vector");
  if (qv == nullptr) return json_error("knn", "expected \"query_vector\"");
  if (absl::Status s = parse_query_vector(*qv, schema, &knn); !s.ok()) return s;
  if (absl::Status s = parse_knn_numbers(**obj, &knn); !s.ok()) return s;
  if (const json::value* f = (*obj)->if_contains("filter")) {
    auto c = parse_knn_filter(*f, schema);
    if (!c.ok()) return c.status();
    knn.filter = std::move(*c);
  }
  return knn;
}

absl::Status parse_paging(const json::object& root, SearchRequest* r) {
  if (const json::value* v = root.if_contains("size")) {
    auto n = as_int(*v, "size", 0, kMaxResultWindow);
    if (!n.ok()) return n.status();
    r->size = static_cast<uint32_t>(*n);
  }
  if (const json::value* v = root.if_contains("from")) {
    auto n = as_int(*v, "from", 0, kMaxResultWindow);
    if (!n.ok()) return n.status();
    r->from = static_cast<uint32_t>(*n);
  }
  if (static_cast<uint64_t>(r->from) + r->size > kMaxResultWindow) {
    return json_error("from", str_cat("from + size exceeds ", kMaxResultWindow, "; page with a cursor instead"));
  }
  // With knn the hits are at most the k nearest, so a page never reaches past k.
  if (r->knn) r->size = r->from >= r->knn->k ? 0 : std::min(r->size, r->knn->k - r->from);
  return absl::OkStatus();
}

absl::Status parse_position(const json::object& root, const Schema& schema, SearchRequest* r) {
  const json::value* after = root.if_contains("search_after");
  const json::value* cursor = root.if_contains("cursor");
  if (const json::value* pit = root.if_contains("pit")) {
    auto obj = as_object(*pit, "pit");
    if (!obj.ok()) return obj.status();
    if (absl::Status s = check_members(**obj, "pit", {"id", "keep_alive"}); !s.ok()) return s;
    const json::value* id = (*obj)->if_contains("id");
    if (id == nullptr) return json_error("pit", "expected \"id\"");
    auto text = as_string(*id, "pit.id");
    if (!text.ok()) return text.status();
    if (auto p = decode_pit(*text); !p.ok()) return json_error("pit.id", to_std(p.status().message()));
    r->pit_id = std::move(*text);
  }
  if (after && cursor) return json_error("cursor", "give either search_after or cursor, not both");
  if ((after || cursor) && r->from != 0) return json_error("from", "must be 0 when paging with a cursor");
  if (after) {
    auto key = parse_search_after(*after, r->sort, schema);
    if (!key.ok()) return key.status();
    r->search_after = std::move(*key);
  }
  if (cursor) {
    auto text = as_string(*cursor, "cursor");
    if (!text.ok()) return text.status();
    auto c = decode_cursor(*text);
    if (!c.ok()) return json_error("cursor", to_std(c.status().message()));
    if (c->sort_fingerprint != sort_fingerprint(r->sort) || c->after.size() != r->sort.size()) {
      return json_error("cursor", "was issued for a different sort; repeat the sort of the first page");
    }
    if (!c->pit_id.empty()) {
      if (r->pit_id && *r->pit_id != c->pit_id) return json_error("cursor", "was issued for a different pit");
      r->pit_id = c->pit_id;
    }
    r->search_after = std::move(c->after);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SearchRequest> parse_search_request(std::string_view text, const Schema& schema) {
  auto doc = parse_json(text, "search request");
  if (!doc.ok()) return doc.status();
  auto root = as_object(*doc, "");
  if (!root.ok()) return root.status();
  if (absl::Status s = check_members(**root, "request", {"query", "knn", "sort", "size", "from", "search_after",
                                                         "cursor", "pit", "_source", "aggs", "aggregations",
                                                         "track_total_hits"});
      !s.ok()) {
    return s;
  }
  SearchRequest r;
  if (const json::value* q = (*root)->if_contains("query")) {
    auto c = parse_clause(*q, schema, "query");
    if (!c.ok()) return c.status();
    r.query = std::move(*c);
  }
  if (const json::value* k = (*root)->if_contains("knn")) {
    if (!schema.vector()) return json_error("knn", "the collection has no dense_vector field");
    auto knn = parse_knn(*k, schema);
    if (!knn.ok()) return knn.status();
    r.knn = std::move(*knn);
  }
  auto sort = parse_sort((*root)->if_contains("sort"), schema);
  if (!sort.ok()) return sort.status();
  r.sort = std::move(*sort);
  if (absl::Status s = parse_paging(**root, &r); !s.ok()) return s;
  if (absl::Status s = parse_position(**root, schema, &r); !s.ok()) return s;
  if (const json::value* v = (*root)->if_contains("_source")) {
    auto b = as_bool(*v, "_source");
    if (!b.ok()) return b.status();
    r.source = *b;
  }
  const json::value* aggs = (*root)->if_contains("aggs");
  if (const json::value* a2 = (*root)->if_contains("aggregations")) {
    if (aggs) return json_error("aggregations", "give either aggs or aggregations, not both");
    aggs = a2;
  }
  if (aggs) {
    auto specs = parse_aggs(*aggs, schema, "aggs");
    if (!specs.ok()) return specs.status();
    r.aggs = std::move(*specs);
  }
  return r;
}

}  // namespace shoal::search
