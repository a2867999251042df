// Locating where a history that is not linearizable breaks.
//
// Let H(t) be the history as it stood at time t: operations completing later
// count as of unknown outcome. H(t) is linearizable for every t before some
// completion time t*, and not from t* on, because a linearization of H(t)
// is one of H(s) for every s < t. So t* — the first completion no order can
// pass — is found by a search over the key's completion times, each probe
// one search, between the bounds the whole search gives: the furthest
// completion it reached (t* is no earlier) and the one by which it had
// failed every order (no later). Pruning often stops the whole search a
// little short of t*, so the probes gallop forward from the lower bound (1,
// 2, 4, ... completions on) and then bisect what is left: a number of probes
// logarithmic in how far short it stopped, not in the length of the history. The search that proves
// H(t*) fails names the operation; the one that linearizes H just before t*
// gives the longest linearizable prefix. All this only when a history fails.
#include <algorithm>
#include <optional>

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

// The position of `t_ns` among `times`, or of the next time after it; the
// last position when there is none.
size_t index_of(const std::vector<int64_t>& times, int64_t t_ns) {
  const size_t i = size_t(std::lower_bound(times.begin(), times.end(), t_ns) - times.begin());
  return std::min(i, times.size() - 1);
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
  // t* lies between the bounds the whole search gives (see SearchRun). The
  // probes start at the lower one and gallop ever further until one fails,
  // then bisect.
  // Invariant: H(times[hi]) is not linearizable; H(times[lo - 1]) is.
  size_t lo = index_of(times, whole.breaks_from_ns);
  size_t hi = index_of(times, whole.fails_by_ns);
  // A run of H(times[hi]), if made; at the last completion that is the
  // whole search.
  std::optional<SearchRun> failed_at_hi;
  if (hi == times.size() - 1) failed_at_hi = whole;
  std::optional<SearchRun> linearized_below;  // a probe of H(times[lo - 1]), if made
  bool galloping = true;
  for (size_t stride = 1; lo < hi;) {
    const size_t mid = galloping ? std::min(lo + stride - 1, hi - 1) : lo + (hi - lo) / 2;
    SearchRun probe = run_search(history, ops, budget, times[mid], reductions);
    if (probe.verdict == Verdict::kUnknown) return {Verdict::kNotLinearizable, whole.furthest};
    if (probe.verdict == Verdict::kNotLinearizable) {
      hi = mid;
      failed_at_hi = std::move(probe);
      galloping = false;
    } else {
      lo = mid + 1;
      stride *= 2;
      linearized_below = std::move(probe);
    }
  }
  // The search at t* names the operation it stopped at, and the one just
  // before t* gives the prefix; each is run unless a probe already was.
  if (!failed_at_hi) failed_at_hi = run_search(history, ops, budget, times[hi], reductions);
  const int64_t before = hi == 0 ? times[0] - 1 : times[hi - 1];
  SearchRun prefix =
      linearized_below ? std::move(*linearized_below) : run_search(history, ops, budget, before, reductions);
  if (failed_at_hi->verdict != Verdict::kNotLinearizable || prefix.verdict != Verdict::kLinearizable) {
    return {Verdict::kNotLinearizable, whole.furthest};
  }
  const size_t blocking = blocking_op_at(history, ops, times[hi], failed_at_hi->furthest);
  return {Verdict::kNotLinearizable, make_window(history, ops, blocking, prefix)};
}

}  // namespace shoal::check::internal
