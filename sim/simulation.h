// Simulation: a whole cluster in one thread, driven by one seed.
//
// The simulation owns virtual time, an event queue ordered by (virtual time,
// insertion sequence), the simulated processes (nodes and clients), their
// disks, clocks and the network between them. Each process sees only its Env;
// the test side drives faults through FaultControls, which Simulation
// implements. Every executed event — timer firing, message delivery, sync
// completion, crash, restart, test-side action, log line — feeds a rolling
// trace hash, so one seed must always give one hash: that is how determinism
// is checked rather than hoped for.
//
// Nothing here is thread-safe; one Simulation runs on one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/core/random.h"
#include "engine/env/env.h"
#include "sim/config.h"
#include "sim/faults.h"
#include "sim/run_guard.h"
#include "sim/sim_disk.h"

namespace shoal::sim {

// What a simulated process runs: any engine object, built by a factory from
// the process's Env. Destroying it is the crash: no code runs after that.
class Process {
 public:
  virtual ~Process() = default;
};
using ProcessFactory = std::function<std::unique_ptr<Process>(Env& env)>;

// BUGGIFY in a simulated run (engine/env/buggify.h). When enabled, each
// BUGGIFY site is switched on for the whole run with site_probability, decided
// from the seed and the site's name; an enabled site then fires each time it
// is reached with fire_probability.
struct BuggifyConfig {
  bool enabled = false;
  double site_probability = 0.25;
  double fire_probability = 0.05;
};

struct SimOptions {
  LinkConfig link;
  DiskConfig disk;
  BuggifyConfig buggify;
  // The run's bounds and the record of its stop (run_guard.h), owned by the
  // caller and outliving the Simulation. Without one a run has no bounds and
  // a failed engine assertion ends the process (unit tests drive the
  // simulator directly and want exactly that).
  RunGuard* guard = nullptr;
};

// One line of a readable trace. Built only when a tracer is installed.
struct TraceRecord {
  TimePoint at;
  uint64_t sequence = 0;
  const char* kind = "";  // "timer", "deliver", "sync", "fault", "driver", "log", ...
  NodeId node = kNoNode;
  std::string text;
};
using Tracer = std::function<void(const TraceRecord&)>;

struct SimStats {
  uint64_t events = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_delivered = 0;
  uint64_t messages_dropped_cut = 0;
  uint64_t messages_dropped_loss = 0;
  uint64_t messages_dropped_down = 0;
  uint64_t messages_dropped_no_handler = 0;
  uint64_t messages_duplicated = 0;
  uint64_t timers_fired = 0;
  uint64_t syncs_completed = 0;
  uint64_t crashes = 0;
  uint64_t restarts = 0;
  uint64_t buggify_fired = 0;
};

class SimEnv;
struct Slot;

class Simulation final : public FaultControls {
 public:
  explicit Simulation(uint64_t seed, SimOptions options = {});
  ~Simulation() override;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  uint64_t seed() const { return seed_; }
  const SimOptions& options() const { return options_; }

  // ---- processes
  // Adds a process and starts it now. REQUIRES: id is new and not kNoNode.
  void add_process(NodeId id, std::string name, ProcessFactory factory);
  // The running incarnation's object, or nullptr when crashed.
  Process* process(NodeId id);
  template <typename T>
  T* process_as(NodeId id) { return dynamic_cast<T*>(process(id)); }
  // The running incarnation's Env, or nullptr when crashed.
  Env* env(NodeId id);
  std::vector<NodeId> process_ids() const;
  uint64_t incarnation(NodeId id) const;
  // Direct access to a node's disk state, for tests and corruption nemeses.
  SimDiskState& disk_state(NodeId id);
  // How far the node's local clock is ahead of virtual time right now.
  Duration clock_offset(NodeId id) const;
  // Called after each crash (for role timelines and the like).
  void set_crash_observer(std::function<void(NodeId)> fn) { crash_observer_ = std::move(fn); }

  // ---- BUGGIFY (configured by SimOptions::buggify)
  // Whether `site` is on in this run (decided once per site from the seed).
  bool buggify_site_enabled(std::string_view site);

  // ---- driving
  // Runs the next event. Returns false when the queue is empty or the run
  // has stopped. An engine assertion raised by the event, a wall-time or
  // memory bound of the guard passed after it, or an event the event bound
  // does not allow stops the run: no event runs after that, and the
  // processes keep the state they had, to be judged.
  bool step();
  // Runs every event due at or before t, then sets the time to t. After a
  // stop no event runs but the time still moves, so a caller's loop that
  // waits for a virtual deadline ends.
  void run_until(TimePoint t);
  void run_for(Duration d) { run_until(now_ + d); }
  // Runs until pred() holds (checked after each event) or the deadline passes.
  bool run_until(const std::function<bool()>& pred, TimePoint deadline);
  // Whether the run has stopped (an assertion or a bound; the guard says which).
  bool stopped() const { return stopped_; }
  // Schedules a test-side action (a nemesis step, a workload arrival, a check).
  void at(TimePoint t, std::string label, std::function<void()> fn);
  void after(Duration d, std::string label, std::function<void()> fn) {
    at(now_ + d, std::move(label), std::move(fn));
  }
  // Runs fn at t, then again after each delay it returns, until it returns
  // nullopt. (An action that reschedules itself through a shared_ptr to
  // itself is a reference cycle, which leaks; this is not one.)
  void repeat(TimePoint t, std::string label, std::function<std::optional<Duration>()> fn);
  TimePoint now() const { return now_; }
  // When a fault last wiped or changed a node's stored bytes; -1 if never.
  // A promise about what a node holds on disk cannot be judged across it.
  int64_t disk_lost_at_ns(NodeId node) const;
  // The test side's own random stream (nemesis and workload choices).
  Rng& rng() { return test_rng_; }

