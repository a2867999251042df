#include "scenarios/checkers/lost_writes.h"

#include "scenarios/checkers/lineage.h"

namespace shoal::check {
namespace {

Value final_value_of(const KeyValues& final_values, const std::string& key) {
  auto it = final_values.find(key);
  return it == final_values.end() ? Value() : it->second;
}

}  // namespace

CheckResult check_no_lost_writes(const History& history, const KeyValues& final_values) {
  CheckResult r;
  internal::Lineage lineage(history);
  size_t acknowledged = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& w = history[i];
    if (!internal::acknowledged_write(w)) continue;
    ++acknowledged;
    const Value final_value = final_value_of(final_values, w.op.key);
    if (lineage.reflects(final_value, i)) continue;
    r.add({"acknowledged " + describe(w) + " is lost: the final value of the key is " + describe(final_value), {i}});
  }
  for (const auto& [key, value] : final_values) {
    if (!lineage.producers(key, value).empty()) continue;
    r.add({"the final value " + describe(value) + " of key " + describe(Value(key)) + " was never written", {}});
  }
  r.summarise("no-lost-writes", acknowledged, "acknowledged writes");
  return r;
}

}  // namespace shoal::check
