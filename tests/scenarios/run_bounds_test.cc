// run_scenario's guard: the bounds each run gets, and what a stopped run's
// result says.
#include <gtest/gtest.h>

#include "scenarios/scenario.h"

namespace shoal::scenarios {
namespace {

TEST(RunBounds, TheEventBoundScalesWithTheRunsDuration) {
  const Scenario& s = *find_scenario("chaos-kv");
  ScenarioOptions o;
  EXPECT_EQ(run_bounds(s, o).events_max, sim::RunBounds{}.events_max);  // 30 s is under the floor
  o.duration = hours(1);
  EXPECT_EQ(run_bounds(s, o).events_max, 3600 * kEventsPerVirtualSecondMax);
  EXPECT_EQ(run_bounds(s, o).wall_time_max, sim::RunBounds{}.wall_time_max);
  o.bounds = {1000, seconds(5), uint64_t{1} << 30};
  const sim::RunBounds given = run_bounds(s, o);
  EXPECT_EQ(given.events_max, 1000u);
  EXPECT_EQ(given.wall_time_max, seconds(5));
  EXPECT_EQ(given.memory_max_bytes, uint64_t{1} << 30);
}

TEST(RunBounds, AStoppedRunIsNoPassAndItsLivenessIsNotJudged) {
  const Scenario& s = *find_scenario("leader-failover");
  ScenarioOptions o;
  o.seed = 2;
  o.bounds.events_max = 500;
  const ScenarioResult r = run_scenario(s, o);
  ASSERT_TRUE(r.stop.has_value());
  EXPECT_EQ(r.stop->kind, sim::StopKind::kEventsMax);
  EXPECT_EQ(r.stop->events, 500u);
  EXPECT_EQ(r.stats.events, 500u);
  EXPECT_EQ(r.virtual_time, r.stop->at.time_since_epoch());
  EXPECT_FALSE(r.passed());
  EXPECT_FALSE(r.liveness.ok);
  EXPECT_EQ(r.liveness.message.rfind("not judged: the run stopped at ", 0), 0u) << r.liveness.message;
  EXPECT_EQ(r.bounds.events_max, 500u);
  EXPECT_EQ(r.bounds_given.events_max, 500u);
}

TEST(RunBounds, BoundsNotReachedLeaveTheRunAsItWas) {
  const Scenario& s = *find_scenario("chaos-kv");
  ScenarioOptions o;
  o.seed = 5;
  const ScenarioResult plain = run_scenario(s, o);
  o.bounds = {plain.stats.events, hours(1), uint64_t{64} << 30};
  const ScenarioResult bounded = run_scenario(s, o);
  EXPECT_FALSE(plain.stop.has_value());
  EXPECT_FALSE(bounded.stop.has_value()) << bounded.stop->message;
  EXPECT_EQ(plain.trace_hash, bounded.trace_hash);
  EXPECT_TRUE(bounded.passed());
}

}  // namespace
}  // namespace shoal::scenarios
