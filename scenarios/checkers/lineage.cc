#include "scenarios/checkers/lineage.h"

namespace shoal::check::internal {

bool acknowledged_write(const Operation& o) {
  if (!o.ok() || o.op.type == OpType::kRead) return false;
  return o.op.type != OpType::kCas || o.result.applied;
}

bool may_write(const Operation& o) {
  if (o.op.type == OpType::kRead) return false;
  if (o.effect_unknown()) return true;
  return acknowledged_write(o);
}

// An absent prefix counts as "" (appends to an absent key start from "").
bool starts_with(const Value& v, const Value& prefix) {
  if (!v) return !prefix;
  const std::string& p = prefix ? *prefix : std::string();
  return v->compare(0, p.size(), p) == 0;
}

Lineage::Lineage(const History& history) : history_(history) {
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& o = history[i];
    if (!may_write(o)) continue;
    KeyOps& k = keys_[o.op.key];
    if (o.op.type == OpType::kAppend)
      k.has_appends = true;
    else
      k.overwrites.push_back(i);
  }
}

bool Lineage::has_appends(const std::string& key) const {
  auto it = keys_.find(key);
  return it != keys_.end() && it->second.has_appends;
}

// A delete produces absence; on a key with appends, an overwrite also
// produces every value that begins with what it wrote.
bool Lineage::produces(size_t overwrite, const Value& v, bool has_appends) const {
  const Value written = overwrite == kInitialProducer                    ? history_.initial_value()
                        : history_[overwrite].op.type == OpType::kDelete ? Value()
                                                                         : history_[overwrite].op.value;
  if (v == written) return true;
  return has_appends && v.has_value() && starts_with(v, written);
}

std::vector<size_t> Lineage::producers(const std::string& key, const Value& v) const {
  std::vector<size_t> out;
  auto it = keys_.find(key);
  const bool appends = it != keys_.end() && it->second.has_appends;
  if (produces(kInitialProducer, v, appends)) out.push_back(kInitialProducer);
  if (it == keys_.end()) return out;
  for (size_t w : it->second.overwrites) {
    if (produces(w, v, appends)) out.push_back(w);
  }
  return out;
}

bool Lineage::precedes(size_t a, size_t b) const {
  if (a == b || b == kInitialProducer) return false;
  if (a == kInitialProducer) return true;
  return history_[a].precedes(history_[b]);
}

bool Lineage::reflects(const Value& v, size_t write) const {
  const Operation& w = history_[write];
  if (w.op.type == OpType::kAppend && v && v->find(*w.op.value) != std::string::npos) return true;
  for (size_t p : producers(w.op.key, v)) {
    if (p == write || (p != kInitialProducer && !precedes(p, write))) return true;
  }
  return false;
}

}  // namespace shoal::check::internal
