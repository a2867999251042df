// Faults: what a nemesis does to a simulated cluster, as plain data.
//
// A Fault is one entry of a schedule: a kind, when it starts, how long it
// lasts, and a salt from which every other choice of the fault derives (which
// nodes, which link, which file and bit, how hard). A fault's choices thus do
// not depend on which other faults are in the schedule, so removing faults
// while shrinking leaves the rest doing what they did. The only choice made
// from the cluster's state is "the leader", resolved when the fault starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/core/time.h"

namespace shoal::chaos {

enum class FaultKind : uint8_t {
  // Network partitions (both ways unless named).
  kPartitionHalves,  // random halves
  kIsolateLeader,    // the leader alone on one side
  kBridge,           // two halves that one node joins
  kMajorityRing,     // each node reaches only its two ring neighbours
  kOneWay,           // the leader cannot send to half the cluster (directed)
  // Slow links.
  kClogLink,  // one directed link holds its messages for the fault's length
  kClogNode,  // every message to and from one node is held
  // Lossy links, cluster-wide, for the fault's length.
  kLossBurst,
  kDuplicateBurst,
  kReorderBurst,
  // Processes.
  kKillOne,         // one node (the leader half the time), restarted after the length
  kKillMinority,    // a minority at once
  kKillAll,         // every node at once
  kRollingRestart,  // every node in turn, one at a time
  kPause,           // one node stops running events (a GC pause, a stalled VM)
  // Disks.
  kBitFlip,         // a bit of a replica's WAL or snapshot flips at rest (the node is restarted onto it)
  kReadCorruption,  // reads return flipped bits (the node restarts into them, then out of them)
  kDiskFull,        // writes fail with ENOSPC; the node is restarted once space is back
  kSlowSync,        // syncs take 10-100x longer
  // Clocks (the local clock is monotonic: it may run fast or slow, or leap
  // forward, never back).
  kClockOffset,  // a node's clock leaps hours ahead (different boot times)
  kClockJump,    // a node's clock leaps up to seconds ahead (a VM resumed)
  kClockDrift,   // a node's clock runs fast or slow within the drift bound
  // Disks, again: a node's whole disk is lost (replaced by an empty one, as
  // an operator does after a disk dies); it restarts empty after the length
  // and must earn its vote back (engine/raft/raft.h, "Lost state").
  kWipeDisk,
  // Leader churn with divergent logs (the situations of Raft's Figure 8):
  kLeaderMinority,  // the leader and one follower cut off from the rest: its
                    // new entries reach a minority while the rest elect another
  kLeaderFlap,      // for the length, each new leader is cut off (but for one
                    // follower) moments after it wins, so leaders of several
                    // terms hold entries at the same indices that few others have
  // Clocks at the edge of the drift bound: the leader's runs slow and every
  // other clock fast, each by just under clock_drift_max, for the length —
  // the most a lease may have to allow for.
  kClockDriftEdge,
  // Both at once: clocks at the edge of the bound and the leader cut off
  // from the other nodes (its clients still reach it), so it serves lease
  // reads for as long as its lease lets it while the rest elect a new leader.
  kLeaseEdge,
  // For the length, one node after another crashes in the middle of a sync
  // (its unsynced writes lost) and comes back within moments: whatever a
  // replica said before its state was durable (a vote, an acknowledgement)
  // is then said by a replica that forgot it, while the election or the
  // replication it spoke in is still going on.
  kCrashMidSync,
};

const char* kind_name(FaultKind kind);
std::optional<FaultKind> parse_kind(std::string_view name);
const std::vector<FaultKind>& all_kinds();

struct Fault {
  Duration at{0};      // start, virtual time since the run began
  FaultKind kind = FaultKind::kKillOne;
  Duration length{0};  // 0 for instant faults
  uint64_t salt = 0;
  bool operator==(const Fault&) const = default;
};

}  // namespace shoal::chaos
