// The health monitor on the simulator: statuses, boot counter, corruption.
#include <gtest/gtest.h>

#include "engine/cluster/health.h"
#include "sim/simulation.h"

namespace shoal::sim {
namespace {

class Monitor final : public Process {
 public:
  Monitor(Env& env, std::vector<NodeId> peers) : health(env, std::move(peers), HealthConfig{}) {
    health.start();
  }
  HealthMonitor health;
};

void add_monitors(Simulation& sim, int n) {
  for (NodeId id = 1; id <= static_cast<NodeId>(n); ++id) {
    std::vector<NodeId> peers;
    for (NodeId p = 1; p <= static_cast<NodeId>(n); ++p) if (p != id) peers.push_back(p);
    sim.add_process(id, "n", [peers](Env& env) { return std::make_unique<Monitor>(env, peers); });
  }
}

PeerStatus status(Simulation& sim, NodeId o, NodeId p) {
  return sim.process_as<Monitor>(o)->health.peer(p).status;
}

TEST(HealthMonitor, PeersStartUnknownThenHealthy) {
  Simulation sim(1);
  add_monitors(sim, 3);
  EXPECT_EQ(status(sim, 1, 2), PeerStatus::kUnknown);
  sim.run_for(milliseconds(50));
  EXPECT_EQ(status(sim, 1, 2), PeerStatus::kHealthy);
  EXPECT_EQ(sim.process_as<Monitor>(1)->health.boot_count(), 1u);
}

TEST(HealthMonitor, OneWayCutMakesBothEndsUnhealthyAndOthersUnaffected) {
  Simulation sim(2);
  add_monitors(sim, 3);
  sim.run_for(seconds(1));
  sim.cut(1, 2);
  sim.run_for(HealthConfig{}.detection_bound());
  EXPECT_EQ(status(sim, 1, 2), PeerStatus::kUnhealthy);  // 1's heartbeats never arrive
  EXPECT_EQ(status(sim, 2, 1), PeerStatus::kUnhealthy);  // 1's answers never arrive
  EXPECT_EQ(status(sim, 3, 1), PeerStatus::kHealthy);
  EXPECT_EQ(status(sim, 3, 2), PeerStatus::kHealthy);
  sim.heal(1, 2);
  sim.run_for(HealthConfig{}.recovery_bound());
  EXPECT_EQ(status(sim, 1, 2), PeerStatus::kHealthy);
}

TEST(HealthMonitor, SlowLinkIsDegradedNotUnhealthy) {
  Simulation sim(3);
  add_monitors(sim, 2);
  sim.run_for(seconds(1));
  LinkConfig slow;
  slow.latency_min = milliseconds(210);
  slow.latency_max = milliseconds(220);
  sim.set_link(1, 2, slow);
  sim.run_for(seconds(1));
  EXPECT_EQ(status(sim, 1, 2), PeerStatus::kDegraded);  // round trip above degraded_rtt
  EXPECT_GT(sim.process_as<Monitor>(1)->health.peer(2).rtt, milliseconds(210));
}

TEST(HealthMonitor, CorruptBootCounterIsNamedAndTheMonitorStaysDown) {
  Simulation sim(4);
  add_monitors(sim, 2);
  sim.run_for(milliseconds(100));
  sim.crash(1);
  ASSERT_TRUE(sim.flip_bit(1, HealthMonitor::kBootFile, 6, 3));
  sim.restart(1);
  sim.run_for(seconds(1));
  const HealthMonitor& h = sim.process_as<Monitor>(1)->health;
  EXPECT_FALSE(h.ready());
  EXPECT_NE(h.error().find("corrupt boot counter in health/boot"), std::string::npos) << h.error();
  // Node 2 sees node 1 as unhealthy: a node that cannot trust its disk does not answer.
  EXPECT_EQ(status(sim, 2, 1), PeerStatus::kUnhealthy);
}

TEST(HealthMonitor, FullDiskAtBootIsAnErrorNotACrash) {
  Simulation sim(5);
  add_monitors(sim, 2);
  sim.run_for(milliseconds(100));
  sim.crash(1);
  sim.set_disk_full(1, true);
  sim.restart(1);
  sim.run_for(milliseconds(100));
  EXPECT_FALSE(sim.process_as<Monitor>(1)->health.ready());
  EXPECT_NE(sim.process_as<Monitor>(1)->health.error().find("ENOSPC"), std::string::npos);
}

}  // namespace
}  // namespace shoal::sim
