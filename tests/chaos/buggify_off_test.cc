// With SHOAL_NO_BUGGIFY (-DSHOAL_BUGGIFY=OFF) a site is the constant false:
// the Env is never asked, even inside the simulator.
#define SHOAL_NO_BUGGIFY 1
#include <gtest/gtest.h>

#include "engine/env/buggify.h"

namespace shoal {
namespace {

class AskedEnv final : public Env {
 public:
  NodeId self() const override { return 1; }
  Clock& clock() override { std::abort(); }
  Rng& random() override { std::abort(); }
  Network& network() override { std::abort(); }
  Disk& disk() override { std::abort(); }
  void log(LogLevel, std::string_view, std::string_view) override {}
  bool simulated() const override { return true; }
  bool buggify(std::string_view) override { std::abort(); }
};

TEST(BuggifyOff, SitesCompileToFalse) {
  AskedEnv env;
  EXPECT_FALSE(BUGGIFY(env));
}

}  // namespace
}  // namespace shoal
