// HealthMonitor: heartbeat failure detection between the nodes of a cluster.
//
// Every heartbeat_interval a node sends each peer a heartbeat carrying its
// boot counter and its own send time; the peer echoes it back. A peer's
// status follows the round trip, because a peer that can hear us but not
// answer is no more usable than a dead one:
//   unknown    no round trip completed yet and not yet overdue;
//   healthy    the last round trip is recent and fast;
//   degraded   degraded_after_missed intervals without an answer, or the
//              round-trip time is above degraded_rtt;
//   unhealthy  unhealthy_after_missed intervals without an answer.
// A node is reported unhealthy within detection_bound() of becoming
// unreachable, and healthy within recovery_bound() of answering again.
//
// The boot counter lives in the file "health/boot" (with a CRC32C). start()
// reads it, adds one and makes it durable before the node heartbeats, so
// peers can tell a restart from a slow answer. A corrupt counter is named in
// error() and the monitor stays stopped: Shoal never guesses over bad bytes.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/env/env.h"

namespace shoal {

enum class PeerStatus { kUnknown, kHealthy, kDegraded, kUnhealthy };
const char* to_string(PeerStatus s);

struct HealthConfig {
  Duration heartbeat_interval = milliseconds(100);
  int degraded_after_missed = 2;
  int unhealthy_after_missed = 5;
  Duration degraded_rtt = milliseconds(200);

  // The longest a reachable-then-unreachable peer can stay reported as
  // reachable: the missed intervals plus one tick of evaluation.
  Duration detection_bound() const {
    return heartbeat_interval * (unhealthy_after_missed + 1);
  }
  // The longest from a peer answering again to it being reported healthy:
  // one interval until the next heartbeat, plus the round trip.
  Duration recovery_bound() const { return heartbeat_interval * 2 + degraded_rtt; }
};

struct PeerHealth {
  PeerStatus status = PeerStatus::kUnknown;
  TimePoint since{};          // local time of the last status change
  int missed_heartbeats = 0;  // whole intervals since the last answer
  TimePoint last_answer{};    // local time the freshest answer arrived
  TimePoint newest_echo{};    // send time of the newest heartbeat answered
  bool answered = false;
  uint64_t boot_count = 0;    // the peer's boot counter as last heard
  uint64_t restarts_seen = 0; // increases of that counter seen by this node
  Duration rtt{0};            // the last round-trip time
};

class HealthMonitor {
 public:
  using ChangeCallback = std::function<void(NodeId peer, const PeerHealth& health)>;

  // REQUIRES: peers does not contain env.self().
  HealthMonitor(Env& env, std::vector<NodeId> peers, HealthConfig config,
                ChangeCallback on_change = {});
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Loads and bumps the boot counter; heartbeats begin once it is durable.
  void start();
  bool ready() const { return ready_; }
  // Non-empty when the monitor could not start (corrupt or unwritable counter).
  const std::string& error() const { return error_; }
  uint64_t boot_count() const { return boot_count_; }
  const HealthConfig& config() const { return config_; }

  // REQUIRES: peer is one of the configured peers.
  const PeerHealth& peer(NodeId peer) const { return peers_.at(peer); }
  const std::map<NodeId, PeerHealth>& peers() const { return peers_; }

  static constexpr const char* kBootFile = "health/boot";

 private:
  void on_message(Message&& m);
  void tick();
  void evaluate(NodeId id, PeerHealth& p);
  void boot_durable(absl::Status st);
  absl::StatusOr<uint64_t> read_boot_count();

  Env& env_;
  HealthConfig config_;
  ChangeCallback on_change_;
  std::map<NodeId, PeerHealth> peers_;  // ordered: iteration reaches the wire
  TimerSlot tick_timer_;
  TimePoint started_at_{};
  uint64_t boot_count_ = 0;
  bool ready_ = false;
  std::string error_;
};

}  // namespace shoal
