// Internals of the simulation: one process slot and the Env its incarnation
// sees. Only simulation.cc and sim_env.cc include this header.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "sim/simulation.h"

namespace shoal::sim {

// A process id's life across incarnations: its disk and clock persist,
// everything else is rebuilt by restart().
struct Slot {
  NodeId id = kNoNode;
  std::string name;
  ProcessFactory factory;
  bool running = false;
  bool paused = false;
  uint64_t incarnation = 0;

  // Clock: local = base_local + (virtual - base_virtual) * (1 + drift).
  int64_t clock_base_virtual_ns = 0;
  int64_t clock_base_local_ns = 0;
  double clock_drift = 0;

  SimDiskState disk;
  // When a fault last took or changed stored bytes (wipe, bit flip at rest).
  int64_t disk_lost_at_ns = -1;
  std::function<void()> crash_in_next_sync;  // armed by crash_in_next_sync()
  double crash_in_next_sync_stretch = 1;
  int64_t clog_until_ns = 0;

  // The current incarnation.
  std::unique_ptr<SimEnv> env;
  std::unique_ptr<Process> process;
  absl::flat_hash_set<TimerId> live_timers;
  TimerId next_timer = 1;
  // Events that came due while paused, in the order they came due.
  std::deque<std::function<void()>> held;
};

class SimEnv final : public Env, private Clock, private Network, private Disk {
 public:
  SimEnv(Simulation& sim, Slot& slot, Rng rng);

  NodeId self() const override { return slot_.id; }
  shoal::Clock& clock() override { return *this; }
  Rng& random() override { return rng_; }
  shoal::Network& network() override { return *this; }
  shoal::Disk& disk() override { return *this; }
  void log(LogLevel level, std::string_view component, std::string_view text) override;
  bool simulated() const override { return true; }
  bool buggify(std::string_view site) override;

  // Delivers an arriving message to its channel's handler. False when none.
  bool dispatch(Message&& m);

 private:
  // Clock
  TimePoint now() const override;
  TimerId after(Duration d, std::function<void()> fn) override;
  bool cancel(TimerId id) override;
  // Network
  bool send(NodeId to, ChannelId channel, std::string payload) override;
  void set_handler(ChannelId channel, MessageHandler handler) override;
  // Disk
  absl::StatusOr<std::unique_ptr<File>> open(const std::string& path, bool create) override;
  bool exists(const std::string& path) const override;
  absl::Status rename(const std::string& from, const std::string& to) override;
  absl::Status remove(const std::string& path) override;
  std::vector<std::string> list(const std::string& prefix) const override;

  Simulation& sim_;
  Slot& slot_;
  Rng rng_;
  absl::flat_hash_map<ChannelId, MessageHandler> handlers_;
};

}  // namespace shoal::sim
