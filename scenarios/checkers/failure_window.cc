// Locating where a history that is not linearizable breaks.
//
// Let H(t) be the history as it stood at time t: operations completing later
// count as of unknown outcome. H(t) is linearizable for every t before some
// completion time t*, and not from t* on, because a linearization of H(t)
// is one of H(s) for every s < t. So t* — the first completion no order can
// pass — is found by binary search over the key's completion times, each
// probe one search, starting from the furthest completion the whole search
// reached. The search that proves H(t*) fails names the operation; the one
// that linearizes H just before t* gives the longest linearizable prefix.
// This costs two more searches when the first probe hits, a logarithmic
// number at worst, and only when a history fails.
#include <algorithm>

#include "scenarios/checkers/wgl_search.h"

namespace shoal::check::internal {
namespace {

// The distinct completion times of the operations of known outcome.
std::vector<int64_t> completion_times(const History& history, const std::vector<size_t>& ops) {
  std::vector<int64_t> times;
  for (size_t i : ops) {
    if (!history[i].effect_unknown()) times.push_back(history[i].complete_ns);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  return times;
}

// The operation completing at t* that the search could not pass; among
// several completing at that instant, the one the failed search stopped at,
// else the first.
size_t blocking_op_at(const History& history, const std::vector<size_t>& ops, int64_t t_ns,
                      const FailingWindow& furthest) {
  if (history[furthest.blocking_op].complete_ns == t_ns) return furthest.blocking_op;
  for (size_t i : ops) {
    if (!history[i].effect_unknown() && history[i].complete_ns == t_ns) return i;
  }
  return furthest.blocking_op;
}

// The window: the blocking operation, the operations invoked by then and not
// in the prefix, and those of the prefix that overlap it.
FailingWindow make_window(const History& history, const std::vector<size_t>& ops, size_t blocking,
                          const SearchRun& prefix_run) {
  FailingWindow w;
  w.blocking_op = blocking;
  w.prefix = prefix_run.linearization;
  w.state_after_prefix = prefix_run.final_value;
  w.key_operations = ops.size();
  const Operation& b = history[blocking];
  std::vector<size_t> sorted_prefix = w.prefix;
  std::sort(sorted_prefix.begin(), sorted_prefix.end());
  for (size_t i : ops) {
    const Operation& o = history[i];
    const bool in_prefix = std::binary_search(sorted_prefix.begin(), sorted_prefix.end(), i);
    if (i == blocking || (in_prefix && !o.precedes(b)) || (!in_prefix && o.invoke_ns <= b.complete_ns)) {
      w.window.push_back(i);
    }
  }
  return w;
}

}  // namespace

KeySearchResult search_key(const History& history, const std::vector<size_t>& ops, SearchBudget& budget,
                           const Reductions& reductions) {
  SearchRun whole = run_search(history, ops, budget, kOpenEnd_ns, reductions);
  if (whole.verdict != Verdict::kNotLinearizable) return {whole.verdict, {}};
  return locate_failure(history, ops, budget, whole, reductions);
}

KeySearchResult locate_failure(const History& history, const std::vector<size_t>& ops, SearchBudget& budget,
                               const SearchRun& whole, const Reductions& reductions) {
  const std::vector<int64_t> times = completion_times(history, ops);
  // The whole search passed every completion before the furthest one it
  // reached, so t* is no earlier than that; and it usually is t* (pruning
  // seldom stops the search short of it), so that is probed first.
  // Invariant: H(times[hi]) is not linearizable; H(times[lo - 1]) is.
  const int64_t reached_ns = history[whole.furthest.blocking_op].complete_ns;
  size_t lo = size_t(std::lower_bound(times.begin(), times.end(), reached_ns) - times.begin());
  size_t hi = times.size() - 1;
  SearchRun failed_at_hi = whole;
  for (bool first = true; lo < hi; first = false) {
    const size_t mid = first ? lo : lo + (hi - lo) / 2;
    SearchRun probe = run_search(history, ops, budget, times[mid], reductions);
    if (probe.verdict == Verdict::kUnknown) return {Verdict::kNotLinearizable, whole.furthest};
    if (probe.verdict == Verdict::kNotLinearizable) {
      hi = mid;
      failed_at_hi = std::move(probe);
    } else {
      lo = mid + 1;
    }
  }
  const int64_t before = hi == 0 ? times[0] - 1 : times[hi - 1];
  SearchRun prefix = run_search(history, ops, budget, before, reductions);
  if (prefix.verdict != Verdict::kLinearizable) return {Verdict::kNotLinearizable, whole.furthest};
  const size_t blocking = blocking_op_at(history, ops, times[hi], failed_at_hi.furthest);
  return {Verdict::kNotLinearizable, make_window(history, ops, blocking, prefix)};
}

}  // namespace shoal::check::internal
