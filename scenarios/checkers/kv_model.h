// Internal to the linearizability checker: the sequential model of one key.
//
// Values are interned so a model state is a small integer: id 0 is "absent"
// and equal strings share one id, which makes the memo table's states cheap to
// hash and compare. Appends produce new strings; each (state, suffix) pair is
// concatenated once and remembered. (The maps are only looked up, never
// iterated, so their order cannot reach a verdict.) Each string is stored
// once: the map from strings to ids looks at the table's own copies.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scenarios/checkers/history.h"

namespace shoal::check::internal {

inline constexpr uint32_t kAbsentId = 0;
// Value ids stay below this, so the search can keep a flag in the low bit of
// a state in its memo table.
inline constexpr uint32_t kValueIdsMax = uint32_t{1} << 31;

class ValueTable {
 public:
  ValueTable() : values_(1) {}  // id 0: absent
  uint32_t intern(const Value& v);
  uint32_t intern(std::string&& v);
  const Value& value(uint32_t id) const { return values_[id]; }
  // The id of value(state) + value(suffix), an absent state counting as "".
  uint32_t concat(uint32_t state, uint32_t suffix);
  // Whether appends alone can turn value(from) into value(to): `to` is
  // present and value(from), an absent one counting as "", is a prefix of it.
  bool extends(uint32_t from, uint32_t to) const;
  // Where value(piece) occurs in value(in), every position (cached).
  // REQUIRES: both are present.
  const std::vector<uint32_t>& occurrences(uint32_t piece, uint32_t in);
  // Bytes held by the interned strings, for the memory budget.
  uint64_t bytes() const { return bytes_; }

 private:
  // A deque, so that growing it never moves a string the keys of ids_ view.
  std::deque<Value> values_;
  std::unordered_map<std::string_view, uint32_t> ids_;
  std::unordered_map<uint64_t, uint32_t> concats_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> occurrences_;
  uint64_t bytes_ = 0;
};

// An operation of one key with its values interned.
struct ModelOp {
  OpType type = OpType::kRead;
  bool effect_unknown = false;
  bool applied = true;    // kCas with a known outcome: did it set the value?
  uint32_t value = 0;     // kWrite, kAppend: the argument; kCas: the new value
  uint32_t expected = 0;  // kCas
  uint32_t result = 0;    // kRead: the value observed
};

ModelOp intern_op(ValueTable& table, const Operation& operation);

// True when `op` never changes the state, whatever the state: a read, a cas
// known not to have applied, or a cas that would set the value it expects.
// (A write or delete that happens to leave one state unchanged is not one:
// in another state it would change it.)
inline bool is_observation(const ModelOp& op) {
  if (op.type == OpType::kRead) return true;
  if (op.type != OpType::kCas) return false;
  return (!op.effect_unknown && !op.applied) || op.expected == op.value;
}
bool is_observation(const Operation& operation);

// The value an operation of known outcome needs to find in order to take
// effect: a read's result, an applied cas's expected value; or nullopt.
// (This and the two below are inline: the search's lookahead asks them for
// every event it walks.)
inline std::optional<uint32_t> required_value(const ModelOp& op) {
  if (op.effect_unknown) return std::nullopt;
  if (op.type == OpType::kRead) return op.result;
  if (op.type == OpType::kCas && op.applied) return op.expected;
  return std::nullopt;
}

// Whether `op` sets the value without looking at it: a write or a delete.
inline bool is_blind_overwrite(const ModelOp& op) { return op.type == OpType::kWrite || op.type == OpType::kDelete; }

// The value an operation may set regardless of the value before it (write,
// delete, cas); nullopt for reads and appends.
inline std::optional<uint32_t> overwrite_value(const ModelOp& op) {
  switch (op.type) {
    case OpType::kWrite:
    case OpType::kCas:
      return op.value;
    case OpType::kDelete:
      return kAbsentId;
    default:
      return std::nullopt;
  }
}

// Applies `op` in `state`. Returns false when the operation cannot take effect
// there: a read that saw another value, a cas whose known outcome disagrees
// with the comparison, or a cas of unknown outcome whose comparison fails
// (leaving that cas out of the order is the same as linearizing it as a
// no-op, and cheaper to search).
bool step(ValueTable& table, const ModelOp& op, uint32_t state, uint32_t* next);

}  // namespace shoal::check::internal
