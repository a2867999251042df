// FaultControls: what the test side may do to the simulated world.
//
// The engine never sees this interface: it sees only its Env. Nemeses,
// scenarios and tests hold FaultControls (FoundationDB keeps its kill/clog
// controls apart from the network the same way). Every control takes effect
// at the current virtual time and is recorded in the trace.
#pragma once

#include <string>
#include <vector>

#include "engine/core/ids.h"
#include "sim/config.h"

namespace shoal::sim {

class FaultControls {
 public:
  virtual ~FaultControls() = default;

  // Processes. crash(): memory and timers gone, unsynced writes kept, lost or
  // torn per DiskConfig::crash; messages in flight to it are dropped on arrival.
  // restart(): a new incarnation on the same disk. pause(): no event of the
  // process runs until resume(); its timers and messages wait, its clock runs.
  virtual void crash(NodeId node) = 0;
  virtual void restart(NodeId node) = 0;
  virtual void pause(NodeId node) = 0;
  virtual void resume(NodeId node) = 0;
  virtual bool running(NodeId node) const = 0;  // started, not crashed (may be paused)
  virtual bool paused(NodeId node) const = 0;

  // Links. A cut link delivers nothing while cut, including messages sent
  // before the cut that arrive during it.
  virtual void cut(NodeId from, NodeId to) = 0;
  virtual void heal(NodeId from, NodeId to) = 0;
  virtual void heal_all_links() = 0;
  virtual bool is_cut(NodeId from, NodeId to) const = 0;
  // Cuts every link between different groups, both ways; heals the rest.
  virtual void partition(const std::vector<std::vector<NodeId>>& groups) = 0;
  virtual void set_link(NodeId from, NodeId to, const LinkConfig& config) = 0;
  virtual void set_all_links(const LinkConfig& config) = 0;
  // Messages on the link (or to and from the node) are held until `until`.
  virtual void clog_link(NodeId from, NodeId to, Duration length) = 0;
  virtual void clog_node(NodeId node, Duration length) = 0;

  // Clocks.
  virtual void set_clock(NodeId node, const ClockConfig& config) = 0;
  virtual void jump_clock(NodeId node, Duration delta) = 0;

  // Disks.
  virtual void set_disk(NodeId node, const DiskConfig& config) = 0;
  virtual void set_disk_full(NodeId node, bool full) = 0;
  // Flips one bit of a file at rest (both its durable and current content).
  // Returns false when the file or offset does not exist.
  virtual bool flip_bit(NodeId node, const std::string& path, uint64_t offset, int bit) = 0;
  // Replaces the node's disk with an empty one: every file is gone.
  // REQUIRES: the node is not running (crash it first).
  virtual void wipe_disk(NodeId node) = 0;
  // Multiplies the node's sync latency (1 = normal), for slow-disk faults.
  virtual void slow_sync(NodeId node, double factor) = 0;
  // A trap for whatever a process does before its writes are durable: the
  // node's next sync never finishes. The process crashes at a random moment
  // while that sync is in flight, every write not yet synced is lost, and
  // `crashed` runs then (it restarts the node when it wants it back). An
  // empty `crashed` disarms the trap. The trapped sync takes `stretch` times
  // its usual latency, so that more can happen while it is in flight.
  virtual void crash_in_next_sync(NodeId node, std::function<void()> crashed, double stretch = 1) = 0;
};

}  // namespace shoal::sim
