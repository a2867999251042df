// Running scenarios from a user's own GoogleTest tests.
//
//   #include "scenarios/gtest_support.h"
//   TEST(MyStore, SurvivesFailover) {
//     SHOAL_EXPECT_SCENARIO_PASSES("leader-failover", 1, 50);            // seeds 1..50
//     SHOAL_EXPECT_SCENARIO_PASSES_WITH("health-basic", 1, 10,
//                                       {{"unhealthy_after_missed", "4"}});
//   }
//
// Each failing seed is reported with what failed and the one command that
// replays it; the test stops at the third failure. Works inside RapidCheck
// properties too (the macro only adds GoogleTest failures).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "scenarios/scenario.h"

namespace shoal::scenarios {

// Runs seeds first..last of `scenario`; returns an empty string when every
// seed passed, else a report of the failures with their replay commands.
// The commands name the shoal binary of the build this library came from.
std::string run_seeds(const std::string& scenario, uint64_t first, uint64_t last,
                      const std::map<std::string, std::string>& params = {});

// What a failed run reports: what stopped it or failed, its trace hash and
// the command that replays it, a few lines that end with a newline.
std::string describe_failure(const ScenarioResult& r);

}  // namespace shoal::scenarios

#define SHOAL_EXPECT_SCENARIO_PASSES_WITH(scenario, first, last, params)                 \
  do {                                                                                    \
    const std::string shoal_report_ = ::shoal::scenarios::run_seeds(scenario, first, last, params); \
    EXPECT_TRUE(shoal_report_.empty()) << shoal_report_;                                  \
  } while (0)

#define SHOAL_EXPECT_SCENARIO_PASSES(scenario, first, last) \
  SHOAL_EXPECT_SCENARIO_PASSES_WITH(scenario, first, last, (std::map<std::string, std::string>{}))
