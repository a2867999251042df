// Generated histories for property tests and benchmarks of the checkers:
// linearizable by construction, or made not linearizable on purpose.
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
// A linearizable history can then be broken on purpose: plant_stale_reads
// makes reads on some keys return a value that an acknowledged write had
// already replaced (see there for why no order can explain it).
//
// Deterministic: the same options and seed give the same history.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/random.h"
#include "scenarios/checkers/history.h"
#include "scenarios/checkers/linearizability.h"

namespace shoal::check {

// The operations a kv history uses.
enum class KvMix {
  kAll,           // read, write, append, cas and delete
  kGetPutAppend,  // Jepsen's multi-key workload: get, put and append only
};

struct GeneratorOptions {
  Model model = Model::kKv;
  KvMix kv_mix = KvMix::kAll;
  // The value of every key before the first operation (Jepsen's kv tests
  // start every key at "").
  Value initial_value;
  uint32_t processes = 10;
  size_t operations = 2000;
  uint32_t keys = 10;            // kv only; the register has one
  uint32_t register_values = 5;  // writes and cas pick values in [0, register_values)
  double unknown_probability = 0.02;
  // kv only: the first `hard_keys` keys ("k0", "k1", ...) are hard to search.
  // Their operations are mostly writes and appends, each with an unknown
  // outcome at hard_unknown_probability: every such operation stays open to
  // the end and may be placed at many points, or left out.
  uint32_t hard_keys = 0;
  double hard_unknown_probability = 0.25;
  // Each interval is invoke ... point ... complete with both gaps uniform in
  // [0, latency_max_ns]; a process waits up to think_max_ns between operations.
  int64_t latency_max_ns = 1'000'000;
  int64_t think_max_ns = 200'000;
};

// Jepsen's multi-key workload, as in Porcupine's kv histories: get, put and
// append on keys that all start at "".
GeneratorOptions jepsen_kv_options();

// `final_values`, when given, receives the model's state after the last
// operation: what a read of every key would return once the run quiesced.
History generate_linearizable_history(const GeneratorOptions& options, Rng& rng, KeyValues* final_values = nullptr);

// Breaks up to `keys_max` keys of a generated kv history, keys chosen at
// random among those where it can: on each, one acknowledged read is made to
// return the value an earlier read of the key saw, although a put with a
// known outcome began after that earlier read completed and completed before
// this read began. Returns the keys broken, sorted.
//
// No order explains such a read. Puts write values of their own ("w" and a
// serial number) and appends add pieces of their own ("[serial]"), so a
// value names the put it starts from, or the initial value. At this read's
// point the value starts from the put with the known outcome or from one
// placed after it; the earlier value started from one placed before the
// earlier read ended, hence before that put. REQUIRES: the history came from
// generate_linearizable_history with KvMix::kGetPutAppend (no cas or delete).
std::vector<std::string> plant_stale_reads(History& history, uint32_t keys_max, Rng& rng);

}  // namespace shoal::check
