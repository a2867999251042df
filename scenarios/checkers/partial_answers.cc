#include "scenarios/checkers/partial_answers.h"

#include <set>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {

using internal::str_cat;

SearchCoverage coverage_of(size_t op, const search::SearchResponse& response, std::vector<uint32_t> all_shards,
                           std::vector<uint32_t> contributed) {
  return SearchCoverage{op, std::move(all_shards), std::move(contributed), response.shards_total,
                        response.shards_missing};
}

namespace {

void judge(const SearchCoverage& s, bool nothing_may_be_missing, CheckResult& r) {
  const std::set<uint32_t> all(s.all_shards.begin(), s.all_shards.end());
  const std::set<uint32_t> contributed(s.contributed.begin(), s.contributed.end());
  const std::set<uint32_t> named(s.shards_missing.begin(), s.shards_missing.end());
  auto add = [&](std::string what) { r.add({str_cat("search #", s.op, ": ", what), {s.op}}); };
  if (s.shards_total != all.size()) add(str_cat("shards_total is ", s.shards_total, " of ", all.size(), " shards"));
  if (named.size() != s.shards_missing.size()) add("names a missing shard twice");
  for (uint32_t shard : all) {
    if (!contributed.count(shard) && !named.count(shard)) {
      add(str_cat("shard ", shard, " did not answer but is not named missing"));
    }
  }
  for (uint32_t shard : named) {
    if (!all.count(shard)) add(str_cat("names shard ", shard, " missing, which is not a shard of the collection"));
    if (contributed.count(shard)) add(str_cat("names shard ", shard, " missing though its answer was merged"));
  }
  if (!nothing_may_be_missing) return;
  for (uint32_t shard : all) {
    if (!contributed.count(shard)) add(str_cat("shard ", shard, " is missing though no shard may be"));
  }
}

}  // namespace

CheckResult check_missing_shards_named(const std::vector<SearchCoverage>& searches, bool nothing_may_be_missing) {
  CheckResult r;
  for (const SearchCoverage& s : searches) judge(s, nothing_may_be_missing, r);
  r.summarise("missing-shards-named", searches.size(), "searches");
  r.name = "missing-shards-named";
  return r;
}

}  // namespace shoal::check
