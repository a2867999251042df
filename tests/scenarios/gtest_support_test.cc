// The user-facing GoogleTest helper passes good runs and reports bad ones
// with their replay commands.
#include "scenarios/gtest_support.h"

#include <gtest/gtest.h>
#include <gtest/gtest-spi.h>

namespace shoal::scenarios {
namespace {

TEST(GtestSupport, PassingSeedsAddNoFailure) { SHOAL_EXPECT_SCENARIO_PASSES("health-basic", 1, 3); }

TEST(GtestSupport, AFailingSeedIsReportedWithItsReplayCommand) {
  const std::string report = run_seeds("health-basic", 1, 2, {{"claimed_recovery_bound", "1ms"}});
  EXPECT_NE(report.find("health-basic seed 1 failed"), std::string::npos) << report;
  EXPECT_NE(report.find("replay: ./tools/shoal sim run --scenario health-basic --seed 2 --param "
                        "claimed_recovery_bound=1ms"),
            std::string::npos)
      << report;
  EXPECT_NONFATAL_FAILURE(
      SHOAL_EXPECT_SCENARIO_PASSES_WITH("health-basic", 1, 1,
                                        (std::map<std::string, std::string>{{"claimed_recovery_bound", "1ms"}})),
      "replay:");
}

TEST(GtestSupport, UnknownScenarioIsNamed) {
  EXPECT_EQ(run_seeds("no-such", 1, 1), "no scenario named 'no-such'");
}

}  // namespace
}  // namespace shoal::scenarios
