// Internal to the linearizability checker: the keys of a history searched in
// parallel, with a verdict that does not depend on the threads.
//
// Keys are independent, so the history fails as soon as one key fails, and
// the keys still searching could be cancelled then. But which key fails
// first in wall time depends on the threads, and the checker must always
// name the same key. So keys race in search steps, not in time: key k fails
// at step S_k of its own search (a number fixed by its operations alone),
// and the key reported is the one with the smallest (S_k, k) — the first to
// fail had every key advanced one step at a time, in turn, ties going to the
// key first in key order.
//
// To find it without searching every key to the end, a key is searched in
// slices, the key with the fewest steps first, and once some key has failed
// at (S, k) a key j is cancelled as soon as it cannot fail before that: when
// its next step would come after S, or at S with j after k. Every key that
// could fail before the failure reported is searched until it does, so the
// result is the same with one thread or many; only the work thrown away by
// cancelling changes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "scenarios/checkers/history.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/checkers/wgl_search.h"

namespace shoal::check::internal {

// What the race learned about one key.
struct RacedKey {
  // The whole search's run, when it was decided; nullopt when cancelled.
  std::optional<SearchRun> whole;
  // The key's search, kept for its budget (the steps it spent) once decided.
  std::unique_ptr<SlicedSearch> search;
};

struct RaceResult {
  std::vector<RacedKey> keys;  // in the order of the `keys` given
  // The key that failed first in step order, if any failed.
  std::optional<size_t> first_failure;
};

// Whether key `a`, deciding at step `a_step`, comes before key `b` deciding
// at `b_step` in the race's order.
inline bool races_before(uint64_t a_step, size_t a, uint64_t b_step, size_t b) {
  return a_step < b_step || (a_step == b_step && a < b);
}

struct RaceOptions {
  LinearizabilityBudget budget;  // per key; its time limit is one deadline for all
  unsigned threads = 1;          // REQUIRES: at least 1 (the calling thread is one)
  // Search every key to the end, cancelling none.
  bool all_keys = false;
  // The other threads start once the keys have taken this many steps in all.
  uint64_t steps_before_threads = 0;
};

// Searches each element of `keys` (the history indices of one key's
// operations, as run_search takes them). An exception thrown by a search
// (say, std::bad_alloc) stops the race and is rethrown here.
RaceResult race_keys(const History& history, const std::vector<std::vector<size_t>>& keys, const RaceOptions& options);

// A key's next slice is a quarter of the steps it has taken so far, at
// least kRaceSliceStepsMin: so keys advance nearly in step, a key goes at
// most a quarter past the point where it could have been cancelled, and
// handing keys between threads costs next to nothing next to the search.
inline constexpr uint64_t kRaceSliceStepsMin = 128;
inline constexpr uint64_t kRaceSliceDivisor = 4;

}  // namespace shoal::check::internal
