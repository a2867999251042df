// The nemesis composes overlapping faults, keeps its limits, and heals
// everything on stop(); swarm choices and fault choices come from the seed.
#include <gtest/gtest.h>

#include <set>

#include "chaos/nemesis.h"
#include "chaos/swarm.h"
#include "sim/simulation.h"
#include "engine/env/disk.h"

namespace shoal::chaos {
namespace {

class Idle final : public sim::Process {};

struct World {
  sim::Simulation sim{42};
  std::vector<NodeId> nodes{1, 2, 3, 4, 5};
  NodeId leader = 1;
  World() {
    for (NodeId id : nodes) {
      sim.add_process(id, "n" + std::to_string(id), [](Env&) { return std::make_unique<Idle>(); });
    }
  }
  size_t cut_links() const {
    size_t n = 0;
    for (NodeId a : nodes) {
      for (NodeId b : nodes) n += a != b && sim.is_cut(a, b);
    }
    return n;
  }
};

// Appends and syncs a record every 5 ms, as a replica's log does.
class Syncer final : public sim::Process {
 public:
  explicit Syncer(Env& env) : env_(env), file_(std::move(*env.disk().open("log", true))) { tick(); }

 private:
  void tick() {
    env_.clock().after(milliseconds(5), [this] {
      (void)file_->append("record|");
      file_->sync([](absl::Status) {});
      tick();
    });
  }
  Env& env_;
  std::unique_ptr<File> file_;
};

TEST(Nemesis, CrashMidSyncCrashesOneNodeAfterAnotherAndBringsEachBack) {
  sim::Simulation sim(7);
  const std::vector<NodeId> nodes{1, 2, 3};
  for (NodeId id : nodes) {
    sim.add_process(id, "n" + std::to_string(id), [](Env& env) { return std::make_unique<Syncer>(env); });
  }
  Nemesis nem(sim, nodes, [] { return NodeId{1}; }, {});
  nem.schedule({{seconds(1), FaultKind::kCrashMidSync, seconds(2), 3}});
  sim.run_until(TimePoint(milliseconds(900)));
  EXPECT_EQ(sim.stats().crashes, 0u);
  sim.run_until(TimePoint(seconds(3)));
  // Each trap springs at the node's next sync (every 5 ms), so one node
  // after another goes down for at most 80 ms while the fault lasts.
  EXPECT_GE(sim.stats().crashes, 10u);
  std::set<NodeId> victims;
  for (NodeId id : nodes) {
    if (sim.incarnation(id) > 0) victims.insert(id);
  }
  EXPECT_GE(victims.size(), 2u) << "the trap moves from node to node";
  const uint64_t crashes = sim.stats().crashes;
  sim.run_until(TimePoint(milliseconds(3200)));
  // A trap that sprang just before the end may still crash its node within
  // the sync's latency; none sprang after.
  EXPECT_LE(sim.stats().crashes, crashes + 1) << "traps sprang after the fault ended";
  for (NodeId id : nodes) EXPECT_TRUE(sim.running(id)) << id;
}

TEST(Nemesis, OverlappingPartitionsHealOnlyWhenBothEnd) {
  World w;
  Nemesis nem(w.sim, w.nodes, [&w] { return w.leader; }, {});
  // Isolating the leader twice, overlapping: [1s, 3s) and [2s, 5s).
  nem.schedule({{seconds(1), FaultKind::kIsolateLeader, seconds(2), 7},
                {seconds(2), FaultKind::kIsolateLeader, seconds(3), 8}});
  w.sim.run_until(TimePoint(milliseconds(1500)));
  EXPECT_EQ(w.cut_links(), 8u);  // n1 <-> 4 others, both ways
  w.sim.run_until(TimePoint(milliseconds(3500)));
  EXPECT_EQ(w.cut_links(), 8u) << "the first fault's end must not heal the second's cuts";
  w.sim.run_until(TimePoint(milliseconds(5500)));
  EXPECT_EQ(w.cut_links(), 0u);
}

TEST(Nemesis, KilledNodeRestartsWhenTheLastKillEnds) {
  World w;
  Nemesis nem(w.sim, w.nodes, [&w] { return w.leader; }, {});
  nem.schedule({{seconds(1), FaultKind::kKillAll, seconds(3), 1}});
  w.sim.run_until(TimePoint(milliseconds(1500)));
  for (NodeId id : w.nodes) EXPECT_FALSE(w.sim.running(id));
  w.sim.run_until(TimePoint(milliseconds(4500)));
  for (NodeId id : w.nodes) EXPECT_TRUE(w.sim.running(id));
}

TEST(Nemesis, StopHealsEverythingAndLaterFaultsDoNothing) {
  World w;
  Nemesis nem(w.sim, w.nodes, [&w] { return w.leader; }, {0.05, 2});
  std::vector<Fault> faults;
  uint64_t salt = 1;
  for (FaultKind k : all_kinds()) faults.push_back({seconds(1), k, seconds(10), salt++});
  faults.push_back({seconds(20), FaultKind::kKillAll, seconds(1), salt++});
  nem.schedule(faults);
  w.sim.run_until(TimePoint(seconds(2)));
  EXPECT_GT(w.cut_links(), 0u);
  nem.stop();
  EXPECT_EQ(w.cut_links(), 0u);
  for (NodeId id : w.nodes) {
    EXPECT_TRUE(w.sim.running(id)) << id;
    EXPECT_FALSE(w.sim.paused(id)) << id;
    EXPECT_FALSE(w.sim.disk_state(id).full) << id;
    EXPECT_EQ(w.sim.disk_state(id).config.read_corruption_probability, 0) << id;
  }
  EXPECT_EQ(w.sim.options().link.loss_probability, 0);
  w.sim.run_until(TimePoint(seconds(21)));
  for (NodeId id : w.nodes) EXPECT_TRUE(w.sim.running(id)) << "a fault after stop() ran";
  for (const AppliedFault& a : nem.applied()) EXPECT_LE(a.end, TimePoint(seconds(2)));
}

TEST(Nemesis, DiskDamageStaysWithinTheBudget) {
  World w;
  Nemesis nem(w.sim, w.nodes, [&w] { return w.leader; }, {0.05, 2});
  for (NodeId id : w.nodes) {
    // Give each node a replica file to damage.
    auto& files = w.sim.disk_state(id).files;
    auto f = std::make_shared<sim::SimFileState>();
    f->data.assign(4096, 'x');
    f->durable = f->data;
    files["raft/g0/wal/1.log"] = f;
  }
  std::vector<Fault> flips;
  for (uint64_t i = 0; i < 40; ++i) flips.push_back({milliseconds(100 * (i + 1)), FaultKind::kBitFlip, {}, i});
  nem.schedule(flips);
  w.sim.run_until(TimePoint(seconds(5)));
  EXPECT_EQ(nem.damaged().size(), 2u);
}

TEST(Nemesis, ClockDriftStaysWithinTheBound) {
  World w;
  Nemesis nem(w.sim, w.nodes, [&w] { return w.leader; }, {0.02, 0});
  std::vector<Fault> drifts;
  for (uint64_t i = 0; i < 30; ++i) drifts.push_back({seconds(1), FaultKind::kClockDrift, seconds(100), i});
  nem.schedule(drifts);
  w.sim.run_until(TimePoint(seconds(1)));
  for (NodeId id : w.nodes) {
    const Duration before = w.sim.clock_offset(id);
    w.sim.run_for(seconds(10));
    const double rate = to_seconds_f(w.sim.clock_offset(id) - before) / 10;
    EXPECT_LE(std::abs(rate), 0.02) << id;
  }
}

TEST(Swarm, SameSeedSameSwarmAndSchedule) {
  auto make = [](uint64_t seed) {
    Rng rng(seed);
    SwarmConfig s = choose_swarm(rng, all_kinds(), std::nullopt);
    return std::make_pair(s.describe(), generate_faults(s, seconds(2), seconds(30), 3, rng));
  };
  EXPECT_EQ(make(9), make(9));
  std::set<std::string> swarms;
  for (uint64_t seed = 1; seed <= 20; ++seed) swarms.insert(make(seed).first);
  EXPECT_GT(swarms.size(), 15u) << "seeds should choose different swarms";
}

TEST(Swarm, FaultsStayInsideTheWindowAndUseOnlyChosenKinds) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Rng rng(seed);
    SwarmConfig s = choose_swarm(rng, {FaultKind::kKillOne, FaultKind::kPause, FaultKind::kClockOffset},
                                 Intensity::kHigh);
    ASSERT_FALSE(s.kinds.empty());
    for (const Fault& f : generate_faults(s, seconds(2), seconds(30), 3, rng)) {
      EXPECT_GE(f.at, seconds(2));
      EXPECT_LE(f.at + f.length, seconds(30));
      EXPECT_NE(std::find(s.kinds.begin(), s.kinds.end(), f.kind), s.kinds.end());
    }
  }
}

TEST(FaultKinds, NamesRoundTrip) {
  for (FaultKind k : all_kinds()) EXPECT_EQ(parse_kind(kind_name(k)), k);
  EXPECT_FALSE(parse_kind("meteor-strike"));
}

}  // namespace
}  // namespace shoal::chaos
