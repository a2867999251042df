#include "scenarios/checkers/liveness.h"

#include <algorithm>
#include <optional>

namespace shoal::check {

CheckResult check_serves_again(const History& history, const std::vector<ServiceKind>& kinds, int64_t from_ns,
                               Duration bound) {
  CheckResult r;
  std::string served;
  size_t judged = 0;
  for (const ServiceKind& kind : kinds) {
    bool issued = false;
    std::optional<int64_t> first;
    for (size_t i = 0; i < history.size(); ++i) {
      const Operation& op = history[i];
      if (!kind.selects(i) || op.invoke_ns < from_ns) continue;
      issued = true;
      if (!kind.succeeded(i)) continue;
      first = first ? std::min(*first, op.complete_ns) : op.complete_ns;
    }
    if (!issued) continue;
    ++judged;
    if (!first || *first - from_ns > bound.count()) {
      r.add({kind.name + ": none succeeded within " + format_duration(bound) + " of " +
                 format_time(TimePoint(Duration(from_ns))),
             {}});
      continue;
    }
    served += (served.empty() ? "" : ", ") + kind.name + " after " +
              format_duration(std::chrono::duration_cast<Duration>(Duration(*first - from_ns)));
  }
  r.summarise("serves-again", judged, "kind(s) of operation");
  if (r.ok && !served.empty()) r.message += ": " + served;
  return r;
}

CheckResult check_every_kind_served(const History& history, const std::vector<ServiceKind>& kinds) {
  CheckResult r;
  size_t judged = 0;
  for (const ServiceKind& kind : kinds) {
    size_t issued = 0, succeeded = 0;
    for (size_t i = 0; i < history.size(); ++i) {
      if (!kind.selects(i)) continue;
      ++issued;
      if (kind.succeeded(i)) ++succeeded;
    }
    if (issued == 0) continue;
    ++judged;
    if (succeeded == 0) {
      r.add({kind.name + ": none of " + std::to_string(issued) + " succeeded, so their checkers judged nothing", {}});
    }
  }
  if (judged == 0) r.add({"no operation was issued at all", {}});
  r.summarise("every-kind-served", judged, "kind(s) of operation");
  return r;
}

double availability(const History& history, const ServiceKind& kind, int64_t from_ns, int64_t to_ns, Duration slot) {
  const int64_t slot_ns = slot.count();
  if (slot_ns <= 0 || to_ns - from_ns < slot_ns) return 1.0;
  const size_t slots = static_cast<size_t>((to_ns - from_ns) / slot_ns);
  std::vector<bool> served(slots, false);
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& op = history[i];
    if (!kind.selects(i) || !kind.succeeded(i) || op.complete_ns < from_ns || op.complete_ns >= to_ns) continue;
    const size_t s = static_cast<size_t>((op.complete_ns - from_ns) / slot_ns);
    if (s < slots) served[s] = true;
  }
  return static_cast<double>(std::count(served.begin(), served.end(), true)) / static_cast<double>(slots);
}

}  // namespace shoal::check
