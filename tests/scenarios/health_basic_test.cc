// health-basic over many seeds, its determinism, and proof that its checkers
// can fail: a monitor slower than the bound it is held to is caught.
#include <gtest/gtest.h>

#include "scenarios/scenario.h"

namespace shoal::scenarios {
namespace {

ScenarioResult run(uint64_t seed, std::map<std::string, std::string> params = {}) {
  ScenarioOptions o;
  o.seed = seed;
  o.params = std::move(params);
  return run_scenario(*find_scenario("health-basic"), o);
}

TEST(HealthBasic, OneSeedOneTraceHashAcrossASample) {
  for (uint64_t seed : {1, 17, 99, 1234567}) {
    EXPECT_EQ(run(seed).trace_hash, run(seed).trace_hash) << "seed " << seed;
  }
  EXPECT_NE(run(1).trace_hash, run(2).trace_hash);
}

TEST(HealthBasic, MonitorSlowerThanItsClaimedBoundFails) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const ScenarioResult r =
        run(seed, {{"unhealthy_after_missed", "8"}, {"claimed_detection_bound", "600ms"}});
    ASSERT_EQ(r.checks[0].name, "unhealthy-within-detection-bound");
    EXPECT_FALSE(r.checks[0].ok) << "seed " << seed;
    EXPECT_FALSE(r.passed());
  }
}

TEST(HealthBasic, RecoveryClaimTighterThanPossibleFails) {
  const ScenarioResult r = run(1, {{"claimed_recovery_bound", "1ms"}});
  ASSERT_EQ(r.checks[1].name, "healthy-within-recovery-bound");
  EXPECT_FALSE(r.checks[1].ok);
}

TEST(HealthBasic, UnknownParameterIsRejected) {
  EXPECT_THROW(run(1, {{"no_such", "1"}}), std::invalid_argument);
  EXPECT_THROW(run(1, {{"heartbeat_interval", "soon"}}), std::invalid_argument);
}

}  // namespace
}  // namespace shoal::scenarios
