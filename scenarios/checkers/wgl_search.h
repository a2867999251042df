// Internal to the linearizability checker: the Wing & Gong / Lowe search over
// the operations of one key, and the budget shared by all keys of a check.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "scenarios/checkers/history.h"
#include "scenarios/checkers/linearizability.h"

namespace shoal::check::internal {

// Counts search steps against a LinearizabilityBudget.
class SearchBudget {
 public:
  explicit SearchBudget(const LinearizabilityBudget& budget);
  // Counts one step; returns false once steps or time have run out.
  bool spend();
  bool memory_ok(uint64_t bytes) const { return bytes <= memo_bytes_max_; }
  uint64_t steps() const { return steps_; }

 private:
  uint64_t steps_ = 0;
  uint64_t steps_max_;
  uint64_t memo_bytes_max_;
  bool has_deadline_;
  std::chrono::steady_clock::time_point deadline_;
};

// The wall clock is read once per this many steps, so it costs nothing.
inline constexpr uint64_t kStepsPerClockRead = 4096;
// The memo table's size is compared with the budget once per this many steps.
inline constexpr uint64_t kStepsPerMemoryCheck = 1024;
// Lookahead pruning judges, beyond the operations pending, this many reads
// (or applied cas) invoked later, found within this many events of the list.
inline constexpr size_t kLookaheadRequirementsMax = 2;
inline constexpr size_t kLookaheadEventsMax = 128;

// The search's reductions (see wgl_search.cc), all on unless a test turns
// them off to check that they never change a verdict.
struct Reductions {
  bool eager_observations = true;
  bool lookahead = true;
  bool twins = true;
  bool must_use = true;
};

// One run of the search over the operations of one key.
struct SearchRun {
  Verdict verdict = Verdict::kLinearizable;
  // kLinearizable: the operations linearized (history indices) in order, and
  // the value they leave.
  std::vector<size_t> linearization;
  Value final_value;
  // kNotLinearizable: the furthest completion the search reached. The search
  // prunes, so this may fall short of where the history breaks; search_key
  // narrows it down exactly.
  FailingWindow furthest;
};

// Searches for a linearization of `ops` (history indices, all on one key,
// without failed operations or observations of unknown outcome). Operations
// that complete after `horizon_ns` count as of unknown outcome, and reads and
// other observations among them are left out, so the run decides whether the
// history up to that time can be linearized.
SearchRun run_search(const History& history, const std::vector<size_t>& ops, SearchBudget& budget,
                     int64_t horizon_ns = kOpenEnd_ns, const Reductions& reductions = {});

struct KeySearchResult {
  Verdict verdict = Verdict::kLinearizable;
  // When kNotLinearizable (history indices); `key` is left to the caller.
  FailingWindow failure;
};

// The verdict for one key; when it is not linearizable, the failing window
// where the history first stops being linearizable (see failure_window.cc).
KeySearchResult search_key(const History& history, const std::vector<size_t>& ops, SearchBudget& budget,
                           const Reductions& reductions = {});

}  // namespace shoal::check::internal
