// The simulator's own promises, as properties over seeds and fault schedules.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "engine/core/codec.h"
#include "sim/simulation.h"

namespace shoal::sim {
namespace {

constexpr ChannelId kTestChannel = 7;

// What the test observes survives the processes it observes.
struct Observed {
  struct Arrival {
    NodeId to;
    uint64_t id;
    int64_t sent_ns;
    int64_t arrived_ns;
  };
  std::vector<Arrival> arrivals;
};

// A process that records every message it receives.
class Recorder final : public Process {
 public:
  Recorder(Env& env, Observed& seen) : env_(env) {
    env_.network().set_handler(kTestChannel, [this, &seen](Message&& m) {
      Reader r(m.payload);
      const uint64_t id = r.u64();
      const int64_t sent = r.i64();
      seen.arrivals.push_back({env_.self(), id, sent, to_ns(env_.now())});
    });
  }
  void send(NodeId to, uint64_t id) {
    Writer w;
    w.u64(id);
    w.i64(to_ns(env_.now()));
    env_.network().send(to, kTestChannel, w.take());
  }

 private:
  Env& env_;
};

void add_recorders(Simulation& sim, int n, Observed& seen) {
  for (NodeId id = 1; id <= static_cast<NodeId>(n); ++id) {
    sim.add_process(id, "n" + std::to_string(id),
                    [&seen](Env& env) { return std::make_unique<Recorder>(env, seen); });
  }
}

RC_GTEST_PROP(Simulation, WithoutFaultsEveryMessageArrivesOnceWithinLatencyBounds, (uint64_t seed)) {
  SimOptions opts;
  opts.link.latency_min = milliseconds(*rc::gen::inRange(0, 5));
  opts.link.latency_max = opts.link.latency_min + milliseconds(*rc::gen::inRange(0, 20));
  Simulation sim(seed, opts);
  Observed seen;
  const int n = *rc::gen::inRange(2, 6);
  add_recorders(sim, n, seen);
  const int messages = *rc::gen::inRange(1, 200);
  std::map<uint64_t, NodeId> sent_to;
  for (int i = 0; i < messages; ++i) {
    const NodeId from = 1 + sim.rng().below(n);
    const NodeId to = 1 + sim.rng().below(n);
    sim.after(milliseconds(sim.rng().below(100)), "send", [&sim, &sent_to, from, to, i] {
      sim.process_as<Recorder>(from)->send(to, i);
      sent_to[i] = to;
    });
  }
  sim.run_for(seconds(10));
  RC_ASSERT(seen.arrivals.size() == static_cast<size_t>(messages));
  std::set<uint64_t> ids;
  for (const auto& a : seen.arrivals) {
    RC_ASSERT(ids.insert(a.id).second);  // exactly once
    RC_ASSERT(sent_to.at(a.id) == a.to);  // to the right process
    const int64_t latency = a.arrived_ns - a.sent_ns;
    RC_ASSERT(latency >= opts.link.latency_min.count());
    RC_ASSERT(latency <= opts.link.latency_max.count());
  }
}

RC_GTEST_PROP(Simulation, ACutLinkDeliversNothingWhileCut, (uint64_t seed)) {
  Simulation sim(seed);
  Observed seen;
  add_recorders(sim, 3, seen);
  const int64_t cut_at = Duration(milliseconds(*rc::gen::inRange(10, 100))).count();
  const int64_t heal_at = cut_at + Duration(milliseconds(*rc::gen::inRange(10, 200))).count();
  sim.at(from_ns(cut_at), "cut", [&] { sim.cut(1, 2); });
  sim.at(from_ns(heal_at), "heal", [&] { sim.heal(1, 2); });
  for (int i = 0; i < 300; ++i) {
    sim.after(milliseconds(i), "send", [&sim, i] {
      sim.process_as<Recorder>(1)->send(2, i);
      sim.process_as<Recorder>(1)->send(3, 1000 + i);
    });
  }
  sim.run_for(seconds(2));
  bool after_heal = false, other_link_during_cut = false;
  for (const auto& a : seen.arrivals) {
    if (a.to == 2) {
      RC_ASSERT(!(a.arrived_ns >= cut_at && a.arrived_ns < heal_at));
      after_heal |= a.arrived_ns >= heal_at;
    } else {
      other_link_during_cut |= a.arrived_ns >= cut_at && a.arrived_ns < heal_at;
    }
  }
  RC_ASSERT(after_heal);  // the link works again once healed
  RC_ASSERT(other_link_during_cut);  // a cut is directed and per link
}

// Appends numbered records and syncs; remembers which syncs completed.
struct DiskLedger {
  uint64_t acknowledged = 0;  // records whose sync completed, over all incarnations
};

class Appender final : public Process {
 public:
  Appender(Env& env, DiskLedger& ledger) : env_(env), ledger_(ledger) {
    file_ = std::move(*env_.disk().open("data", true));
    // Recovery: keep the prefix of intact records, drop a torn tail.
    const std::string content = *file_->read_all();
    Reader r(content);
    while (r.remaining() >= kRecordBytes && r.u64() == next_) ++next_;
    EXPECT_TRUE(file_->truncate(next_ * kRecordBytes).ok());
    tick();
  }
  static constexpr uint64_t kRecordBytes = 8;

