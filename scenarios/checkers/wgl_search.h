// Internal to the linearizability checker: the Wing & Gong / Lowe search over
// the operations of one key, and the budget shared by all keys of a check.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "scenarios/checkers/history.h"
#include "scenarios/checkers/linearizability.h"

namespace shoal::check::internal {

// Counts the search steps of one key against a LinearizabilityBudget. The
// steps and memo limits are the key's own; the wall-time limit is a deadline
// that the keys of one check share.
class SearchBudget {
 public:
  using Clock = std::chrono::steady_clock;
  // The deadline, when the budget sets a time limit, is that long from now.
  explicit SearchBudget(const LinearizabilityBudget& budget);
  SearchBudget(const LinearizabilityBudget& budget, std::optional<Clock::time_point> deadline);
  // Counts one step; returns false once steps or time have run out.
  bool spend();
  bool memory_ok(uint64_t bytes) const { return bytes <= memo_bytes_max_; }
  uint64_t steps() const { return steps_; }

 private:
  uint64_t steps_ = 0;
  uint64_t steps_max_;
  uint64_t memo_bytes_max_;
  std::optional<Clock::time_point> deadline_;
};

// The deadline that a budget's time limit sets from now, if it sets one.
std::optional<SearchBudget::Clock::time_point> deadline_of(const LinearizabilityBudget& budget);

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
  // Not a reduction but a shortcut: a failure that overwritten_reads.h
  // proves is taken at the first step, without searching.
  bool overwritten_reads = true;
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
  // kNotLinearizable: where the history breaks lies between these two
  // completion times. The search passed every completion before the furthest
  // one it reached, so the history as it stood just before that time is
  // linearizable; and it had failed every order by fails_by_ns, so the
  // history as it stood then (operations completing later of unknown
  // outcome) is not. A failure proved without searching gives no lower bound.
  int64_t breaks_from_ns = std::numeric_limits<int64_t>::min();
  int64_t fails_by_ns = kOpenEnd_ns;
};

// Searches for a linearization of `ops` (history indices, all on one key,
// without failed operations or observations of unknown outcome). Operations
// that complete after `horizon_ns` count as of unknown outcome, and reads and
// other observations among them are left out, so the run decides whether the
// history up to that time can be linearized.
SearchRun run_search(const History& history, const std::vector<size_t>& ops, SearchBudget& budget,
                     int64_t horizon_ns = kOpenEnd_ns, const Reductions& reductions = {});

class KeySearch;

// The whole search of one key (run_search to the end of the history), run
// in slices: advance() stops once the budget has counted a given number of
// steps, and the next call goes on exactly where it stopped, so the steps at
// which the search decides do not depend on how it was sliced. The search's
// memory is released as soon as it decides. Not thread-safe: one thread at a
// time may call it (the race of keys hands it from thread to thread).
class SlicedSearch {
 public:
  // `history` and `ops` must outlive this object.
  SlicedSearch(const History& history, const std::vector<size_t>& ops, SearchBudget budget);
  ~SlicedSearch();
  SlicedSearch(const SlicedSearch&) = delete;
  SlicedSearch& operator=(const SlicedSearch&) = delete;

  // Searches until the verdict is known or `pause_at_steps` steps have been
  // counted. Returns the run once it is decided (then and on every later
  // call), nullopt when it paused. A paused search that goes on decides a
  // failure at a step after the one it paused at.
  const std::optional<SearchRun>& advance(uint64_t pause_at_steps);
  uint64_t steps() const { return budget_.steps(); }
  // The budget, with the steps spent so far, for the searches that locate
  // the failure after this one.
  SearchBudget& budget() { return budget_; }

 private:
  SearchBudget budget_;
  std::unique_ptr<KeySearch> search_;
  std::optional<SearchRun> run_;
};

struct KeySearchResult {
  Verdict verdict = Verdict::kLinearizable;
  // When kNotLinearizable (history indices); `key` is left to the caller.
  FailingWindow failure;
};

// The verdict for one key; when it is not linearizable, the failing window
// where the history first stops being linearizable (see failure_window.cc).
KeySearchResult search_key(const History& history, const std::vector<size_t>& ops, SearchBudget& budget,
                           const Reductions& reductions = {});

// The failing window of a key whose whole search (`whole`) failed, found by
// further searches that spend from `budget`.
KeySearchResult locate_failure(const History& history, const std::vector<size_t>& ops, SearchBudget& budget,
                               const SearchRun& whole, const Reductions& reductions = {});

}  // namespace shoal::check::internal
