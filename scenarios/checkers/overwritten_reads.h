// Internal to the linearizability checker: a proof, found before any search,
// that the operations of a key cannot be linearized, for the commonest
// anomaly of a store that serves reads from a stale replica.
//
// An operation that must find a value v (a read's result, an applied cas's
// expected value) is linearized at a point where the value is v. The value
// at a point is that of the last overwrite before it (a write, a delete, an
// applied cas; or the initial value) followed by appends, so that overwrite
// must "produce" v: its value is v, or with appends a prefix of v. Now take
// an overwrite K of known outcome that completed before the operation began
// and does not produce v. K is linearized before the operation, so the last
// overwrite before the operation is K or a later one, and K is not a
// producer: every producer of v linearized before K began is therefore
// overwritten too. If every producer certainly lies before K (it has a known
// outcome and completed before K was invoked; the initial value lies before
// everything), or if no overwrite produces v at all, no order meets the
// requirement, and the history is not linearizable.
//
// The search would find the same by exhausting every order up to that
// operation, which for a key with many concurrent operations of unknown
// outcome takes far longer than this check (a few passes over the key).
#pragma once

#include <cstdint>
#include <vector>

#include "scenarios/checkers/history.h"
#include "scenarios/checkers/kv_model.h"

namespace shoal::check::internal {

// The operations of one key as the search sees them: history indices, their
// interned form (with the horizon's unknown outcomes applied), the values.
struct KeyOperations {
  const History& history;
  const std::vector<size_t>& ops;
  const std::vector<ModelOp>& model_ops;
  const ValueTable& values;
  uint32_t initial_state = kAbsentId;
  bool has_appends = false;
};

// The operation (an index into `ops`) whose requirement no order can meet,
// as argued above; among several, the one completing first. UINT32_MAX when
// the argument finds none, which proves nothing either way.
uint32_t overwritten_requirement(const KeyOperations& key);

// The overwrites of known outcome kept as candidates for K, the ones invoked
// last with distinct values: a few suffice, since one that produces v is
// passed over for the next.
inline constexpr size_t kOverwriteCandidatesMax = 4;

}  // namespace shoal::check::internal
