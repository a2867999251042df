// Building and running the single-node oracle (search_oracle.h); judging a
// response against it is in search_judge.cc.
#include "scenarios/checkers/search_oracle.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/core/assert.h"
#include "engine/search/document.h"
#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

namespace json = boost::json;

// The revision every oracle document is written at.
constexpr uint64_t kOracleRevision = 1;

absl::StatusOr<search::Document> oracle_document(const search::Schema& schema, const std::string& id,
                                                 const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return absl::InvalidArgumentError(internal::str_cat("oracle document \"", id, "\": body is not a JSON object"));
  }
  json::object& o = v.get_object();
  if (const json::value* given = o.if_contains("_id"); given && (!given->is_string() || given->get_string() != id)) {
    return absl::InvalidArgumentError(internal::str_cat("oracle document \"", id, "\": body names another _id"));
  }
  o["_id"] = json::string(id);
  auto doc = search::parse_document(v, schema);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        internal::str_cat("oracle document \"", id, "\": ", std::string(doc.status().message())));
  }
  return doc;
}

}  // namespace

search::Schema exact_schema(const search::Schema& schema) {
  std::optional<search::VectorSpec> vector = schema.vector();
  if (vector) vector->index.kind = search::VectorIndexKind::kFlat;
  auto exact = search::Schema::create(schema.fields(), vector);
  // Changing the index kind of a valid schema keeps it valid.
  SHOAL_ASSERT(exact.ok());
  return *exact;
}

absl::StatusOr<std::unique_ptr<search::Collection>> build_oracle_collection(const search::Schema& schema,
                                                                            const DocumentSet& docs) {
  search::Schema exact = exact_schema(schema);
  std::vector<search::Document> parsed;
  parsed.reserve(docs.size());
  for (const auto& [id, body] : docs) {
    auto doc = oracle_document(exact, id, body);
    if (!doc.ok()) return doc.status();
    parsed.push_back(std::move(*doc));
  }
  auto collection = std::make_unique<search::Collection>(std::move(exact));
  if (!parsed.empty()) {
    if (absl::Status s = collection->upsert(std::move(parsed), kOracleRevision); !s.ok()) return s;
  }
  return collection;
}

absl::StatusOr<std::unique_ptr<SearchOracle>> SearchOracle::create(const search::Schema& schema,
                                                                   const DocumentSet& docs) {
  auto collection = build_oracle_collection(schema, docs);
  if (!collection.ok()) return collection.status();
  return std::unique_ptr<SearchOracle>(new SearchOracle(schema, std::move(*collection)));
}

bool SearchOracle::approximate_index() const {
  return schema_.vector() && schema_.vector()->index.kind != search::VectorIndexKind::kFlat;
}

absl::StatusOr<search::ShardResult> SearchOracle::run(const search::SearchRequest& request) const {
  search::SearchRequest r = request;
  r.pit_id.reset();  // the oracle holds one revision: the one the documents describe
  return collection_->search(r);
}

absl::StatusOr<search::SearchResponse> SearchOracle::answer(const search::SearchRequest& request) const {
  search::SearchRequest r = request;
  r.pit_id.reset();
  auto result = collection_->search(r);
  if (!result.ok()) return result.status();
  std::vector<std::pair<uint32_t, search::ShardResult>> one;
  one.emplace_back(0, std::move(*result));
  return search::merge_shard_results(r, std::move(one), {});
}

absl::StatusOr<std::vector<search::Hit>> SearchOracle::ranking(const search::SearchRequest& request) const {
  search::SearchRequest r = request;
  r.pit_id.reset();
  r.search_after.reset();
  r.aggs.clear();
  r.from = 0;
  const auto everything = static_cast<uint32_t>(std::clamp<size_t>(size(), 1, search::kMaxResultWindow));
  r.size = everything;
  if (r.knn) {
    r.knn->k = std::min(everything, search::kMaxK);
    r.knn->num_candidates = std::min(search::kMaxNumCandidates, std::max(r.knn->num_candidates, r.knn->k));
  }
  auto response = answer(r);
  if (!response.ok()) return response.status();
  return std::move(response->hits);
}

absl::StatusOr<std::vector<std::string>> SearchOracle::ids_in_order(const search::SearchRequest& request) const {
  auto hits = ranking(request);
  if (!hits.ok()) return hits.status();
  std::vector<std::string> ids;
  ids.reserve(hits->size());
  for (const search::Hit& h : *hits) ids.push_back(h.id);
  return ids;
}

SearchJudgement check_search_against_oracle(const search::Schema& schema, const DocumentSet& docs,
                                            const search::SearchRequest& request,
                                            const search::SearchResponse& response,
                                            const SearchOracleOptions& options) {
  auto oracle = SearchOracle::create(schema, docs);
  if (oracle.ok()) return (*oracle)->check_search(request, response, options);
  SearchJudgement j;
  j.result.add({internal::str_cat("the oracle cannot be built: ", std::string(oracle.status().message())), {}});
  j.result.summarise(request.knn ? "knn-equals-oracle" : "search-equals-oracle", 0, "searches");
  j.result.name = request.knn ? "knn-equals-oracle" : "search-equals-oracle";
  return j;
}

}  // namespace shoal::check
