#include "scenarios/checkers/staleness.h"

#include <cstdio>
#include <map>

#include "scenarios/checkers/lineage.h"

namespace shoal::check {
namespace {

// The writes acknowledged on each key, by completion time.
std::map<std::string, std::multimap<int64_t, size_t>> acknowledged_by_key(const History& history) {
  std::map<std::string, std::multimap<int64_t, size_t>> keys;
  for (size_t i = 0; i < history.size(); ++i) {
    if (internal::acknowledged_write(history[i])) keys[history[i].op.key].emplace(history[i].complete_ns, i);
  }
  return keys;
}

// "250ns", "12.5us", "3ms", "1.25s": the unit that keeps the number short.
std::string short_duration(Duration d) {
  const double ns = double(d.count());
  char text[32];
  if (ns < 1e3)
    std::snprintf(text, sizeof text, "%.0fns", ns);
  else if (ns < 1e6)
    std::snprintf(text, sizeof text, "%.3gus", ns / 1e3);
  else if (ns < 1e9)
    std::snprintf(text, sizeof text, "%.3gms", ns / 1e6);
  else
    std::snprintf(text, sizeof text, "%.4gs", ns / 1e9);
  return text;
}

}  // namespace

CheckResult check_bounded_staleness(const History& history, Duration bound,
                                    const std::function<bool(const Operation&)>& applies_to) {
  CheckResult r;
  internal::Lineage lineage(history);
  const auto writes = acknowledged_by_key(history);
  size_t reads = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& read = history[i];
    if (!read.ok() || read.op.type != OpType::kRead || (applies_to && !applies_to(read))) continue;
    ++reads;
    auto key = writes.find(read.op.key);
    if (key == writes.end()) continue;
    // Only writes acknowledged before this instant must be visible.
    const int64_t horizon_ns = read.invoke_ns - bound.count();
    for (auto it = key->second.begin(); it != key->second.end() && it->first < horizon_ns; ++it) {
      if (lineage.reflects(read.result.value, it->second)) continue;
      const Duration age(read.invoke_ns - it->first);
      r.add({describe(read) + " misses " + describe(history[it->second]) + ", acknowledged " + short_duration(age) +
                 " before the read began (bound " + short_duration(bound) + ")",
             {it->second, i}});
      break;
    }
  }
  r.summarise("bounded-staleness", reads, "reads");
  return r;
}

}  // namespace shoal::check
