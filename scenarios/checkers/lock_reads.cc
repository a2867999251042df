#include "scenarios/checkers/lock_reads.h"

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::str_cat;

// Each resource's transitions, by index.
using Timeline = std::map<std::string, std::map<uint64_t, uint64_t>>;

uint64_t token_at(const Timeline& t, const std::string& resource, uint64_t index) {
  auto it = t.find(resource);
  if (it == t.end()) return 0;
  auto at = it->second.upper_bound(index);
  return at == it->second.begin() ? 0 : std::prev(at)->second;
}

std::string describe(const std::string& resource, uint64_t token) {
  return token == 0 ? resource + " free" : str_cat(resource, " held under token ", token);
}

void judge_status(size_t i, const LockRead& r, const Timeline& t, CheckResult& out) {
  const uint64_t want = token_at(t, r.resource, r.served_index);
  auto it = r.held.find(r.resource);
  const uint64_t got = it == r.held.end() ? 0 : it->second;
  if (r.held.size() > 1 || (r.held.size() == 1 && it == r.held.end())) {
    return out.add({str_cat("status-disagrees: read ", i, " of ", r.resource, " answered other resources"), {}});
  }
  if (got != want) {
    out.add({str_cat("status-disagrees: read ", i, " (client ", r.client, ") at index ", r.served_index, " said ",
                     describe(r.resource, got), ", the log says ", describe(r.resource, want)),
             {}});
  }
}

void judge_active(size_t i, const LockRead& r, const Timeline& t, CheckResult& out) {
  for (const auto& [resource, changes] : t) {
    const uint64_t want = token_at(t, resource, r.served_index);
    auto it = r.held.find(resource);
    const uint64_t got = it == r.held.end() ? 0 : it->second;
    if (got != want) {
      out.add({str_cat("active-disagrees: listing ", i, " (client ", r.client, ") at index ", r.served_index,
                       " had ", describe(resource, got), ", the log says ", describe(resource, want)),
               {}});
      return;
    }
  }
  for (const auto& [resource, token] : r.held) {
    if (!t.contains(resource)) {
      out.add({str_cat("active-disagrees: listing ", i, " names ", resource, ", which no command ever locked"), {}});
      return;
    }
  }
}

}  // namespace

CheckResult check_lock_reads(const std::vector<LockChange>& changes, const std::vector<LockRead>& reads) {
  CheckResult out;
  out.name = "lock-reads-agree";
  Timeline t;
  uint64_t last = 0;
  for (const LockChange& c : changes) {
    if (c.index < last) {
      out.add({str_cat("bad-history: lock change at index ", c.index, " after one at ", last), {}});
      out.summarise("lock-reads-agree", 0, "lock reads");
      return out;
    }
    last = c.index;
    t[c.resource][c.index] = c.token;
  }
  for (size_t i = 0; i < reads.size(); ++i) {
    (reads[i].active ? judge_active : judge_status)(i, reads[i], t, out);
  }
  out.summarise("lock-reads-agree", reads.size(), "lock reads");
  return out;
}

}  // namespace shoal::check
