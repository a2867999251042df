// Keys searched in parallel: the result never depends on the number of
// threads, and stopping at the first failure reports what searching every
// key to the end reports, only fewer failing keys.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/core/random.h"
#include "scenarios/checkers/history_gen.h"
#include "scenarios/checkers/key_race.h"
#include "scenarios/checkers/linearizability.h"

namespace shoal::check {
namespace {

// A multi-key history of Jepsen's kv workload, many clients on few keys,
// with stale reads planted on some keys (or none) and some reads changed to
// another value of their key: keys then fail after a different number of
// search steps each, which is what the race orders them by.
History broken_history(Rng& rng) {
  GeneratorOptions o = jepsen_kv_options();
  o.processes = uint32_t(rng.range(2, 12));
  o.operations = size_t(rng.range(10, 200));
  o.keys = uint32_t(rng.range(1, 8));
  o.unknown_probability = 0.02;
  History h = generate_linearizable_history(o, rng);
  plant_stale_reads(h, uint32_t(rng.range(0, 4)), rng);
  const int64_t changes = rng.range(0, 3);
  for (int64_t i = 0; i < changes; ++i) {
    Operation& victim = h.mutable_operations()[rng.below(h.size())];
    const Operation& other = h[rng.below(h.size())];
    if (victim.ok() && victim.op.type == OpType::kRead && other.ok() && other.op.key == victim.op.key) {
      victim.result.value = other.op.type == OpType::kRead ? other.result.value : other.op.value;
    }
  }
  return h;
}

// Proving a key fails can take long (every place of every operation of
// unknown outcome is tried), and these properties search every key to the
// end half the time, so each key gets a budget that keeps them quick.
constexpr uint64_t kStepsPerKeyMax = 50'000;

// A budget that sometimes runs out on some keys, so that unknown keys and
// failing keys meet in the race.
LinearizabilityOptions options(Rng& rng, unsigned threads) {
  LinearizabilityOptions o;
  o.threads = threads;
  o.steps_before_threads = 0;
  o.budget.steps_max = rng.chance(0.3) ? uint64_t(rng.range(1, 400)) : kStepsPerKeyMax;
  return o;
}

// Everything a result reports, to compare whole results.
void expect_same(const LinearizabilityResult& a, const LinearizabilityResult& b) {
  RC_ASSERT(a.verdict == b.verdict);
  RC_ASSERT(a.message == b.message);
  RC_ASSERT(a.failing_keys == b.failing_keys);
  RC_ASSERT(a.unknown_keys == b.unknown_keys);
  RC_ASSERT(a.steps == b.steps);
  RC_ASSERT(a.failure.has_value() == b.failure.has_value());
  if (!a.failure) return;
  RC_ASSERT(a.failure->key == b.failure->key);
  RC_ASSERT(a.failure->blocking_op == b.failure->blocking_op);
  RC_ASSERT(a.failure->window == b.failure->window);
  RC_ASSERT(a.failure->prefix == b.failure->prefix);
}

RC_GTEST_PROP(KeyRace, TheResultDoesNotDependOnTheThreads, (uint64_t seed, bool all_keys)) {
  Rng rng(seed);
  const History h = broken_history(rng);
  const uint64_t budget_seed = rng.next_u64();
  LinearizabilityResult results[3];
  const unsigned threads[3] = {1, 2, 7};
  for (size_t i = 0; i < 3; ++i) {
    Rng budget_rng(budget_seed);
    LinearizabilityOptions o = options(budget_rng, threads[i]);
    o.all_keys = all_keys;
    results[i] = check_linearizable(h, o);
  }
  expect_same(results[0], results[1]);
  expect_same(results[0], results[2]);
}

RC_GTEST_PROP(KeyRace, StoppingAtTheFirstFailureReportsWhatAllKeysReport, (uint64_t seed)) {
  Rng rng(seed);
  const History h = broken_history(rng);
  LinearizabilityOptions o;
  o.threads = 2;
  o.steps_before_threads = 0;
  o.budget.steps_max = kStepsPerKeyMax;
  const LinearizabilityResult first = check_linearizable(h, o);
  o.all_keys = true;
  const LinearizabilityResult all = check_linearizable(h, o);
  RC_ASSERT(first.verdict == all.verdict);
  RC_ASSERT(first.failure.has_value() == all.failure.has_value());
  if (!first.failure) return;
  RC_ASSERT(first.failure->key == all.failure->key);
  RC_ASSERT(first.failure->window == all.failure->window);
  RC_ASSERT(first.failing_keys == std::vector<std::string>{first.failure->key});
  RC_ASSERT(std::binary_search(all.failing_keys.begin(), all.failing_keys.end(), first.failure->key));
}

// The race itself: every key decided before the first failure, in step
// order, is decided in every run; no key after it ever is reported.
TEST(KeyRace, KeysThatCannotFailFirstAreCancelled) {
  Rng rng(3);
  GeneratorOptions g;
  g.processes = 50;
  g.keys = 1;
  g.operations = 2000;
  History h = generate_linearizable_history(g, rng);  // one hard key, "k0"
  Operation bad;
  bad.process = 99;
  bad.invoke_ns = 0;
  bad.complete_ns = 1;
  bad.op = Op::read("z");
  bad.outcome = Outcome::kOk;
  bad.result.value = "never";
  h.add(bad);
  std::vector<std::vector<size_t>> keys(2);
  for (size_t i = 0; i < h.size(); ++i) keys[h[i].op.key == "z" ? 1 : 0].push_back(i);
  for (unsigned threads : {1u, 2u}) {
    internal::RaceResult race = internal::race_keys(h, keys, {LinearizabilityBudget{}, threads, false, 0});
    ASSERT_EQ(race.first_failure, std::optional<size_t>(1));
    EXPECT_FALSE(race.keys[0].whole.has_value()) << "the hard key was searched to the end";
    ASSERT_TRUE(race.keys[1].whole.has_value());
    EXPECT_EQ(race.keys[1].whole->verdict, Verdict::kNotLinearizable);
  }
}

}  // namespace
}  // namespace shoal::check
