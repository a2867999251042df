#include "scenarios/checkers/pagination.h"

#include <map>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::str_cat;

struct Seen {
  size_t page;
  size_t item;
};

}  // namespace

CheckResult check_pages_cover_once(const std::vector<std::vector<std::string>>& pages,
                                   const std::vector<std::string>& expected) {
  CheckResult r;
  std::map<std::string, size_t> rank;  // id -> position in the sort order
  for (size_t i = 0; i < expected.size(); ++i) rank.emplace(expected[i], i);
  std::map<std::string, Seen> seen;
  // The last id returned that the oracle holds, to judge the order.
  const std::string* previous = nullptr;
  size_t previous_rank = 0;
  size_t items = 0;
  for (size_t p = 0; p < pages.size(); ++p) {
    for (size_t i = 0; i < pages[p].size(); ++i) {
      const std::string& id = pages[p][i];
      ++items;
      auto [it, fresh] = seen.emplace(id, Seen{p, i});
      if (!fresh) {
        r.add({str_cat("page ", p, " item ", i, " repeats \"", id, "\" (first on page ", it->second.page, " item ",
                       it->second.item, ")"),
               {}});
        continue;
      }
      auto rk = rank.find(id);
      if (rk == rank.end()) {
        r.add({str_cat("page ", p, " item ", i, " \"", id, "\" is not in the oracle's matching set"), {}});
        continue;
      }
      if (previous != nullptr && rk->second < previous_rank) {
        r.add({str_cat("page ", p, " item ", i, " \"", id, "\" is out of order: it sorts before \"", *previous,
                       "\" returned earlier"),
               {}});
      }
      previous = &id;
      previous_rank = rk->second;
    }
  }
  // A skipped id belonged on the page of the first returned id sorting after it.
  for (size_t k = 0; k < expected.size(); ++k) {
    if (seen.count(expected[k])) continue;
    std::string where = "after the last page";
    for (size_t j = k + 1; j < expected.size(); ++j) {
      auto s = seen.find(expected[j]);
      if (s == seen.end()) continue;
      where = str_cat("on page ", s->second.page, " before \"", expected[j], "\"");
      break;
    }
    r.add({str_cat("\"", expected[k], "\" was skipped: it belonged ", where), {}});
  }
  r.summarise("pages-cover-once", items, str_cat("items on ", pages.size(), " pages"));
  r.name = "pages-cover-once";
  return r;
}

}  // namespace shoal::check
