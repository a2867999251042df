#include "scenarios/checkers/session_guarantees.h"

#include <algorithm>
#include <map>

#include "scenarios/checkers/lineage.h"

namespace shoal::check {
namespace {

using internal::Lineage;

// Each session's operations in the order it invoked them (a session's
// operations never overlap, so this is also the order they completed).
std::map<uint32_t, std::vector<size_t>> sessions(const History& history) {
  std::map<uint32_t, std::vector<size_t>> by_process;
  for (size_t i = 0; i < history.size(); ++i) by_process[history[i].process].push_back(i);
  for (auto& [process, ops] : by_process) {
    std::stable_sort(ops.begin(), ops.end(),
                     [&](size_t a, size_t b) { return history[a].invoke_ns < history[b].invoke_ns; });
  }
  return by_process;
}

bool is_ok_read(const Operation& o) { return o.ok() && o.op.type == OpType::kRead; }

// Checks one session: every read against the session's earlier
// acknowledged writes on the same key.
void check_session_ryw(const History& h, const Lineage& lineage, const std::vector<size_t>& ops, CheckResult* r,
                       size_t* reads) {
  std::map<std::string, std::vector<size_t>> writes;  // key -> acknowledged writes so far
  for (size_t i : ops) {
    const Operation& o = h[i];
    if (internal::acknowledged_write(o)) writes[o.op.key].push_back(i);
    if (!is_ok_read(o)) continue;
    ++*reads;
    for (size_t w : writes[o.op.key]) {
      if (h[w].complete_ns >= o.invoke_ns || lineage.reflects(o.result.value, w)) continue;
      r->add({describe(o) + " does not show its own session's earlier " + describe(h[w]), {w, i}});
      break;
    }
  }
}

// Whether value `later` is certainly older than value `earlier` on `key`.
bool older(const Lineage& lineage, const std::string& key, const Value& earlier, const Value& later) {
  const std::vector<size_t> before = lineage.producers(key, earlier);
  const std::vector<size_t> after = lineage.producers(key, later);
  if (before.empty() || after.empty()) return false;  // A value never written is not about order.
  const bool appends = lineage.has_appends(key);
  for (size_t p1 : before) {
    for (size_t p2 : after) {
      if (p1 == p2 && (!appends || internal::starts_with(later, earlier))) return false;
      if (p1 != p2 && !lineage.precedes(p2, p1)) return false;
    }
  }
  return true;
}

void check_session_mr(const History& h, const Lineage& lineage, const std::vector<size_t>& ops, CheckResult* r,
                      size_t* reads) {
  std::map<std::string, size_t> last_read;  // key -> the session's latest read of it
  for (size_t i : ops) {
    const Operation& o = h[i];
    if (!is_ok_read(o)) continue;
    ++*reads;
    auto it = last_read.find(o.op.key);
    if (it != last_read.end() && older(lineage, o.op.key, h[it->second].result.value, o.result.value)) {
      r->add({describe(o) + " is older than the session's earlier " + describe(h[it->second]), {it->second, i}});
    }
    last_read[o.op.key] = i;
  }
}

// Runs `check_session` over every session and sums up.
using SessionCheck = void (*)(const History&, const Lineage&, const std::vector<size_t>&, CheckResult*, size_t*);
CheckResult per_session(const History& history, const std::string& name, SessionCheck check_session) {
  CheckResult r;
  Lineage lineage(history);
  size_t reads = 0;
  for (const auto& [process, ops] : sessions(history)) check_session(history, lineage, ops, &r, &reads);
  r.summarise(name, reads, "reads");
  return r;
}

}  // namespace

CheckResult check_read_your_writes(const History& history) {
  return per_session(history, "read-your-writes", check_session_ryw);
}

CheckResult check_monotonic_reads(const History& history) {
  return per_session(history, "monotonic-reads", check_session_mr);
}

}  // namespace shoal::check
