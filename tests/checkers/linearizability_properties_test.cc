// Properties of the linearizability checker over generated histories.
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

// Small enough that every property runs in milliseconds, large enough that
// operations overlap many at a time.
GeneratorOptions small_options(Model model, uint32_t processes, size_t operations) {
  GeneratorOptions o;
  o.model = model;
  o.processes = processes;
  o.operations = operations;
  o.keys = 3;
  o.register_values = 3;
  o.unknown_probability = 0.05;
  return o;
}

History generated(uint64_t seed, Model model) {
  Rng rng(seed);
  const uint32_t processes = uint32_t(rng.range(1, 8));
  const size_t operations = size_t(rng.range(1, 120));
  return generate_linearizable_history(small_options(model, processes, operations), rng);
}

Model any_model(bool register_model) { return register_model ? Model::kCasRegister : Model::kKv; }

LinearizabilityOptions options_for(Model model) {
  LinearizabilityOptions o;
  o.model = model;
  return o;
}

// Indices of the reads that returned a value.
std::vector<size_t> ok_reads(const History& h) {
  std::vector<size_t> reads;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i].ok() && h[i].op.type == OpType::kRead) reads.push_back(i);
  }
  return reads;
}

RC_GTEST_PROP(Linearizability, GeneratedFromASequentialRunIsLinearizable, (uint64_t seed, bool register_model)) {
  const Model model = any_model(register_model);
  History h = generated(seed, model);
  LinearizabilityResult r = check_linearizable(h, options_for(model));
  RC_ASSERT(r.verdict == Verdict::kLinearizable);
  RC_ASSERT(r.ok);
}

RC_GTEST_PROP(Linearizability, AReadOfAValueNeverWrittenIsNeverLinearizable, (uint64_t seed, bool register_model)) {
  const Model model = any_model(register_model);
  History h = generated(seed, model);
  std::vector<size_t> reads = ok_reads(h);
  RC_PRE(!reads.empty());
  Rng rng(seed ^ 0xbadULL);
  const size_t victim = reads[rng.below(reads.size())];
  // No generated write, append or cas produces a value containing '#'.
  h.mutable_operations()[victim].result.value = "#never-written";
  LinearizabilityResult r = check_linearizable(h, options_for(model));
  RC_ASSERT(r.verdict == Verdict::kNotLinearizable);
  RC_ASSERT(r.failure.has_value());
  // The window is where the history stops being linearizable: at the bad read,
  // after a prefix holding everything that completed before it.
  const FailingWindow& w = *r.failure;
  RC_ASSERT(w.blocking_op == victim);
  RC_ASSERT(std::find(w.window.begin(), w.window.end(), victim) != w.window.end());
  RC_ASSERT(w.key == h[victim].op.key);
  for (size_t i = 0; i < h.size(); ++i) {
    const Operation& o = h[i];
    if (o.ok() && o.op.key == w.key && o.complete_ns < h[victim].complete_ns) {
      RC_ASSERT(std::find(w.prefix.begin(), w.prefix.end(), i) != w.prefix.end());
    }
  }
}

RC_GTEST_PROP(Linearizability, UnknownOutcomesNeverTurnALinearizableHistoryIntoAFailure,
              (uint64_t seed, bool register_model)) {
  const Model model = any_model(register_model);
  History h = generated(seed, model);
  Rng rng(seed ^ 0x1f0ULL);
  for (Operation& o : h.mutable_operations()) {
    if (o.ok() && rng.chance(0.3)) {
      o.outcome = Outcome::kUnknown;
      o.result = Result{};
    }
  }
  LinearizabilityResult r = check_linearizable(h, options_for(model));
  RC_ASSERT(r.verdict == Verdict::kLinearizable);
}

RC_GTEST_PROP(Linearizability, SplittingByKeyGivesTheSameVerdictAsEachKeyAlone, (uint64_t seed)) {
  History h = generated(seed, Model::kKv);
  // Break one read so that some histories fail, then compare whole and parts.
  std::vector<size_t> reads = ok_reads(h);
  if (!reads.empty() && seed % 2 == 0) h.mutable_operations()[reads[seed % reads.size()]].result.value = "#";
  bool all_parts_ok = true;
  for (const std::string& key : h.keys()) {
    all_parts_ok = all_parts_ok && check_linearizable(h.of_key(key), options_for(Model::kKv)).ok;
  }
  RC_ASSERT(check_linearizable(h, options_for(Model::kKv)).ok == all_parts_ok);
}

}  // namespace
}  // namespace shoal::check
