#include "chaos/fault.h"

#include <array>
#include <utility>

namespace shoal::chaos {
namespace {

constexpr std::array<std::pair<FaultKind, const char*>, 28> kNames{{
    {FaultKind::kPartitionHalves, "partition-halves"},
    {FaultKind::kIsolateLeader, "isolate-leader"},
    {FaultKind::kBridge, "bridge"},
    {FaultKind::kMajorityRing, "majority-ring"},
    {FaultKind::kOneWay, "one-way"},
    {FaultKind::kClogLink, "clog-link"},
    {FaultKind::kClogNode, "clog-node"},
    {FaultKind::kLossBurst, "loss-burst"},
    {FaultKind::kDuplicateBurst, "duplicate-burst"},
    {FaultKind::kReorderBurst, "reorder-burst"},
    {FaultKind::kKillOne, "kill-one"},
    {FaultKind::kKillMinority, "kill-minority"},
    {FaultKind::kKillAll, "kill-all"},
    {FaultKind::kRollingRestart, "rolling-restart"},
    {FaultKind::kPause, "pause"},
    {FaultKind::kBitFlip, "bit-flip"},
    {FaultKind::kReadCorruption, "read-corruption"},
    {FaultKind::kDiskFull, "disk-full"},
    {FaultKind::kSlowSync, "slow-sync"},
    {FaultKind::kClockOffset, "clock-offset"},
    {FaultKind::kClockJump, "clock-jump"},
    {FaultKind::kClockDrift, "clock-drift"},
    {FaultKind::kWipeDisk, "wipe-disk"},
    {FaultKind::kLeaderMinority, "leader-minority"},
    {FaultKind::kLeaderFlap, "leader-flap"},
    {FaultKind::kClockDriftEdge, "clock-drift-edge"},
    {FaultKind::kLeaseEdge, "lease-edge"},
    {FaultKind::kCrashMidSync, "crash-mid-sync"},
}};

}  // namespace

const char* kind_name(FaultKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "?";
}

std::optional<FaultKind> parse_kind(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (std::string_view(n) == name) return k;
  }
  return std::nullopt;
}

const std::vector<FaultKind>& all_kinds() {
  static const std::vector<FaultKind> all = [] {
    std::vector<FaultKind> v;
    for (const auto& [k, name] : kNames) v.push_back(k);
    return v;
  }();
  return all;
}

}  // namespace shoal::chaos