  // ---- determinism and observation
  uint64_t trace_hash() const { return trace_hash_; }
  const SimStats& stats() const { return stats_; }
  void set_tracer(Tracer tracer) { tracer_ = std::move(tracer); }
  bool tracing() const { return static_cast<bool>(tracer_); }
  // Records a test-side note in the trace and the hash.
  void note(NodeId node, const char* kind, std::string text);

  // ---- FaultControls
  void crash(NodeId node) override;
  void restart(NodeId node) override;
  void pause(NodeId node) override;
  void resume(NodeId node) override;
  bool running(NodeId node) const override;
  bool paused(NodeId node) const override;
  void cut(NodeId from, NodeId to) override;
  void heal(NodeId from, NodeId to) override;
  void heal_all_links() override;
  bool is_cut(NodeId from, NodeId to) const override;
  void partition(const std::vector<std::vector<NodeId>>& groups) override;
  void set_link(NodeId from, NodeId to, const LinkConfig& config) override;
  void set_all_links(const LinkConfig& config) override;
  void clog_link(NodeId from, NodeId to, Duration length) override;
  void clog_node(NodeId node, Duration length) override;
  void set_clock(NodeId node, const ClockConfig& config) override;
  void jump_clock(NodeId node, Duration delta) override;
  void set_disk(NodeId node, const DiskConfig& config) override;
  void set_disk_full(NodeId node, bool full) override;
  bool flip_bit(NodeId node, const std::string& path, uint64_t offset, int bit) override;
  void wipe_disk(NodeId node) override;
  void slow_sync(NodeId node, double factor) override;
  void crash_in_next_sync(NodeId node, std::function<void()> crashed, double stretch = 1) override;

 private:
  friend class SimEnv;
  friend class SimFile;

  // crash() with these fates for the unsynced writes instead of the disk's.
  void crash(NodeId node, const CrashDiskConfig& fates);

  enum class EventKind : uint8_t { kTimer, kDeliver, kSyncDone, kDriver };
  struct Event {
    int64_t at_ns = 0;
    uint64_t sequence = 0;
    EventKind kind = EventKind::kDriver;
    NodeId node = kNoNode;
    uint64_t incarnation = 0;
    uint64_t tag = 0;  // timer id, message fingerprint, or label hash
    std::function<void()> fn;
    Message message;  // for deliveries
  };
  struct EventOrder {
    bool operator()(const Event& a, const Event& b) const {
      return a.at_ns != b.at_ns ? a.at_ns > b.at_ns : a.sequence > b.sequence;
    }
  };

  Slot& slot(NodeId id);
  const Slot* find_slot(NodeId id) const;
  void push(Event e);
  // Runs fn (an event, or a process's start) and turns an engine assertion
  // it raises into the run's stop, when there is a guard to record it.
  template <typename Fn>
  void guarded(Fn&& fn);
  void execute(Event& e);
  void deliver(Event& e);
  void start_incarnation(Slot& s);
  // Counts and hashes an event about to run; false (and the run stops) when
  // the guard allows no more events.
  bool admit(const Event& e);
  void trace(const char* kind, NodeId node, std::string text);

  // Called by SimEnv.
  TimerId schedule_timer(Slot& s, Duration local_delay, std::function<void()> fn);
  bool cancel_timer(Slot& s, TimerId id);
  TimePoint local_time(const Slot& s) const;
  bool send_message(NodeId from, NodeId to, ChannelId channel, std::string payload);
  bool buggify_fires(std::string_view site);
  void schedule_sync(Slot& s, std::shared_ptr<SimFileState> file, uint64_t marker,
                     SyncCallback done);

  uint64_t seed_;
  SimOptions options_;
  TimePoint now_{};
  uint64_t next_sequence_ = 0;
  std::vector<Event> queue_;  // a binary heap under EventOrder
  Rng test_rng_;
  Rng net_rng_;
  Rng disk_rng_;
  Rng buggify_rng_;
  absl::flat_hash_map<std::string, bool> buggify_sites_;
  std::function<void(NodeId)> crash_observer_;
  uint64_t trace_hash_ = 0;
  Tracer tracer_;
  bool stopped_ = false;
  SimStats stats_;

  std::vector<std::unique_ptr<Slot>> slots_;  // in order of addition
  absl::flat_hash_map<NodeId, Slot*> by_id_;
  // Directed links: cut set, per-link config, FIFO horizon and clogs.
  absl::flat_hash_map<uint64_t, LinkConfig> link_config_;
  absl::flat_hash_map<uint64_t, bool> cut_;
  absl::flat_hash_map<uint64_t, int64_t> link_fifo_ns_;
  absl::flat_hash_map<uint64_t, int64_t> link_clog_until_ns_;
};

}  // namespace shoal::sim
