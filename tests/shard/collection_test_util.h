// Shared by the collection shard tests: a small schema (a keyword, an integer,
// a float and a 4-dimensional vector over a flat index), document JSON
// builders, helpers that drive a CollectionStateMachine through its byte
// interface, and printers so failures name the commands and results involved.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/search/merge.h"
#include "engine/search/request.h"
#include "engine/search/schema.h"
#include "engine/shard/collection_command.h"
#include "engine/shard/collection_state_machine.h"

namespace shoal::shard {

inline std::ostream& operator<<(std::ostream& os, const CollectionCommand& c) { return os << describe(c); }
inline std::ostream& operator<<(std::ostream& os, const CommandResult& r) { return os << describe(r); }
inline std::ostream& operator<<(std::ostream& os, const CollectionQuery& q) { return os << describe(q); }
inline std::ostream& operator<<(std::ostream& os, const QueryResult& r) { return os << describe(r); }

namespace collection_test {

inline search::Schema small_schema(const std::string& keyword_name = "color") {
  auto s = search::Schema::from_json(R"({"properties": {
      ")" + keyword_name + R"(": {"type": "keyword"}, "n": {"type": "integer"}, "price": {"type": "float"},
      "v": {"type": "dense_vector", "dims": 4, "similarity": "l2_norm", "index_options": {"type": "flat"}}}})");
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

// One document's JSON; absent optionals are left out.
struct DocSpec {
  std::string id;
  std::optional<std::string> color;
  std::optional<int> n;
  std::optional<double> price;
  std::optional<std::vector<int>> v;  // dimension 4 for a valid document
};

inline std::string doc_json(const DocSpec& d) {
  std::string s = "{\"_id\": \"" + d.id + "\"";
  if (d.color) s += ", \"color\": \"" + *d.color + "\"";
  if (d.n) s += ", \"n\": " + std::to_string(*d.n);
  if (d.price) s += ", \"price\": " + std::to_string(*d.price);
  if (d.v) {
    s += ", \"v\": [";
    for (size_t i = 0; i < d.v->size(); ++i) s += (i ? ", " : "") + std::to_string((*d.v)[i]);
    s += "]";
  }
  return s + "}";
}

inline std::string docs_json(const std::vector<DocSpec>& docs) {
  std::string s = "[";
  for (size_t i = 0; i < docs.size(); ++i) s += (i ? ", " : "") + doc_json(docs[i]);
  return s + "]";
}

inline UpsertDocuments upsert(const std::vector<DocSpec>& docs) { return UpsertDocuments{docs_json(docs)}; }

// Through the byte interface, as Raft and a replica host drive it.
inline CommandResult apply(CollectionStateMachine& m, uint64_t index, const CollectionCommand& c) {
  auto r = decode_result(m.apply(index, encode_command(c)));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CommandResult{};
}

inline QueryResult ask(const CollectionStateMachine& m, const CollectionQuery& q) {
  auto r = decode_query_result(m.query(encode_query(q)));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : QueryResult{};
}

// The shard's search answer decoded, or an empty result (and a failure).
inline search::ShardResult search_at(const CollectionStateMachine& m, const std::string& json,
                                     std::optional<uint64_t> revision = {}) {
  QueryResult r = ask(m, SearchQuery{json, revision, 0});
  EXPECT_EQ(r.code, CollectionCode::kOk) << describe(r);
  const auto* answer = std::get_if<SearchAnswer>(&r.answer);
  if (answer == nullptr) return {};
  auto request = search::parse_search_request(json, m.schema());
  EXPECT_TRUE(request.ok()) << request.status();
  auto result = search::decode_shard_result(*request, m.schema(), answer->shard_result);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : search::ShardResult{};
}

inline std::vector<std::string> hit_ids(const search::ShardResult& r) {
  std::vector<std::string> ids;
  for (const search::Hit& h : r.hits) ids.push_back(h.id);
  return ids;
}

inline std::vector<LiveId> all_ids(const CollectionStateMachine& m) {
  QueryResult r = ask(m, ListIdsQuery{"", kMaxListIdsLimit, 0});
  const auto* answer = std::get_if<IdsAnswer>(&r.answer);
  EXPECT_NE(answer, nullptr) << describe(r);
  return answer ? answer->ids : std::vector<LiveId>{};
}

// Requests that exercise the shard's whole read path: a filter, a sort on a
// field, knn over the flat index, aggregations.
inline std::vector<std::string> probe_requests() {
  return {
      R"({"query": {"term": {"color": "red"}}, "size": 50})",
      R"({"query": {"range": {"n": {"gte": 0}}}, "sort": [{"price": "desc"}], "size": 5})",
      R"({"knn": {"field": "v", "query_vector": [1, 0, 0, 1], "k": 3, "num_candidates": 10}})",
      R"({"size": 0, "aggs": {"c": {"terms": {"field": "color"}}, "p": {"avg": {"field": "price"}},
                              "s": {"stats": {"field": "n"}}}})",
      R"({"size": 50, "sort": ["_id"]})",
  };
}

}  // namespace collection_test
}  // namespace shoal::shard