 private:
  void tick() {
    // Each record is its own index, so the surviving prefix is checkable.
    Writer w;
    w.u64(next_);
    if (file_->write(next_ * kRecordBytes, w.buffer()).ok()) {
      const uint64_t upto = ++next_;
      if (env_.random().chance(0.5)) {
        file_->sync([this, upto](absl::Status st) {
          if (st.ok()) ledger_.acknowledged = std::max(ledger_.acknowledged, upto);
        });
      }
    }
    env_.clock().after(microseconds(env_.random().range(50, 3000)), [this] { tick(); });
  }
  Env& env_;
  DiskLedger& ledger_;
  std::unique_ptr<File> file_;
  uint64_t next_ = 0;
};

RC_GTEST_PROP(Simulation, SyncedDataSurvivesAnyCrashSchedule, (uint64_t seed)) {
  Simulation sim(seed);
  DiskLedger ledger;
  sim.add_process(1, "writer", [&](Env& env) { return std::make_unique<Appender>(env, ledger); });
  const int crashes = *rc::gen::inRange(1, 12);
  for (int c = 0; c < crashes; ++c) {
    sim.run_for(milliseconds(*rc::gen::inRange(1, 300)));
    sim.crash(1);
    // After the crash, the durable content must hold every acknowledged record.
    const std::string& data = sim.disk_state(1).files.at("data")->data;
    RC_ASSERT(data.size() >= ledger.acknowledged * Appender::kRecordBytes);
    Reader r(data);
    for (uint64_t i = 0; i < ledger.acknowledged; ++i) RC_ASSERT(r.u64() == i);
    sim.run_for(milliseconds(*rc::gen::inRange(0, 50)));
    sim.restart(1);
  }
}

uint64_t run_for_hash(uint64_t seed) {
  SimOptions opts;
  opts.link.reorder_probability = 0.2;
  opts.link.duplicate_probability = 0.05;
  opts.link.loss_probability = 0.05;
  Simulation sim(seed, opts);
  Observed seen;
  add_recorders(sim, 4, seen);
  for (int i = 0; i < 200; ++i) {
    sim.after(microseconds(sim.rng().below(200000)), "send", [&sim, i] {
      const NodeId from = 1 + sim.rng().below(4), to = 1 + sim.rng().below(4);
      if (auto* p = sim.process_as<Recorder>(from)) p->send(to, i);
    });
  }
  sim.after(milliseconds(50), "crash", [&] { sim.crash(2); });
  sim.after(milliseconds(120), "restart", [&] { sim.restart(2); });
  sim.run_for(seconds(1));
  return sim.trace_hash();
}

RC_GTEST_PROP(Simulation, OneSeedOneTraceHash, (uint64_t seed)) {
  RC_ASSERT(run_for_hash(seed) == run_for_hash(seed));
}

TEST(Simulation, DifferentSeedsGiveDifferentSchedules) {
  std::set<uint64_t> hashes;
  for (uint64_t seed = 1; seed <= 50; ++seed) hashes.insert(run_for_hash(seed));
  EXPECT_EQ(hashes.size(), 50u);
}

// A process whose timer counts ticks into the test's ledger.
class Ticker final : public Process {
 public:
  Ticker(Env& env, std::vector<int64_t>& ticks) : env_(env), ticks_(ticks) { arm(); }

