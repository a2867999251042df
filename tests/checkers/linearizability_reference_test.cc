// The linearizability checker against a brute-force reference on small random
// histories, linearizable or not. The reference tries every order that
// respects real time, with no memoization and its own model, so it shares no
// code with the search it judges.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine/core/random.h"
#include "scenarios/checkers/history_gen.h"
#include "scenarios/checkers/linearizability.h"

namespace shoal::check {
namespace {

constexpr size_t kReferenceOpsMax = 8;

class Reference {
 public:
  explicit Reference(const History& h) : h_(h) {
    for (size_t i = 0; i < h.size(); ++i) {
      const Operation& o = h[i];
      if (o.outcome == Outcome::kFail) continue;
      if (o.effect_unknown() && o.op.type == OpType::kRead) continue;
      ops_.push_back(i);
    }
    placed_.assign(ops_.size(), false);
  }

  bool linearizable() {
    std::map<std::string, Value> state;
    return search(state);
  }

 private:
  bool done() const {
    for (size_t j = 0; j < ops_.size(); ++j) {
      if (!placed_[j] && !h_[ops_[j]].effect_unknown()) return false;
    }
    return true;
  }

  // `o` may go next only if no unplaced operation completed before it began.
  bool may_go_next(size_t j) const {
    for (size_t k = 0; k < ops_.size(); ++k) {
      if (!placed_[k] && k != j && h_[ops_[k]].precedes(h_[ops_[j]])) return false;
    }
    return true;
  }

  Value current(const std::map<std::string, Value>& state, const std::string& key) const {
    auto it = state.find(key);
    return it == state.end() ? h_.initial_value() : it->second;
  }

  // Applies the operation; false when it cannot take effect in this state.
  bool apply(const Operation& o, std::map<std::string, Value>& state) const {
    Value v = current(state, o.op.key);
    switch (o.op.type) {
      case OpType::kRead:
        return v == o.result.value;
      case OpType::kWrite:
        state[o.op.key] = o.op.value;
        return true;
      case OpType::kAppend:
        state[o.op.key] = v.value_or("") + *o.op.value;
        return true;
      case OpType::kDelete:
        state[o.op.key] = std::nullopt;
        return true;
      case OpType::kCas: {
        const bool match = v == o.op.expected;
        if (o.ok() && !o.result.applied) return !match;
        if (match) state[o.op.key] = o.op.value;
        return match || o.effect_unknown();
      }
    }
    return false;
  }

  bool search(std::map<std::string, Value>& state) {
    if (done()) return true;
    for (size_t j = 0; j < ops_.size(); ++j) {
      if (placed_[j] || !may_go_next(j)) continue;
      std::map<std::string, Value> next = state;
      if (!apply(h_[ops_[j]], next)) continue;
      placed_[j] = true;
      const bool found = search(next);
      placed_[j] = false;
      if (found) return true;
    }
    return false;
  }

