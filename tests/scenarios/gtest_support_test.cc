// The user-facing GoogleTest helper passes good runs and reports bad ones
// with their replay commands.
#include "scenarios/gtest_support.h"

#include <gtest/gtest.h>
#include <gtest/gtest-spi.h>
#include <sys/wait.h>

#include <cstdio>

#include "reports/run_digest.h"

namespace shoal::scenarios {
namespace {

TEST(GtestSupport, PassingSeedsAddNoFailure) { SHOAL_EXPECT_SCENARIO_PASSES("health-basic", 1, 3); }

TEST(GtestSupport, AFailingSeedIsReportedWithItsReplayCommand) {
  const std::string report = run_seeds("health-basic", 1, 2, {{"claimed_recovery_bound", "1ms"}});
  EXPECT_NE(report.find("health-basic seed 1 failed"), std::string::npos) << report;
  EXPECT_NE(report.find(" sim run --scenario health-basic --seed 2 --param claimed_recovery_bound=1ms\n"),
            std::string::npos)
      << report;
  EXPECT_NONFATAL_FAILURE(
      SHOAL_EXPECT_SCENARIO_PASSES_WITH("health-basic", 1, 1,
                                        (std::map<std::string, std::string>{{"claimed_recovery_bound", "1ms"}})),
      "replay:");
}

// What `command` printed, and how it exited.
int run_command(const std::string& command, std::string* out) {
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out->append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The command a failure report prints, run as printed from a directory of
// the user's own, replays the failing run: the same exit code and trace hash.
TEST(GtestSupport, ThePrintedReplayCommandReplaysTheRun) {
  const std::map<std::string, std::string> params{{"claimed_recovery_bound", "1ms"}};
  const std::string report = run_seeds("health-basic", 3, 3, params);
  const size_t at = report.find("replay: ");
  ASSERT_NE(at, std::string::npos) << report;
  const std::string command = report.substr(at + 8, report.find('\n', at) - at - 8);
  ScenarioOptions o;
  o.seed = 3;
  o.params = params;
  const ScenarioResult r = run_scenario(*find_scenario("health-basic"), o);
  std::string out;
  const int code = run_command("cd '" + testing::TempDir() + "' && " + command + " --json 2>&1", &out);
  EXPECT_EQ(code, 1) << command << "\n" << out;
  EXPECT_NE(out.find("\"trace_hash\":\"" + reports::trace_hash_hex(r.trace_hash) + "\""), std::string::npos)
      << command << "\n" << out;
}

TEST(GtestSupport, UnknownScenarioIsNamed) {
  EXPECT_EQ(run_seeds("no-such", 1, 1), "no scenario named 'no-such'");
}

}  // namespace
}  // namespace shoal::scenarios
