// Knobs of the simulated world. Units and qualifiers go last in every name.
#pragma once

#include <cstdint>
#include <limits>

#include "engine/core/time.h"

namespace shoal::sim {

// One directed link. Latency is uniform in [min, max]; without reordering a
// link is FIFO like TCP (a message never overtakes an earlier one).
struct LinkConfig {
  Duration latency_min = microseconds(500);
  Duration latency_max = milliseconds(5);
  double loss_probability = 0;
  double duplicate_probability = 0;
  // With this probability a message gets an extra delay in [0, reorder_delay_max]
  // and may overtake or be overtaken by others on the link.
  double reorder_probability = 0;
  Duration reorder_delay_max = milliseconds(50);
};

// What happens to a file's unsynced writes when its process crashes. The
// weights are relative; the simulator picks one outcome per file.
struct CrashDiskConfig {
  uint32_t keep_weight = 1;  // every unsynced write reached the medium
  uint32_t lose_weight = 1;  // none did
  uint32_t tear_weight = 1;  // a prefix did, the last one possibly partly
};

struct DiskConfig {
  Duration sync_latency_min = microseconds(100);
  Duration sync_latency_max = milliseconds(2);
  // Probability that one read returns one flipped bit (the medium is not changed).
  double read_corruption_probability = 0;
  uint64_t capacity_bytes = std::numeric_limits<uint64_t>::max();
  CrashDiskConfig crash;
};

struct ClockConfig {
  Duration offset{0};
  // Relative rate error: local time advances by (1 + drift) per virtual second.
  // REQUIRES: -0.5 < drift < 0.5.
  double drift = 0;
};

}  // namespace shoal::sim
