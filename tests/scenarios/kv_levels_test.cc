// Consistency levels end to end: scripted clients on a simulated 3-node group,
// each test pinning one promise a level makes (or one bug a level had).
#include <gtest/gtest.h>

#include "scenarios/kv_run.h"

namespace shoal::scenarios {
namespace {

ScriptedOp after(Duration think, check::Op op) { return ScriptedOp{think, std::move(op)}; }

// Runs scripted clients (one script each) at the given levels, with no
// faults, and returns the run's history.
struct ScriptedRun {
  std::vector<std::vector<ScriptedOp>> scripts;
  std::vector<WriteLevel> write_levels{WriteLevel::kQuorum};
  std::vector<ReadLevel> read_levels{ReadLevel::kLinearizable};
  std::function<void(KvRun&)> nemesis;

  ScenarioResult run(uint64_t seed = 1) {
    KvRunConfig c;
    c.name = "scripted";
    c.duration = seconds(12);
    c.clients = static_cast<int>(scripts.size());
    c.write_levels = write_levels;
    c.read_levels = read_levels;
    c.scripts = std::make_shared<std::vector<std::vector<ScriptedOp>>>(scripts);
    ScenarioOptions o;
    o.seed = seed;
    KvRun run(o, c);
    if (nemesis) nemesis(run);
    return run.run(nullptr);
  }
};

std::string describe(const ScenarioResult& r) {
  std::string s;
  for (const auto& op : r.history->operations()) s += check::describe(op) + "\n";
  for (const auto& c : r.checks) s += c.name + (c.ok ? " ok\n" : " FAILED: " + c.message + "\n");
  return s;
}

// Bug: a session token is a Raft index (it counts the leader's no-op and
// configuration entries) but the state machine compared it with its own
// count of applied commands, so after the first read every session read
// timed out until some client wrote. Reads alone, on a fresh cluster.
TEST(KvLevels, SessionReadsServeWhenTheTermHasNoWrites) {
  ScriptedRun s;
  s.read_levels = {ReadLevel::kSession};
  s.scripts = {{after(seconds(2), check::Op::read("k0")), after(milliseconds(10), check::Op::read("k0")),
                after(milliseconds(10), check::Op::read("k0")), after(milliseconds(10), check::Op::read("k0"))}};
  const ScenarioResult r = s.run();
  ASSERT_EQ(r.history->size(), 4u) << describe(r);
  for (const auto& op : r.history->operations()) EXPECT_TRUE(op.ok()) << describe(r);
}

// The same after a failover: the new leader's term holds only its no-op.
TEST(KvLevels, SessionReadsServeAfterAFailoverWithNoWriteSince) {
  ScriptedRun s;
  s.read_levels = {ReadLevel::kSession};
  s.scripts = {{after(seconds(1), check::Op::write("k0", "a")), after(seconds(4), check::Op::read("k0")),
                after(milliseconds(10), check::Op::read("k0")), after(milliseconds(10), check::Op::read("k0"))}};
  s.nemesis = [](KvRun& run) {
    run.sim().at(TimePoint(seconds(2)), "kill leader", [&run] {
      const NodeId l = run.leader();
      run.sim().crash(l);
      run.sim().after(seconds(1), "restart", [&run, l] { run.sim().restart(l); });
    });
  };
  const ScenarioResult r = s.run();
  ASSERT_EQ(r.history->size(), 4u) << describe(r);
  for (const auto& op : r.history->operations()) EXPECT_TRUE(op.ok()) << describe(r);
  EXPECT_EQ((*r.history)[3].result.value, "a") << describe(r);
}

// Bug: a leader-level write was acknowledged once the leader's copy was
// durable, before it was applied, with an empty result the client read as
// success — so a CAS whose comparison failed was reported as done. A
// leader-level write that returns before apply is "accepted": its effect is
// not known to the client, never invented.
TEST(KvLevels, LeaderLevelCasNeverReportsAnInventedResult) {
  ScriptedRun s;
  s.write_levels = {WriteLevel::kQuorum, WriteLevel::kLeader};
  s.scripts = {{after(seconds(1), check::Op::write("k0", "a"))},
               {after(seconds(3), check::Op::cas("k0", "x", "y")),
                after(milliseconds(10), check::Op::cas("k0", std::nullopt, "z")),
                after(milliseconds(10), check::Op::read("k0"))}};
  const ScenarioResult r = s.run();
  ASSERT_EQ(r.history->size(), 4u) << describe(r);
  for (size_t i = 1; i <= 2; ++i) {
    const check::Operation& cas = (*r.history)[i];
    // Either the comparison's real outcome (it failed: the value is "a") or
    // an unknown outcome; never "applied".
    EXPECT_FALSE(cas.ok() && cas.result.applied) << describe(r);
  }
  EXPECT_EQ((*r.history)[3].result.value, "a") << describe(r);
  for (const auto& c : r.checks) EXPECT_TRUE(c.ok) << describe(r);
}

}  // namespace
}  // namespace shoal::scenarios
