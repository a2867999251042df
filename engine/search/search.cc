#include "engine/search/search.h"

#include <algorithm>

#include "engine/search/agg_collect.h"

namespace shoal::search {

using search::SortClause;
using search::SortTarget;
using search::Value;

absl::StatusOr<search::ShardResult> Collection::search(const search::SearchRequest& request,
                                                      std::optional<uint64_t> revision, SearchStats* stats) const {
  const uint64_t r = revision.value_or(revision_);
  if (absl::Status s = check_readable(r); !s.ok()) return s;
  if (request.knn && !index_) return absl::InvalidArgumentError("knn: the collection has no dense_vector field");
  SearchStats local;
  SearchExecution exec(*this, request, r);
  auto result = exec.run(stats ? stats : &local);
  if (result.ok()) result->revision = r;
  return result;
}

bool SearchExecution::every_slot_is_a_candidate() const {
  return revision_ == c_.revision_ && c_.live_vectors_ == c_.versions_.size();
}

absl::StatusOr<search::ShardResult> SearchExecution::run(SearchStats* stats) {
  // Without a query there is no query score to add, so going straight to the
  // index gives exactly what the scan below would.
  if (request_.knn && !request_.query && request_.aggs.empty() && request_.matches_everything() &&
      every_slot_is_a_candidate()) {
    search::ShardResult out;
    stats->matched = c_.live_.size();
    out.hits = knn_over_every_slot(stats);
    out.total_hits = out.hits.size();
    return out;
  }
  search::AggregationSet aggs(request_.aggs);
  std::vector<Match> matches;
  const bool knn = request_.knn.has_value();
  const bool need_score = request_.query.has_value();
  uint64_t matched = 0;
  for (uint32_t slot = 0; slot < c_.versions_.size(); ++slot) {
    const Collection::Version& v = c_.versions_[slot];
    if (!c_.visible(v, revision_)) continue;
    const search::DocView doc{v.id, v.fields.data()};
    double query_score = 0;
    if (!search::in_matching_set(request_, doc, &query_score)) continue;
    ++matched;
    if (!aggs.empty()) aggs.collect(doc);
    if (knn) {
      if (v.has_vector) matches.push_back({slot, query_score});
      continue;
    }
    // Without a query every document scores 1, as under match_all.
    const Match m{slot, need_score ? query_score : 1.0};
    if (after_cursor(m)) matches.push_back(m);
  }
  search::ShardResult out;
  stats->matched = matched;
  if (knn) {
    out.hits = knn_hits(matches, stats);
    out.total_hits = out.hits.size();
  } else {
    out.hits = top_hits(std::move(matches));
    out.total_hits = matched;
  }
  auto partials = aggs.finish();
  if (!partials.ok()) return partials.status();
  out.aggs = std::move(*partials);
  return out;
}

SearchExecution::KeyPart SearchExecution::part_of(const SortClause& clause, const Match& m) const {
  const Collection::Version& v = c_.versions_[m.slot];
  KeyPart p;
  if (clause.target == SortTarget::kScore) p.score = m.score;
  else if (clause.target == SortTarget::kId) p.id = v.id;
  else p.value = &v.fields[clause.field];
  return p;
}

SearchExecution::KeyPart SearchExecution::part_of(const SortClause& clause, const Value& key) {
  KeyPart p;
  if (clause.target == SortTarget::kScore) p.score = key.missing() ? 0 : key.as_float();
  else if (clause.target == SortTarget::kId) p.id = key.as_keyword();
  else p.value = &key;
  return p;
}

// The same order as search::compare_keys over materialised hits (scores as
// floats, ids as keywords), without materialising them.
int SearchExecution::compare_parts(const SortClause& clause, const KeyPart& a, const KeyPart& b) {
  int cmp = 0;
  switch (clause.target) {
    case SortTarget::kScore: cmp = a.score < b.score ? -1 : a.score > b.score ? 1 : 0; break;
    case SortTarget::kId: cmp = a.id < b.id ? -1 : a.id > b.id ? 1 : 0; break;
    case SortTarget::kField: {
      const bool am = a.value->missing();
      const bool bm = b.value->missing();
      if (am || bm) return am == bm ? 0 : (am == clause.missing_first ? -1 : 1);
      cmp = compare(*a.value, *b.value);
      break;
    }
  }
  return clause.descending ? -cmp : cmp;
}

bool SearchExecution::before(const Match& a, const Match& b) const {
  for (const SortClause& clause : request_.sort) {
    const int cmp = compare_parts(clause, part_of(clause, a), part_of(clause, b));
    if (cmp != 0) return cmp < 0;
  }
  return false;
}

bool SearchExecution::after_cursor(const Match& m) const {
  if (!request_.search_after) return true;
  const std::vector<Value>& key = *request_.search_after;
  for (size_t i = 0; i < request_.sort.size(); ++i) {
    const SortClause& clause = request_.sort[i];
    const int cmp = compare_parts(clause, part_of(clause, m), part_of(clause, key[i]));
    if (cmp != 0) return cmp > 0;
  }
  return false;
}

search::Hit SearchExecution::make_hit(const Match& m, double knn_score) const {
  const Collection::Version& v = c_.versions_[m.slot];
  search::Hit h;
  h.id = v.id;
  h.score = m.score;
  h.knn_score = knn_score;
  h.sort.reserve(request_.sort.size());
  for (const SortClause& clause : request_.sort) {
    if (clause.target == SortTarget::kScore) h.sort.push_back(Value::floating(m.score));
    else if (clause.target == SortTarget::kId) h.sort.push_back(Value::keyword(v.id));
    else h.sort.push_back(v.fields[clause.field]);
  }
  if (request_.source) h.source = v.fields;
  return h;
}

std::vector<search::Hit> SearchExecution::top_hits(std::vector<Match> matches) const {
  const size_t window = static_cast<size_t>(request_.from) + request_.size;
  auto order = [this](const Match& a, const Match& b) { return before(a, b); };
  if (matches.size() > window) {
    std::partial_sort(matches.begin(), matches.begin() + static_cast<ptrdiff_t>(window), matches.end(), order);
    matches.resize(window);
  } else {
    std::sort(matches.begin(), matches.end(), order);
  }
  std::vector<search::Hit> hits;
  hits.reserve(matches.size());
  for (const Match& m : matches) hits.push_back(make_hit(m, 0));
  return hits;
}

}  // namespace shoal::search