  const History& h_;
  std::vector<size_t> ops_;
  std::vector<bool> placed_;
};

Value random_value(Rng& rng) {
  static const std::vector<Value> values = {std::nullopt, "a", "b", "ab"};
  return rng.pick(values);
}

// Random operations on one or two keys over a short time span, so that many
// overlap; results are random too, so about half the histories are bad.
History random_history(uint64_t seed) {
  Rng rng(seed);
  History h;
  if (rng.chance(0.3)) h.set_initial_value("a");
  const size_t n = size_t(rng.range(1, kReferenceOpsMax));
  for (size_t i = 0; i < n; ++i) {
    Operation o;
    o.process = uint32_t(i);
    o.invoke_ns = rng.range(0, 10);
    o.complete_ns = o.invoke_ns + rng.range(0, 6);
    o.op.key = rng.chance(0.8) ? "k" : "j";
    o.op.type = OpType(rng.below(5));
    std::string letter = rng.chance(0.5) ? "a" : "b";
    if (o.op.type != OpType::kRead && o.op.type != OpType::kDelete) o.op.value = letter;
    if (o.op.type == OpType::kCas) o.op.expected = random_value(rng);
    const uint64_t dice = rng.below(10);
    o.outcome = dice < 7 ? Outcome::kOk : dice < 9 ? Outcome::kUnknown : Outcome::kFail;
    if (o.ok() && o.op.type == OpType::kRead) o.result.value = random_value(rng);
    if (o.ok() && o.op.type == OpType::kCas) o.result.applied = rng.chance(0.7);
    h.add(std::move(o));
  }
  return h;
}

LinearizabilityOptions options_kv() {
  LinearizabilityOptions o;
  o.model = Model::kKv;
  return o;
}

// A small generated (linearizable) history with, half the time, one result
// changed to another value seen in it: realistic shapes, often subtly bad.
History mutated_history(uint64_t seed) {
  Rng rng(seed);
  GeneratorOptions o;
  o.model = rng.chance(0.5) ? Model::kCasRegister : Model::kKv;
  o.processes = uint32_t(rng.range(1, 4));
  o.operations = size_t(rng.range(1, kReferenceOpsMax));
  o.keys = 1;
  o.register_values = 3;
  o.unknown_probability = 0.15;
  History h = generate_linearizable_history(o, rng);
  std::vector<Value> seen = {std::nullopt};
  for (const Operation& op : h.operations()) seen.push_back(op.op.value);
  if (rng.chance(0.5)) {
    Operation& victim = h.mutable_operations()[rng.below(h.size())];
    if (victim.op.type == OpType::kRead) victim.result.value = rng.pick(seen);
    if (victim.op.type == OpType::kCas) victim.result.applied = !victim.result.applied;
  }
  return h;
}

// The history as it stood at `t_ns`: later completions become unknown, and
// reads and mismatched cas among them, which observe only, are dropped.
History as_of(const History& h, int64_t t_ns) {
  History out;
  out.set_initial_value(h.initial_value());
  for (Operation o : h.operations()) {
    if (o.ok() && o.complete_ns > t_ns) {
      const bool observes = o.op.type == OpType::kRead || (o.op.type == OpType::kCas && !o.result.applied);
      if (observes) continue;
      o.outcome = Outcome::kUnknown;
    }
    out.add(o);
  }
  return out;
}

// Brute force: the first completion time at which the history stops being
// linearizable.
int64_t first_failing_completion(const History& h) {
  std::vector<int64_t> times;
  for (const Operation& o : h.operations()) {
    if (o.ok()) times.push_back(o.complete_ns);
  }
  std::sort(times.begin(), times.end());
  for (int64_t t : times) {
    if (!Reference(as_of(h, t)).linearizable()) return t;
  }
  return kOpenEnd_ns;
}

// The keys whose operations alone are not linearizable, in key order.
std::vector<std::string> failing_keys(const History& h) {
  std::vector<std::string> failing;
  for (const std::string& key : h.keys()) {
    if (!Reference(h.of_key(key)).linearizable()) failing.push_back(key);
  }
  return failing;
}

void check_against_reference(const History& h) {
  const bool expected = Reference(h).linearizable();
  LinearizabilityOptions all_keys = options_kv();
  all_keys.all_keys = true;
  LinearizabilityResult r = check_linearizable(h, options_kv());
  RC_ASSERT(r.verdict == (expected ? Verdict::kLinearizable : Verdict::kNotLinearizable));
  RC_ASSERT(check_linearizable(h, all_keys).failing_keys == failing_keys(h));
  if (expected) return;
  // The window is exactly where the key reported breaks, after a prefix that
  // is itself a linearizable history.
  RC_ASSERT(r.failure->exact);
  const History key_history = h.of_key(r.failure->key);
  RC_ASSERT(h[r.failure->blocking_op].complete_ns == first_failing_completion(key_history));
  History prefix;
  prefix.set_initial_value(h.initial_value());
  for (size_t i : r.failure->prefix) prefix.add(h[i]);
  for (Operation& o : prefix.mutable_operations())
    o.invoke_ns = o.complete_ns = &o - prefix.mutable_operations().data();
  RC_ASSERT(Reference(prefix).linearizable());
}

RC_GTEST_PROP(LinearizabilityReference, AgreesWithBruteForceOnSmallRandomHistories, (uint64_t seed)) {
  check_against_reference(random_history(seed));
}

RC_GTEST_PROP(LinearizabilityReference, AgreesWithBruteForceOnSmallMutatedHistories, (uint64_t seed)) {
  check_against_reference(mutated_history(seed));
}

// The property above must see both verdicts often, or it proves little.
TEST(LinearizabilityReference, RandomHistoriesAreOftenEitherWay) {
  size_t good = 0;
  constexpr size_t kSamples = 400;
  for (uint64_t seed = 0; seed < kSamples; ++seed) good += Reference(random_history(seed)).linearizable() ? 1 : 0;
  EXPECT_GT(good, kSamples / 5);
  EXPECT_LT(good, kSamples * 4 / 5);
}

}  // namespace
}  // namespace shoal::check
