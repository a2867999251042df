// The linearizability checker.
//
// A history is linearizable when every operation can be given a single point
// in time inside its interval such that, in the order of those points, the
// operations are a legal run of the sequential model. The checker decides this
// by the Wing & Gong search as improved by Lowe ("Testing for
// linearizability", 2017) and used by Porcupine:
//   * P-compositionality: keys are independent, so the history is split by key
//     and each key is searched on its own (a register is the key "");
//   * memoization: a search state is (set of operations linearized, model
//     state); a state seen before is not explored again;
//   * closed intervals: an operation completing at t overlaps one invoked at t;
//   * failed operations (Outcome::kFail) are left out, and so are reads whose
//     outcome is unknown; other operations of unknown outcome stay open to the
//     end of the history and may be linearized anywhere after their invocation
//     or not at all.
// The search is exponential in the worst case, so it runs under a budget of
// steps, memo memory and (optionally) wall time; when the budget runs out the
// verdict is kUnknown, never a hang. Steps and memory are deterministic; a
// wall-time limit is not, and is meant for the command line.
//
// Keys are searched in parallel, and a history fails as soon as one key is
// shown to fail: the keys that could not fail before it are cancelled. The
// key reported is the first to fail counting each key's own search steps,
// so the verdict and the message are the same with any number of threads
// (key_race.h). A key that ran out of budget makes the verdict kUnknown
// only when no key fails.
//
// Reductions keep the search small without changing a verdict: an
// operation that never changes the state (a read) is linearized as soon as it
// is legal, without branching; a search state is abandoned as soon as a
// pending read needs a value that no pending operations can produce from it;
// operations of unknown outcome with the same effect are taken in one order
// only; and one of them that overwrites the value must be used by the next
// operation rather than overwritten at once. (wgl_search.cc argues each.)
// Before searching a key, a quick check looks for a read of a value that an
// acknowledged write had certainly replaced (overwritten_reads.h); such a
// key fails at once.
//
// On failure the result names a window: the first completion, in time, that
// no order of the operations can pass (the operation there is usually the
// impossible read), the operations pending with it that could not be placed,
// and the longest linearizable prefix — a linearization of everything that
// completed before it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

enum class Model {
  kCasRegister,  // one register: read, write, cas
  kKv,           // string keys: read (get), write (put), append, delete, cas
};

std::optional<Model> parse_model(std::string_view name);  // "cas-register", "kv"
std::string_view to_string(Model model);

// Whether `history` only uses what `model` offers (one key and no append or
// delete for kCasRegister). The error message names the first offending line.
absl::Status validate_for_model(const History& history, Model model);

enum class Verdict { kLinearizable, kNotLinearizable, kUnknown };
std::string_view to_string(Verdict verdict);

// Limits per key, so that what one key may spend does not depend on how far
// the others got: a key's search is the same however keys share threads.
struct LinearizabilityBudget {
  // Search steps (one candidate tried or one backtrack) of one key.
  uint64_t steps_max = 50'000'000;
  // Bytes of the memo table of one key. Keys searched at the same time hold
  // one table each.
  uint64_t memo_bytes_max = uint64_t{2} << 30;
  // Wall time of the whole check, all keys together; zero means no limit.
  std::chrono::milliseconds time_max{0};
};

struct LinearizabilityOptions {
  Model model = Model::kKv;
  LinearizabilityBudget budget;
  // Search every key to the end and name every key that fails, instead of
  // stopping at the first failure (which decides the verdict).
  bool all_keys = false;
  // Threads searching keys at once; 0 means one per hardware thread. The
  // result does not depend on it.
  unsigned threads = 0;
  // The search runs on the calling thread alone until the keys have taken
  // this many steps in all (a few milliseconds' worth), and only then starts
  // the other threads: most histories are decided sooner than a thread
  // starts on a busy machine. (Tests set 0 to race threads from the start.)
  uint64_t steps_before_threads = 8192;
};

// Where a non-linearizable history breaks. Operations are history indices.
struct FailingWindow {
  std::string key;
  // The operation whose completion no order of the others can reach.
  size_t blocking_op = 0;
  // The operations that cannot be ordered: the blocking one, those pending
  // with it, and those of the prefix whose intervals overlap it (by index).
  std::vector<size_t> window;
  // The longest linearizable prefix found, in linearization order.
  std::vector<size_t> prefix;
  // Model state after the prefix; its value is what a read there would see.
  Value state_after_prefix;
  // Operations of the key that were searched (fails and unknown reads left out).
  size_t key_operations = 0;
  // False when the budget ran out while narrowing the window down: the
  // verdict stands, but the window is the furthest point the search reached,
  // which may lie before where the history breaks.
  bool exact = true;
};

struct LinearizabilityResult {
  Verdict verdict = Verdict::kLinearizable;
  bool ok = true;  // verdict == kLinearizable
  std::string message;
  // Set when kNotLinearizable: where the first key to fail (in the order of
  // key_race.h) breaks.
  std::optional<FailingWindow> failure;
  // Keys not linearizable, in key order: that first one, or with all_keys
  // every one.
  std::vector<std::string> failing_keys;
  // Keys whose search ran out of budget, in key order: those that ran out
  // before the first failure (in the race's order), or with all_keys or
  // when no key fails, every one.
  std::vector<std::string> unknown_keys;
  size_t keys_checked = 0;  // keys with an operation of known outcome
  // Search steps of the keys the verdict waited for: every key when none
  // fails or with all_keys, else those decided before the first failure (in
  // the race's order) and the failing key, its window included.
  uint64_t steps = 0;
};

// REQUIRES: validate_for_model(history, options.model).ok().
LinearizabilityResult check_linearizable(const History& history, const LinearizabilityOptions& options = {});

}  // namespace shoal::check
