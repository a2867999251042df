#include "scenarios/checkers/kv_model.h"

#include <cassert>

namespace shoal::check::internal {

uint32_t ValueTable::intern(const Value& v) {
  if (!v) return kAbsentId;
  if (auto it = ids_.find(*v); it != ids_.end()) return it->second;
  return intern(std::string(*v));
}

uint32_t ValueTable::intern(std::string&& v) {
  if (auto it = ids_.find(v); it != ids_.end()) return it->second;
  assert(values_.size() < kValueIdsMax);
  const auto id = uint32_t(values_.size());
  bytes_ += v.size() + sizeof(Value);
  const std::string& stored = *values_.emplace_back(std::move(v));
  ids_.emplace(std::string_view(stored), id);
  return id;
}

uint32_t ValueTable::concat(uint32_t state, uint32_t suffix) {
  const uint64_t pair = (uint64_t{state} << 32) | suffix;
  if (auto it = concats_.find(pair); it != concats_.end()) return it->second;
  std::string joined = values_[state].value_or("") + values_[suffix].value_or("");
  const uint32_t id = intern(std::move(joined));
  concats_.emplace(pair, id);
  return id;
}

bool ValueTable::extends(uint32_t from, uint32_t to) const {
  if (!values_[to]) return false;
  if (!values_[from]) return true;
  return std::string_view(*values_[to]).starts_with(*values_[from]);
}

const std::vector<uint32_t>& ValueTable::occurrences(uint32_t piece, uint32_t in) {
  const uint64_t pair = (uint64_t{in} << 32) | piece;
  auto [it, inserted] = occurrences_.try_emplace(pair);
  if (!inserted) return it->second;
  const std::string& text = *values_[in];
  const std::string& p = *values_[piece];
  for (size_t at = text.find(p); at != std::string::npos && !p.empty(); at = text.find(p, at + 1)) {
    it->second.push_back(uint32_t(at));
  }
  bytes_ += it->second.size() * sizeof(uint32_t) + sizeof(*it);
  return it->second;
}

ModelOp intern_op(ValueTable& table, const Operation& operation) {
  ModelOp m;
  m.type = operation.op.type;
  m.effect_unknown = operation.effect_unknown();
  m.applied = operation.result.applied;
  m.value = table.intern(operation.op.value);
  m.expected = table.intern(operation.op.expected);
  m.result = table.intern(operation.result.value);
  return m;
}

bool is_observation(const Operation& o) {
  if (o.op.type == OpType::kRead) return true;
  if (o.op.type != OpType::kCas) return false;
  return (o.ok() && !o.result.applied) || o.op.expected == o.op.value;
}

bool step(ValueTable& table, const ModelOp& op, uint32_t state, uint32_t* next) {
  switch (op.type) {
    case OpType::kRead:
      *next = state;
      return state == op.result;
    case OpType::kWrite:
      *next = op.value;
      return true;
    case OpType::kAppend:
      *next = table.concat(state, op.value);
      return true;
    case OpType::kDelete:
      *next = kAbsentId;
      return true;
    case OpType::kCas:
      if (op.effect_unknown || op.applied) {
        *next = op.value;
        return state == op.expected;
      }
      *next = state;
      return state != op.expected;
  }
  return false;
}

}  // namespace shoal::check::internal
