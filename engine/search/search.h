// One search over one collection at one revision (internal to the shard).
//
// A SearchExecution scans the collection's slots once in slot order: each
// version visible at the revision and in the request's matching set is fed to
// the aggregations and becomes a hit candidate. Without knn, the candidates
// after the cursor are ranked by the request's sort and the first from+size
// become hits. With knn, the candidates that have a vector go to the knn
// planner (search_knn.cc), and the k nearest become hits.
//
// Candidates are ranked without building hits: sort keys are read in place
// from the versions, and only the hits returned are materialised. An
// unfiltered knn search without aggregations over a collection whose every
// slot is a live vector skips the scan and goes straight to the index.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/search/merge.h"
#include "engine/search/request.h"
#include "engine/search/collection.h"
#include "engine/search/vector_index.h"

namespace shoal::search {

// An exact scan is used for approximate indexes when at most this many
// documents are candidates: it costs about as much as a graph search, and it
// is exact.
inline constexpr size_t kExactScanMaxCandidates = 2048;
// When at least this fraction of the index's slots are candidates, an
// unfiltered search over-fetched by 1/selectivity finds enough of them.
inline constexpr double kOverfetchMinSelectivity = 0.5;
// Exact index searches double their fetch at most this many times to take in
// every neighbour tied with the k-th.
inline constexpr int kMaxTieRefetches = 20;

class SearchExecution {
 public:
  SearchExecution(const Collection& c, const search::SearchRequest& request, uint64_t revision)
      : c_(c), request_(request), revision_(revision) {}

  absl::StatusOr<search::ShardResult> run(SearchStats* stats);

 private:
  // A matching document: its slot and its query-context score.
  struct Match {
    uint32_t slot;
    double score;
  };
  // One sort key component of a match or of the cursor.
  struct KeyPart {
    const search::Value* value = nullptr;
    double score = 0;
    std::string_view id;
  };

  KeyPart part_of(const search::SortClause& clause, const Match& m) const;
  static KeyPart part_of(const search::SortClause& clause, const search::Value& key);
  static int compare_parts(const search::SortClause& clause, const KeyPart& a, const KeyPart& b);
  bool before(const Match& a, const Match& b) const;
  bool after_cursor(const Match& m) const;
  search::Hit make_hit(const Match& m, double knn_score) const;

  std::vector<search::Hit> top_hits(std::vector<Match> matches) const;
  bool every_slot_is_a_candidate() const;
  std::vector<search::Hit> knn_over_every_slot(SearchStats* stats) const;
  std::vector<search::Hit> knn_hits(const std::vector<Match>& candidates, SearchStats* stats) const;
  std::vector<search::Hit> hits_from(const std::vector<Neighbor>& neighbors, const std::vector<Match>* candidates) const;
  std::vector<Neighbor> plan_knn(const std::vector<Match>& candidates, KnnStrategy* strategy) const;
  std::vector<Neighbor> exact_index_search(const SlotBitmap* allowed) const;
  std::vector<Neighbor> overfetch_search(const SlotBitmap& allowed, double selectivity, bool* enough) const;

  const Collection& c_;
  const search::SearchRequest& request_;
  uint64_t revision_;
};

}  // namespace shoal::search
