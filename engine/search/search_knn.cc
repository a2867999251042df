// The knn half of a shard search: choosing how to find the nearest candidates
// for the filter at hand, and turning neighbours into hits.
//
// The planner picks, per search:
// * exact index search, when the index is exact and every slot is a
//   candidate: one FAISS search, re-fetched until no neighbour tied with the
//   k-th is left out (so ties resolve by id, as on any other node);
// * exact scan, when the index is exact but some slots are not candidates, or
//   the index is approximate and few documents are candidates: distances to
//   every candidate, which is exact and no slower than a filtered search;
// * over-fetch, when the index is approximate and most slots are candidates:
//   an unfiltered search for num_candidates / selectivity neighbours, of
//   which the candidates are kept;
// * FAISS IDSelector, when the index is approximate and the filter is
//   selective: FAISS skips non-candidates inside the index search itself.
#include <algorithm>
#include <cmath>

#include "engine/search/search.h"

namespace shoal::search {

namespace {

SearchKnobs knobs_of(const search::KnnSpec& knn) { return SearchKnobs{knn.ef_search, knn.nprobe}; }

}  // namespace

std::vector<Neighbor> SearchExecution::exact_index_search(const SlotBitmap* allowed) const {
  const VectorIndex& index = *c_.index_;
  const search::KnnSpec& knn = *request_.knn;
  const search::VectorMetric metric = index.metric();
  const size_t k = knn.k;
  const size_t n = index.size();
  // One more than k shows whether the k-th neighbour has a tie waiting.
  size_t want = std::min(k + 1, n);
  std::vector<Neighbor> found;
  for (int attempt = 0;; ++attempt) {
    found = index.search(knn.query_vector.data(), want, knobs_of(knn), allowed);
    if (found.size() < want || want == n || attempt == kMaxTieRefetches) return found;
    // Complete once the last neighbour fetched scores below the k-th: every
    // neighbour not fetched is at least as far as the last one.
    if (search::knn_score(metric, found[k - 1].distance) != search::knn_score(metric, found.back().distance)) {
      return found;
    }
    want = std::min(n, want * 2);
  }
}

std::vector<Neighbor> SearchExecution::overfetch_search(const SlotBitmap& allowed, double selectivity,
                                                        bool* enough) const {
  const VectorIndex& index = *c_.index_;
  const search::KnnSpec& knn = *request_.knn;
  const size_t fetch = std::max<size_t>(knn.k, knn.num_candidates);
  const size_t n = index.size();
  const size_t want = std::min(n, static_cast<size_t>(std::ceil(static_cast<double>(fetch) / selectivity)));
  std::vector<Neighbor> found = index.search(knn.query_vector.data(), want, knobs_of(knn), nullptr);
  std::erase_if(found, [&](const Neighbor& nb) { return !allowed.test(nb.slot); });
  *enough = found.size() >= knn.k || want == n;
  return found;
}

std::vector<Neighbor> SearchExecution::plan_knn(const std::vector<Match>& candidates, KnnStrategy* strategy) const {
  const VectorIndex& index = *c_.index_;
  const search::KnnSpec& knn = *request_.knn;
  const size_t n = index.size();
  const size_t m = candidates.size();
  const size_t fetch = std::max<size_t>(knn.k, knn.num_candidates);
  std::vector<uint32_t> slots;
  slots.reserve(m);
  for (const Match& c : candidates) slots.push_back(c.slot);
  if (!index.approximate() && m == n) {
    *strategy = KnnStrategy::kIndex;
    return exact_index_search(nullptr);
  }
  if (!index.approximate() || m <= std::max(kExactScanMaxCandidates, fetch)) {
    *strategy = KnnStrategy::kExactScan;
    return index.distances(knn.query_vector.data(), slots);
  }
  SlotBitmap allowed(n);
  for (uint32_t s : slots) allowed.set(s);
  const double selectivity = static_cast<double>(m) / static_cast<double>(n);
  if (selectivity >= kOverfetchMinSelectivity) {
    bool enough = false;
    std::vector<Neighbor> found = overfetch_search(allowed, selectivity, &enough);
    if (enough) {
      *strategy = m == n ? KnnStrategy::kIndex : KnnStrategy::kOverfetch;
      return found;
    }
  }
  *strategy = KnnStrategy::kIndexSelector;
  return index.search(knn.query_vector.data(), fetch, knobs_of(knn), &allowed);
}

// The planner's choices when every slot is a candidate, without the list.
std::vector<search::Hit> SearchExecution::knn_over_every_slot(SearchStats* stats) const {
  const VectorIndex& index = *c_.index_;
  const search::KnnSpec& knn = *request_.knn;
  const size_t n = index.size();
  const size_t fetch = std::max<size_t>(knn.k, knn.num_candidates);
  stats->knn_candidates = n;
  if (!index.approximate()) {
    stats->knn_strategy = KnnStrategy::kIndex;
    return hits_from(exact_index_search(nullptr), nullptr);
  }
  if (n <= std::max(kExactScanMaxCandidates, fetch)) {
    stats->knn_strategy = KnnStrategy::kExactScan;
    std::vector<uint32_t> slots(n);
    for (uint32_t s = 0; s < n; ++s) slots[s] = s;
    return hits_from(index.distances(knn.query_vector.data(), slots), nullptr);
  }
  stats->knn_strategy = KnnStrategy::kIndex;
  return hits_from(index.search(knn.query_vector.data(), fetch, knobs_of(knn), nullptr), nullptr);
}

std::vector<search::Hit> SearchExecution::knn_hits(const std::vector<Match>& candidates, SearchStats* stats) const {
  stats->knn_candidates = candidates.size();
  if (candidates.empty()) {
    stats->knn_strategy = KnnStrategy::kNone;
    return {};
  }
  return hits_from(plan_knn(candidates, &stats->knn_strategy), &candidates);
}

std::vector<search::Hit> SearchExecution::hits_from(const std::vector<Neighbor>& neighbors,
                                                   const std::vector<Match>* candidates) const {
  const search::KnnSpec& knn = *request_.knn;
  const search::VectorMetric metric = c_.index_->metric();
  struct Scored {
    uint32_t slot;
    double similarity;
  };
  std::vector<Scored> scored;
  scored.reserve(neighbors.size());
  for (const Neighbor& nb : neighbors) scored.push_back({nb.slot, search::knn_score(metric, nb.distance)});
  // The k nearest by similarity, ties by id: the order every shard and the
  // coordinator agree on (search::knn_better).
  auto better = [this](const Scored& a, const Scored& b) {
    if (a.similarity != b.similarity) return a.similarity > b.similarity;
    return c_.versions_[a.slot].id < c_.versions_[b.slot].id;
  };
  if (scored.size() > knn.k) {
    std::nth_element(scored.begin(), scored.begin() + knn.k, scored.end(), better);
    scored.resize(knn.k);
  }
  std::vector<search::Hit> hits;
  hits.reserve(scored.size());
  for (const Scored& s : scored) {
    double query_score = 0;
    if (candidates != nullptr) {
      // Candidates are in slot order, so the query score is a binary search away.
      auto it = std::lower_bound(candidates->begin(), candidates->end(), s.slot,
                                 [](const Match& m, uint32_t slot) { return m.slot < slot; });
      query_score = it->score;
    }
    hits.push_back(make_hit(Match{s.slot, s.similarity * knn.boost + query_score}, s.similarity));
  }
  std::sort(hits.begin(), hits.end(), search::HitOrder{&request_.sort});
  return hits;
}

}  // namespace shoal::search
