#include "scenarios/checkers/kv_model.h"

#include <cassert>

namespace shoal::check::internal {

uint32_t ValueTable::intern(const Value& v) {
  if (!v) return kAbsentId;
  auto [it, inserted] = ids_.try_emplace(*v, uint32_t(values_.size()));
  if (inserted) {
    assert(values_.size() < kValueIdsMax);
    values_.push_back(v);
    bytes_ += v->size() + sizeof(Value);
  }
  return it->second;
}

uint32_t ValueTable::concat(uint32_t state, uint32_t suffix) {
  const uint64_t pair = (uint64_t{state} << 32) | suffix;
  if (auto it = concats_.find(pair); it != concats_.end()) return it->second;
  std::string joined = values_[state].value_or("") + values_[suffix].value_or("");
  const uint32_t id = intern(std::move(joined));
  concats_.emplace(pair, id);
  return id;
}

bool ValueTable::extends(uint32_t from, uint32_t to) {
  if (!values_[to]) return false;
  const uint64_t pair = (uint64_t{from} << 32) | to;
  if (auto it = extends_.find(pair); it != extends_.end()) return it->second;
  const std::string& prefix = values_[from] ? *values_[from] : std::string();
  const bool result = values_[to]->compare(0, prefix.size(), prefix) == 0;
  extends_.emplace(pair, result);
  return result;
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

bool is_observation(const ModelOp& op) {
  if (op.type == OpType::kRead) return true;
  if (op.type != OpType::kCas) return false;
  return (!op.effect_unknown && !op.applied) || op.expected == op.value;
}

bool is_observation(const Operation& o) {
  if (o.op.type == OpType::kRead) return true;
  if (o.op.type != OpType::kCas) return false;
  return (o.ok() && !o.result.applied) || o.op.expected == o.op.value;
}

std::optional<uint32_t> required_value(const ModelOp& op) {
  if (op.effect_unknown) return std::nullopt;
  if (op.type == OpType::kRead) return op.result;
  if (op.type == OpType::kCas && op.applied) return op.expected;
  return std::nullopt;
}

bool is_blind_overwrite(const ModelOp& op) { return op.type == OpType::kWrite || op.type == OpType::kDelete; }

std::optional<uint32_t> overwrite_value(const ModelOp& op) {
  switch (op.type) {
    case OpType::kWrite:
      return op.value;
    case OpType::kDelete:
      return kAbsentId;
    case OpType::kCas:
      return op.value;
    default:
      return std::nullopt;
  }
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
