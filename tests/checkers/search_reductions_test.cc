// The search's reductions never change a verdict or where a history breaks:
// any combination of them agrees with the plain Wing & Gong / Lowe search on
// generated histories with many outcomes unknown, half of them made bad.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/core/random.h"
#include "scenarios/checkers/history_gen.h"
#include "scenarios/checkers/kv_model.h"
#include "scenarios/checkers/wgl_search.h"

namespace shoal::check {
namespace {

// Budget per search: generous for these sizes; a run that still exceeds it
// is skipped rather than compared.
constexpr uint64_t kStepsMax = 2'000'000;

// One key, up to 40 operations, many of unknown outcome; with probability
// one half, some results are changed to other values seen in the history.
History mutated(Rng& rng) {
  GeneratorOptions o;
  o.model = rng.chance(0.5) ? Model::kCasRegister : Model::kKv;
  o.processes = uint32_t(rng.range(2, 6));
  o.operations = size_t(rng.range(5, 40));
  o.keys = 1;
  o.register_values = 3;
  o.unknown_probability = rng.chance(0.5) ? 0.3 : 0.1;
  History h = generate_linearizable_history(o, rng);
  std::vector<Value> seen = {std::nullopt};
  for (const Operation& op : h.operations()) seen.push_back(op.op.value);
  const int64_t mutations = rng.chance(0.5) ? rng.range(1, 2) : 0;
  for (int64_t k = 0; k < mutations; ++k) {
    Operation& victim = h.mutable_operations()[rng.below(h.size())];
    if (victim.op.type == OpType::kRead) victim.result.value = rng.pick(seen);
    if (victim.op.type == OpType::kCas) victim.result.applied = !victim.result.applied;
  }
  return h;
}

// What the checker searches: failed operations and unknown observations out.
std::vector<size_t> searched_ops(const History& h) {
  std::vector<size_t> ops;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i].outcome == Outcome::kFail || (h[i].effect_unknown() && internal::is_observation(h[i]))) continue;
    ops.push_back(i);
  }
  return ops;
}

internal::KeySearchResult search(const History& h, const internal::Reductions& reductions) {
  LinearizabilityBudget b;
  b.steps_max = kStepsMax;
  internal::SearchBudget budget(b);
  return internal::search_key(h, searched_ops(h), budget, reductions);
}

RC_GTEST_PROP(SearchReductions, NeverChangeTheVerdictOrTheWindow,
              (uint64_t seed, bool observations, bool lookahead, bool twins, bool must_use, bool overwritten)) {
  Rng rng(seed);
  const History h = mutated(rng);
  const internal::KeySearchResult plain = search(h, internal::Reductions{false, false, false, false, false});
  const internal::KeySearchResult reduced =
      search(h, internal::Reductions{observations, lookahead, twins, must_use, overwritten});
  RC_SUCCEED_IF(plain.verdict == Verdict::kUnknown || reduced.verdict == Verdict::kUnknown);
  RC_ASSERT(plain.verdict == reduced.verdict);
  if (plain.verdict != Verdict::kNotLinearizable) return;
  RC_ASSERT(h[plain.failure.blocking_op].complete_ns == h[reduced.failure.blocking_op].complete_ns);
}

}  // namespace
}  // namespace shoal::check
