// Judging a store's merged search response against the single-node oracle
// (search_oracle.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "scenarios/checkers/line_reader.h"
#include "scenarios/checkers/search_oracle.h"

namespace shoal::check {
namespace {

using internal::str_cat;

bool near(double a, double b, double tolerance) {
  return std::fabs(a - b) <= tolerance * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// Whether two sort keys agree on every clause but the final _id, scores
// within tolerance: two hits a float rounding may put in either order.
bool keys_near(const std::vector<search::SortClause>& clauses, const std::vector<search::Value>& a,
               const std::vector<search::Value>& b, double tolerance) {
  if (a.size() != clauses.size() || b.size() != clauses.size()) return false;
  for (size_t i = 0; i < clauses.size(); ++i) {
    if (clauses[i].target == search::SortTarget::kId) continue;
    const bool scores = clauses[i].target == search::SortTarget::kScore && !a[i].missing() && !b[i].missing();
    if (scores ? !near(a[i].as_number(), b[i].as_number(), tolerance) : a[i] != b[i]) return false;
  }
  return true;
}

std::string describe_key(const std::vector<search::Value>& key) {
  std::string out = "[";
  for (size_t i = 0; i < key.size(); ++i) out += (i ? ", " : "") + key[i].to_string();
  return out + "]";
}

class Judge {
 public:
  Judge(const search::SearchRequest& request, const SearchOracleOptions& options, SearchJudgement& out)
      : request_(request), options_(options), out_(out) {}

  // Every hit: a member of the matching set with its true score, keys and
  // source; no repeats; in the request's order by its own keys.
  void each_hit_is_true(const std::vector<search::Hit>& hits, const std::vector<search::Hit>& ranking) {
    std::map<std::string_view, const search::Hit*> by_id;
    for (const search::Hit& h : ranking) by_id.emplace(h.id, &h);
    // A knn ranking cut at kMaxK cannot vouch for documents beyond it.
    const bool complete = !request_.knn || ranking.size() < search::kMaxK;
    std::set<std::string_view> seen;
    for (size_t i = 0; i < hits.size(); ++i) {
      const search::Hit& h = hits[i];
      if (!seen.insert(h.id).second) {
        add(str_cat("hit ", i, " \"", h.id, "\" repeats an earlier hit"));
        continue;
      }
      if (i > 0 && search::compare_keys(request_.sort, hits[i - 1].sort, h.sort) >= 0) {
        add(str_cat("hit ", i, " \"", h.id, "\" ", describe_key(h.sort), " is out of order after \"",
                    hits[i - 1].id, "\" ", describe_key(hits[i - 1].sort)));
      }
      auto it = by_id.find(h.id);
      if (it == by_id.end()) {
        if (complete) add(str_cat("hit ", i, " \"", h.id, "\" is not in the oracle's matching set"));
        continue;
      }
      const search::Hit& truth = *it->second;
      if (!near(h.score, truth.score, options_.score_tolerance)) {
        add(str_cat("hit ", i, " \"", h.id, "\" has score ", h.score, "; the oracle scores it ", truth.score));
      } else if (!keys_near(request_.sort, h.sort, truth.sort, options_.score_tolerance)) {
        add(str_cat("hit ", i, " \"", h.id, "\" has sort key ", describe_key(h.sort), "; the oracle's is ",
                    describe_key(truth.sort)));
      }
      if (request_.source && h.source != truth.source) {
        add(str_cat("hit ", i, " \"", h.id, "\" has a _source that differs from the document"));
      }
    }
  }

  // The same page as the oracle's, position by position.
  void page_equals(const std::vector<search::Hit>& hits, const std::vector<search::Hit>& expected) {
    const size_t n = std::max(hits.size(), expected.size());
    for (size_t i = 0; i < n; ++i) {
      if (i >= hits.size()) {
        add(str_cat("missing hit ", i, ": the oracle has \"", expected[i].id, "\" (score ", expected[i].score, ")"));
      } else if (i >= expected.size()) {
        add(str_cat("extra hit ", i, " \"", hits[i].id, "\": the oracle's page has ", expected.size(), " hits"));
      } else if (hits[i].id != expected[i].id &&
                 !keys_near(request_.sort, hits[i].sort, expected[i].sort, options_.score_tolerance)) {
        add(str_cat("hit ", i, ": expected \"", expected[i].id, "\" (score ", expected[i].score, ") got \"",
                    hits[i].id, "\" (score ", hits[i].score, ")"));
      }
    }
  }

  static double recall(const std::vector<search::Hit>& hits, const std::vector<search::Hit>& expected) {
    if (expected.empty()) return 1;
    std::set<std::string_view> got;
    for (const search::Hit& h : hits) got.insert(h.id);
    size_t found = 0;
    for (const search::Hit& h : expected) found += got.count(h.id);
    return static_cast<double>(found) / static_cast<double>(expected.size());
  }

  void add(std::string what) { out_.result.add({std::move(what), {}}); }

 private:
  const search::SearchRequest& request_;
  const SearchOracleOptions& options_;
  SearchJudgement& out_;
};

std::string check_name(const search::SearchRequest& request, bool approximate) {
  if (approximate) return "knn-recall";
  return request.knn ? "knn-equals-oracle" : "search-equals-oracle";
}

}  // namespace

SearchJudgement SearchOracle::check_search(const search::SearchRequest& request,
                                           const search::SearchResponse& response,
                                           const SearchOracleOptions& options) const {
  SearchJudgement out;
  out.partial = !response.shards_missing.empty();
  out.approximate = request.knn.has_value() && approximate_index();
  const std::string name = check_name(request, out.approximate);
  Judge judge(request, options, out);
  auto expected = answer(request);
  auto all = expected.ok() ? ranking(request) : absl::StatusOr<std::vector<search::Hit>>(expected.status());
  if (!all.ok()) {
    judge.add(str_cat("the oracle cannot run the request: ", std::string(all.status().message())));
    out.result.summarise(name, 1, "searches");
    out.result.name = name;
    return out;
  }
  out.recall = Judge::recall(response.hits, expected->hits);
  if (response.hits.size() > request.size) {
    judge.add(str_cat(response.hits.size(), " hits on a page of size ", request.size));
  }
  judge.each_hit_is_true(response.hits, *all);
  if (out.partial || out.approximate) {
    if (!request.knn && response.total_hits > expected->total_hits) {
      judge.add(str_cat("total hits ", response.total_hits, " exceed the oracle's ", expected->total_hits));
    }
  } else {
    if (response.total_hits != expected->total_hits) {
      judge.add(str_cat("total hits: expected ", expected->total_hits, " got ", response.total_hits));
    }
    judge.page_equals(response.hits, expected->hits);
  }
  if (out.approximate && !out.partial && out.recall < options.recall_floor) {
    judge.add(str_cat("recall ", out.recall, " is below the floor ", options.recall_floor, " (",
                      expected->hits.size(), " hits expected)"));
  }
  std::string noun = out.partial ? "partial search (missing shards: judged for what it promises)" : "search";
  out.result.summarise(name, 1, noun);
  out.result.name = name;
  if (out.approximate) out.result.message += str_cat("; recall ", out.recall);
  return out;
}

}  // namespace shoal::check
