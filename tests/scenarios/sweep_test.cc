// The CI sweep: every scenario of the catalogue over many seeds, each seed a
// fresh simulated cluster, and a determinism check on a sample of seeds.
// SHOAL_SWEEP_SEEDS overrides the seed count (default 200).
#include <gtest/gtest.h>

#include <cstdlib>

#include "scenarios/gtest_support.h"
#include "scenarios/replay.h"
#include "scenarios/scenario.h"

namespace shoal::scenarios {
namespace {

uint64_t seeds() {
  const char* s = std::getenv("SHOAL_SWEEP_SEEDS");
  return s ? std::strtoull(s, nullptr, 10) : 200;
}

class Sweep : public ::testing::TestWithParam<std::string> {};

TEST_P(Sweep, EverySeedPasses) {
  const Scenario* s = find_scenario(GetParam());
  ASSERT_NE(s, nullptr);
  const uint64_t n = seeds();
  uint64_t failed = 0;
  for (uint64_t seed = 1; seed <= n; ++seed) {
    ScenarioOptions o;
    o.seed = seed;
    const ScenarioResult r = run_scenario(*s, o);
    if (!r.passed()) {
      ++failed;
      ADD_FAILURE() << describe_failure(r);
      if (failed >= 3) break;
    }
  }
}

TEST_P(Sweep, SampledSeedsAreDeterministic) {
  const Scenario* s = find_scenario(GetParam());
  ASSERT_NE(s, nullptr);
  for (uint64_t seed : {3u, 101u, 977u}) {
    ScenarioOptions o;
    o.seed = seed;
    const uint64_t a = run_scenario(*s, o).trace_hash;
    const uint64_t b = run_scenario(*s, o).trace_hash;
    EXPECT_EQ(a, b) << s->name << " seed " << seed << ": replay with "
                    << replay_command(RunCommand{s->name, seed}, shoal_binary_of_this_build())
                    << " --check-determinism";
  }
}

std::vector<std::string> names() {
  std::vector<std::string> v;
  for (const auto& s : catalogue()) v.push_back(s.name);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Sweep, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace shoal::scenarios
