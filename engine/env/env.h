// Env: everything a node's engine may touch of the world.
//
// The one rule of Shoal: engine code reaches time, timers, randomness, the
// network and the disk only through an Env. The simulator gives each simulated
// process its own Env (virtual clock, seeded Rng, simulated network and disk);
// real mode gives a node process one built on Boost.Asio, TCP and POSIX files.
// An Env belongs to one event loop; nothing in it is thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/ids.h"
#include "engine/core/random.h"
#include "engine/env/clock.h"
#include "engine/env/disk.h"
#include "engine/env/network.h"

namespace shoal {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

class Env {
 public:
  virtual ~Env() = default;

  virtual NodeId self() const = 0;
  virtual Clock& clock() = 0;
  virtual Rng& random() = 0;
  virtual Network& network() = 0;
  virtual Disk& disk() = 0;

  // A line for the operator (real mode) or the trace (sim), stamped with the
  // node and its time by the implementation.
  virtual void log(LogLevel level, std::string_view component, std::string_view text) = 0;

  // True when this process runs inside the simulator. Used only by BUGGIFY
  // and to pick single-threaded library settings, never to change protocol.
  virtual bool simulated() const { return false; }
  // For BUGGIFY: whether the site `site` is enabled in this run and fires now.
  virtual bool buggify(std::string_view site) { return false; }

  TimePoint now() { return clock().now(); }
};

}  // namespace shoal
