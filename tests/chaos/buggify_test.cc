// BUGGIFY: enabled per site from the seed, fires at random, never outside
// the simulator, and compiles to false with SHOAL_NO_BUGGIFY.
#include <gtest/gtest.h>

#include "engine/env/buggify.h"
#include "sim/simulation.h"

namespace shoal {
namespace {

class Idle final : public sim::Process {};

// An Env that counts buggify() calls (a real-mode Env answers false).
class CountingEnv final : public Env {
 public:
  NodeId self() const override { return 1; }
  Clock& clock() override { std::abort(); }
  Rng& random() override { std::abort(); }
  Network& network() override { std::abort(); }
  Disk& disk() override { std::abort(); }
  void log(LogLevel, std::string_view, std::string_view) override {}
  bool simulated() const override { return simulated_; }
  bool buggify(std::string_view) override {
    ++calls;
    return true;
  }
  bool simulated_ = false;
  int calls = 0;
};

TEST(Buggify, NeverAsksOutsideTheSimulator) {
  CountingEnv env;
  EXPECT_FALSE(BUGGIFY(env));
  EXPECT_EQ(env.calls, 0);
  env.simulated_ = true;
  EXPECT_TRUE(BUGGIFY(env));
  EXPECT_EQ(env.calls, 1);
}

TEST(Buggify, SitesAreEnabledFromTheSeedAndFireSometimes) {
  auto enabled_sites = [](uint64_t seed) {
    sim::Simulation s(seed, sim::SimOptions{.buggify = {true, 0.5, 0.5}});
    std::vector<bool> on;
    for (int i = 0; i < 64; ++i) on.push_back(s.buggify_site_enabled("site" + std::to_string(i)));
    return on;
  };
  EXPECT_EQ(enabled_sites(5), enabled_sites(5));
  EXPECT_NE(enabled_sites(5), enabled_sites(6));
  const auto on = enabled_sites(5);
  const auto count = std::count(on.begin(), on.end(), true);
  EXPECT_GT(count, 16);
  EXPECT_LT(count, 48);

  sim::Simulation s(5, sim::SimOptions{.buggify = {true, 1.0, 0.5}});
  s.add_process(1, "n1", [](Env&) { return std::make_unique<Idle>(); });
  int fired = 0;
  for (int i = 0; i < 1000; ++i) fired += BUGGIFY(*s.env(1)) ? 1 : 0;
  EXPECT_GT(fired, 400);
  EXPECT_LT(fired, 600);
  EXPECT_EQ(s.stats().buggify_fired, static_cast<uint64_t>(fired));
}

TEST(Buggify, OffUnlessTheRunEnablesIt) {
  sim::Simulation s(5);
  s.add_process(1, "n1", [](Env&) { return std::make_unique<Idle>(); });
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(BUGGIFY(*s.env(1)));
}

}  // namespace
}  // namespace shoal
