#include "scenarios/checkers/convergence.h"

#include <set>
#include <stdexcept>

#include "scenarios/checkers/history.h"

namespace shoal::check {
namespace {

std::string value_on(const ReplicaState& replica, const std::string& key) {
  auto it = replica.data.find(key);
  return it == replica.data.end() ? "(missing)" : describe(Value(it->second));
}

// Whether every replica holds the same value (or lacks the key alike).
bool agree(const std::vector<ReplicaState>& replicas, const std::string& key) {
  auto first = replicas.front().data.find(key);
  const bool present = first != replicas.front().data.end();
  for (const ReplicaState& r : replicas) {
    auto it = r.data.find(key);
    if ((it != r.data.end()) != present) return false;
    if (present && it->second != first->second) return false;
  }
  return true;
}

}  // namespace

CheckResult check_convergence(const std::vector<ReplicaState>& replicas) {
  if (replicas.empty()) throw std::invalid_argument("check_convergence: no replicas");
  CheckResult r;
  std::set<std::string> keys;
  for (const ReplicaState& replica : replicas) {
    for (const auto& [key, value] : replica.data) keys.insert(key);
  }
  for (const std::string& key : keys) {
    if (agree(replicas, key)) continue;
    std::string what = "replicas disagree on key " + describe(Value(key)) + ":";
    for (const ReplicaState& replica : replicas) what += " " + replica.replica + "=" + value_on(replica, key);
    r.add({what, {}});
  }
  r.summarise("convergence", keys.size(), "keys on " + std::to_string(replicas.size()) + " replicas");
  return r;
}

}  // namespace shoal::check