 private:
  void arm() {
    env_.clock().after(milliseconds(10), [this] {
      ticks_.push_back(to_ns(env_.now()));
      arm();
    });
  }
  Env& env_;
  std::vector<int64_t>& ticks_;
};

TEST(Simulation, CrashStopsTimersAndRestartStartsAFreshIncarnation) {
  Simulation sim(1);
  std::vector<int64_t> ticks;
  sim.add_process(1, "t", [&](Env& env) { return std::make_unique<Ticker>(env, ticks); });
  sim.run_for(milliseconds(105));
  EXPECT_EQ(ticks.size(), 10u);
  sim.crash(1);
  EXPECT_EQ(sim.process(1), nullptr);
  sim.run_for(milliseconds(100));
  EXPECT_EQ(ticks.size(), 10u);
  sim.restart(1);
  EXPECT_EQ(sim.incarnation(1), 1u);
  sim.run_for(milliseconds(55));
  EXPECT_EQ(ticks.size(), 15u);
}

TEST(Simulation, PauseHoldsEventsAndResumeRunsThemInOrder) {
  Simulation sim(1);
  std::vector<int64_t> ticks;
  sim.add_process(1, "t", [&](Env& env) { return std::make_unique<Ticker>(env, ticks); });
  sim.run_for(milliseconds(25));
  ASSERT_EQ(ticks.size(), 2u);
  sim.pause(1);
  sim.run_for(milliseconds(100));
  EXPECT_EQ(ticks.size(), 2u);
  sim.resume(1);
  sim.run_for(milliseconds(1));
  // The held timer fires late, at the resume, then the rhythm goes on.
  ASSERT_EQ(ticks.size(), 3u);
  EXPECT_EQ(ticks[2], Duration(milliseconds(125)).count());
}

TEST(Simulation, ClockOffsetAndDriftAreSeenByTheNodeOnly) {
  Simulation sim(1);
  std::vector<int64_t> ticks;
  sim.add_process(1, "t", [&](Env& env) { return std::make_unique<Ticker>(env, ticks); });
  sim.set_clock(1, ClockConfig{seconds(5), 0.25});
  sim.run_for(seconds(4));
  // Local time: 5 s offset + 4 s * 1.25.
  EXPECT_EQ(sim.env(1)->now(), TimePoint(seconds(10)));
  sim.jump_clock(1, seconds(-3));
  EXPECT_EQ(sim.env(1)->now(), TimePoint(seconds(7)));
  EXPECT_EQ(sim.now(), TimePoint(seconds(4)));
}

TEST(Simulation, FullDiskRejectsWritesAndFlipBitChangesStoredBytes) {
  Simulation sim(1);
  std::vector<int64_t> ticks;
  sim.add_process(1, "t", [&](Env& env) { return std::make_unique<Ticker>(env, ticks); });
  auto file = std::move(*sim.env(1)->disk().open("f", true));
  ASSERT_TRUE(file->append("abc").ok());
  sim.set_disk_full(1, true);
  EXPECT_EQ(file->append("d").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(file->write(0, "x").ok());  // overwriting needs no space
  EXPECT_TRUE(sim.flip_bit(1, "f", 1, 0));
  EXPECT_EQ(*file->read_all(), std::string("xcc"));
  EXPECT_FALSE(sim.flip_bit(1, "missing", 0, 0));
}

TEST(Simulation, ReadCorruptionFlipsBitsOnlyInWhatIsRead) {
  SimOptions opts;
  opts.disk.read_corruption_probability = 1.0;
  Simulation sim(1, opts);
  std::vector<int64_t> ticks;
  sim.add_process(1, "t", [&](Env& env) { return std::make_unique<Ticker>(env, ticks); });
  auto file = std::move(*sim.env(1)->disk().open("f", true));
  ASSERT_TRUE(file->append(std::string(64, 'a')).ok());
  EXPECT_NE(*file->read_all(), std::string(64, 'a'));
  EXPECT_EQ(sim.disk_state(1).files.at("f")->data, std::string(64, 'a'));
}

TEST(Simulation, UnsyncedWritesAreLostKeptOrTornAtCrash) {
  // Over many seeds all three fates must appear.
  std::set<std::string> fates;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    Simulation sim(seed);
    std::vector<int64_t> ticks;
    sim.add_process(1, "t", [&](Env& env) { return std::make_unique<Ticker>(env, ticks); });
    auto file = std::move(*sim.env(1)->disk().open("f", true));
    ASSERT_TRUE(file->append("durable|").ok());
    file->sync([](absl::Status) {});
    sim.run_for(milliseconds(10));
    ASSERT_TRUE(file->append("unsynced-write").ok());
    file.reset();
    sim.crash(1);
    const std::string& d = sim.disk_state(1).files.at("f")->data;
    ASSERT_EQ(d.substr(0, 8), "durable|");
    if (d == "durable|") fates.insert("lost");
    else if (d == "durable|unsynced-write") fates.insert("kept");
    else fates.insert("torn");
  }
  EXPECT_EQ(fates, (std::set<std::string>{"lost", "kept", "torn"}));
}

// crash-mid-sync's trap: the armed node dies before its next sync finishes,
// whatever the crash weights say, and loses what that sync would have made
// durable; the sync's callback never runs; an empty callback disarms.
TEST(Simulation, ATrappedSyncNeverFinishesAndItsWritesAreLost) {
  for (uint64_t seed = 0; seed < 32; ++seed) {
    Simulation sim(seed);
    std::vector<int64_t> ticks;
    sim.add_process(1, "t", [&](Env& env) { return std::make_unique<Ticker>(env, ticks); });
    sim.set_disk(1, DiskConfig{.crash = CrashDiskConfig{.keep_weight = 1, .lose_weight = 0, .tear_weight = 0}});
    auto file = std::move(*sim.env(1)->disk().open("f", true));
    ASSERT_TRUE(file->append("durable|").ok());
    file->sync([](absl::Status) {});
    sim.run_for(milliseconds(10));
    int crashed = 0;
    bool synced = false;
    sim.crash_in_next_sync(1, [&] { ++crashed; });
    ASSERT_TRUE(file->append("in-flight").ok());
    file->sync([&](absl::Status) { synced = true; });
    file.reset();
    sim.run_for(milliseconds(50));
    EXPECT_EQ(crashed, 1) << "seed " << seed;
    EXPECT_FALSE(synced) << "seed " << seed;
    EXPECT_FALSE(sim.running(1));
    EXPECT_EQ(sim.disk_state(1).files.at("f")->data, "durable|") << "seed " << seed;
    // The crash weights are the node's again: keep-only.
    EXPECT_EQ(sim.disk_state(1).config.crash.keep_weight, 1u);
    EXPECT_EQ(sim.disk_state(1).config.crash.lose_weight, 0u);
  }
  // Disarmed, a sync finishes.
  Simulation sim(1);
  std::vector<int64_t> ticks;
  sim.add_process(1, "t", [&](Env& env) { return std::make_unique<Ticker>(env, ticks); });
  sim.crash_in_next_sync(1, [] { ADD_FAILURE() << "a disarmed trap sprang"; });
  sim.crash_in_next_sync(1, nullptr);
  auto file = std::move(*sim.env(1)->disk().open("f", true));
  bool synced = false;
  ASSERT_TRUE(file->append("x").ok());
  file->sync([&](absl::Status) { synced = true; });
  sim.run_for(milliseconds(50));
  EXPECT_TRUE(synced);
  EXPECT_TRUE(sim.running(1));
}

}  // namespace
}  // namespace shoal::sim

namespace shoal::sim {
namespace {

class Idle final : public Process {};

TEST(Simulation, AtomicallyWrittenFileSurvivesCrashAndRestart) {
  Simulation sim(3);
  sim.add_process(1, "n", [](Env&) { return std::make_unique<Idle>(); });
  bool done = false;
  write_file_atomically(sim.env(1)->disk(), "dir/f", "content", [&](absl::Status st) {
    EXPECT_TRUE(st.ok()) << st;
    done = true;
  });
  sim.run_for(milliseconds(100));
  ASSERT_TRUE(done);
  EXPECT_TRUE(sim.env(1)->disk().exists("dir/f"));
  EXPECT_FALSE(sim.env(1)->disk().exists("dir/f.tmp"));
  sim.crash(1);
  sim.restart(1);
  ASSERT_TRUE(sim.env(1)->disk().exists("dir/f"));
  EXPECT_EQ(*(*sim.env(1)->disk().open("dir/f", false))->read_all(), "content");
}

}  // namespace
}  // namespace shoal::sim
