// Generated histories that are linearizable by construction, for property
// tests and benchmarks of the checkers.
//
// Every client process runs operations one after another. Each operation is
// given a linearization point at random inside its interval; the operations
// are then applied to a sequential model in the order of those points, which
// decides their arguments (a cas often expects the current value) and their
// results. Because every result is what the model returned at a point inside
// the interval, the history is linearizable however wide the intervals are.
// Some outcomes are made unknown: such an operation took effect at its point
// or not at all, and its interval is left open.
//
// Deterministic: the same options and seed give the same history.
#pragma once

#include <cstdint>

#include "engine/core/random.h"
#include "scenarios/checkers/history.h"
#include "scenarios/checkers/linearizability.h"

namespace shoal::check {

struct GeneratorOptions {
  Model model = Model::kKv;
  uint32_t processes = 10;
  size_t operations = 2000;
  uint32_t keys = 10;            // kv only; the register has one
  uint32_t register_values = 5;  // writes and cas pick values in [0, register_values)
  double unknown_probability = 0.02;
  // Each interval is invoke ... point ... complete with both gaps uniform in
  // [0, latency_max_ns]; a process waits up to think_max_ns between operations.
  int64_t latency_max_ns = 1'000'000;
  int64_t think_max_ns = 200'000;
};

// `final_values`, when given, receives the model's state after the last
// operation: what a read of every key would return once the run quiesced.
History generate_linearizable_history(const GeneratorOptions& options, Rng& rng, KeyValues* final_values = nullptr);

}  // namespace shoal::check
