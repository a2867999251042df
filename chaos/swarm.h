// Swarm testing: each seed picks its own mix of faults.
//
// Running every fault kind in every run makes runs alike: a cluster that is
// always partitioned somewhere never shows what a single slow disk does to it.
// Following "Swarm Testing" (Groce et al., ISSTA 2012) and FoundationDB's
// simulator, each seed switches each allowed kind on or off (at least one
// stays on) and picks an intensity; the schedule is then generated from the
// kinds that are on. The choice is made from the seed, so the same seed always
// gets the same swarm, and the schedule it produced can be replayed or shrunk.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chaos/fault.h"
#include "engine/core/ids.h"
#include "engine/core/random.h"
#include "sim/config.h"

namespace shoal::chaos {

enum class Intensity : uint8_t { kLow, kMedium, kHigh };
const char* intensity_name(Intensity i);
std::optional<Intensity> parse_intensity(std::string_view name);

struct SwarmConfig {
  std::vector<FaultKind> kinds;  // on in this run
  Intensity intensity = Intensity::kMedium;
  Duration gap_min{0}, gap_max{0};        // between the starts of two faults
  Duration length_min{0}, length_max{0};  // of a fault with a length
  // What a crash does to unsynced writes in this run (kept / lost / torn).
  sim::CrashDiskConfig crash;
  // One line for logs and reports.
  std::string describe() const;
};

// REQUIRES: allowed is not empty. `fixed` pins the intensity.
SwarmConfig choose_swarm(Rng& rng, const std::vector<FaultKind>& allowed, std::optional<Intensity> fixed);

// The faults of one run: starts spread over [from, until) with the swarm's
// gaps, each ending by `until`; clock offsets (when on) come first, one per
// node, at `from`.
std::vector<Fault> generate_faults(const SwarmConfig& swarm, Duration from, Duration until, size_t nodes,
                                   Rng& rng);

}  // namespace shoal::chaos
