#include "scenarios/checkers/written_values.h"

#include <map>
#include <set>
#include <string_view>
#include <vector>

namespace shoal::check {
namespace {

// What was written to one key, by any operation that asked to.
struct Written {
  std::set<std::string> overwrites;  // values put or CAS-ed (and the initial value)
  std::set<std::string> appends;     // values appended
  std::set<size_t> append_lengths;   // the distinct lengths of `appends`
};

std::map<std::string, Written> written_by_key(const History& history) {
  std::map<std::string, Written> keys;
  for (const Operation& o : history.operations()) {
    if (!o.op.value || o.outcome == Outcome::kFail) continue;
    Written& w = keys[o.op.key];
    switch (o.op.type) {
      case OpType::kWrite:
      case OpType::kCas: w.overwrites.insert(*o.op.value); break;
      case OpType::kAppend:
        w.appends.insert(*o.op.value);
        w.append_lengths.insert(o.op.value->size());
        break;
      case OpType::kRead:
      case OpType::kDelete: break;
    }
  }
  return keys;
}

// Whether `rest` is a concatenation of appended values (each may repeat:
// when values repeat the checker gives the benefit of the doubt).
bool made_of_appends(std::string_view rest, const Written& w) {
  std::vector<bool> reachable(rest.size() + 1, false);
  reachable[0] = true;
  for (size_t at = 0; at < rest.size(); ++at) {
    if (!reachable[at]) continue;
    for (size_t len : w.append_lengths) {
      if (len == 0 || at + len > rest.size()) continue;
      if (w.appends.count(std::string(rest.substr(at, len)))) reachable[at + len] = true;
    }
  }
  return reachable[rest.size()];
}

bool explained(const std::string& value, const Written& w, const Value& initial) {
  if (w.overwrites.count(value) || (initial && *initial == value)) return true;
  if (w.appends.empty()) return false;
  // An overwrite (or the initial value, or nothing) then appends.
  std::vector<std::string_view> prefixes{std::string_view()};
  if (initial) prefixes.push_back(*initial);
  for (const std::string& o : w.overwrites) prefixes.push_back(o);
  for (std::string_view p : prefixes) {
    if (std::string_view(value).substr(0, p.size()) == p &&
        made_of_appends(std::string_view(value).substr(p.size()), w)) {
      return true;
    }
  }
  return false;
}

}  // namespace

CheckResult check_reads_return_written_values(const History& history,
                                              const std::function<bool(const Operation&)>& applies_to) {
  CheckResult r;
  const auto written = written_by_key(history);
  static const Written kNothing;
  size_t judged = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& read = history[i];
    if (read.op.type != OpType::kRead || !read.ok() || (applies_to && !applies_to(read))) continue;
    ++judged;
    if (!read.result.value) continue;
    auto it = written.find(read.op.key);
    if (explained(*read.result.value, it == written.end() ? kNothing : it->second, history.initial_value())) continue;
    r.add({describe(read) + " returned a value no write produced", {i}});
  }
  r.summarise("only-written-values", judged, "reads");
  return r;
}

}  // namespace shoal::check
