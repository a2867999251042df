// The search oracle: a single node holding every document of a sharded
// collection, answering a search the way the sharded store must.
//
// The oracle is one search::Collection built from the resolved documents
// (document_oracle.h) with the vector index made exact (flat), so its knn
// answers are the true nearest neighbours whatever index the store uses.
// check_search() judges one merged SearchResponse of the store against it:
//
// * exact index (flat), or no knn clause — `knn-equals-oracle` or
//   `search-equals-oracle`: the same total, the same hits in the same order
//   (ties go by the library's total order: sort keys, then _id), the same
//   scores within a tiny relative tolerance. Two hits whose keys differ only
//   within that tolerance may swap, since float distances computed by two
//   FAISS code paths may differ in their last bits.
// * approximate index (HNSW, IVF) with knn — `knn-recall`: every hit is a
//   document of the matching set with its true score and sort keys, the hits
//   are in order, and recall = |store ∩ oracle| / |oracle| over the page is
//   at least `recall_floor`.
// * a response naming missing shards — judged only for what it can promise:
//   every hit is in the matching set with its true score, keys and source,
//   the hits are in order, no id repeats, and the total is not above the
//   oracle's. The judgement says it was partial.
//
// The documents must be the collection as of the revision the search read:
// after quiescence, the final contents; with a point in time, the contents
// at that point. The oracle is immutable once built; not thread-safe only in
// that Collection is not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/search/collection.h"
#include "engine/search/merge.h"
#include "engine/search/request.h"
#include "engine/search/schema.h"
#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/document_oracle.h"

namespace shoal::check {

// Relative tolerance on scores: a few float32 roundings of a distance.
inline constexpr double kScoreToleranceDefault = 1e-6;
inline constexpr double kRecallFloorDefault = 0.9;

// The schema with its vector index (if any) made flat; fields and metric kept.
search::Schema exact_schema(const search::Schema& schema);

// A collection holding `docs` (bodies with or without "_id"; one that names
// another id is rejected) under exact_schema(schema), all at revision 1.
// InvalidArgument, naming the document, when a body does not fit the schema.
absl::StatusOr<std::unique_ptr<search::Collection>> build_oracle_collection(const search::Schema& schema,
                                                                            const DocumentSet& docs);

struct SearchOracleOptions {
  double recall_floor = kRecallFloorDefault;
  double score_tolerance = kScoreToleranceDefault;
};

struct SearchJudgement {
  CheckResult result;
  bool partial = false;      // the response named missing shards
  bool approximate = false;  // knn over an HNSW or IVF index
  double recall = 1;         // |store ∩ oracle| / |oracle| over the page; 1 when the oracle page is empty
};

class SearchOracle {
 public:
  // `schema` is the store's (its vector index kind says whether knn answers
  // may be approximate).
  static absl::StatusOr<std::unique_ptr<SearchOracle>> create(const search::Schema& schema, const DocumentSet& docs);

  const search::Schema& schema() const { return schema_; }
  const search::Collection& collection() const { return *collection_; }
  size_t size() const { return collection_->live_documents(); }
  // True when the store's index is HNSW or IVF.
  bool approximate_index() const;

  // The single node's answer, paged like the store's (cursor, from, size).
  absl::StatusOr<search::SearchResponse> answer(const search::SearchRequest& request) const;
  // The single node's raw shard answer (aggregation partials included).
  absl::StatusOr<search::ShardResult> run(const search::SearchRequest& request) const;
  // Every hit of the request in sort order, without paging or cursor (knn:
  // every matching document with a vector, up to search::kMaxK of them).
  absl::StatusOr<std::vector<search::Hit>> ranking(const search::SearchRequest& request) const;
  // The ids of ranking(), in order: what cursor paging must visit.
  absl::StatusOr<std::vector<std::string>> ids_in_order(const search::SearchRequest& request) const;

  SearchJudgement check_search(const search::SearchRequest& request, const search::SearchResponse& response,
                               const SearchOracleOptions& options = {}) const;

 private:
  SearchOracle(search::Schema schema, std::unique_ptr<search::Collection> collection)
      : schema_(std::move(schema)), collection_(std::move(collection)) {}

  search::Schema schema_;
  std::unique_ptr<search::Collection> collection_;
};

// Builds the oracle and judges one search (the oracle's own errors, e.g. a
// document the schema rejects, are reported as a violation).
SearchJudgement check_search_against_oracle(const search::Schema& schema, const DocumentSet& docs,
                                            const search::SearchRequest& request,
                                            const search::SearchResponse& response,
                                            const SearchOracleOptions& options = {});

}  // namespace shoal::check
