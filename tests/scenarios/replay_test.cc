// The one replay command: what it names, how it quotes, and where its paths lead.
#include "scenarios/replay.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace shoal::scenarios {
namespace {

TEST(Replay, NamesWhatTheRunWasGivenAndNothingElse) {
  RunCommand c{"chaos-kv", 18446744073709551615u};
  EXPECT_EQ(replay_command(c, "/nowhere/shoal"), "/nowhere/shoal sim run --scenario chaos-kv --seed 18446744073709551615");
  c.nodes = 5;
  c.duration = milliseconds(20500);
  c.params = {{"workload.clients", "3"}, {"note", "two words"}};
  c.schedule = "my schedule.json";
  c.bounds.events_max = 1000;
  c.bounds.wall_time_max = seconds(90);
  c.bounds.memory_max_bytes = uint64_t{512} << 20;
  EXPECT_EQ(replay_command(c, "/nowhere/shoal-planted"),
            "/nowhere/shoal-planted sim run --scenario chaos-kv --seed 18446744073709551615 --nodes 5 "
            "--duration 20500ms --param 'note=two words' --param workload.clients=3 --schedule 'my schedule.json' "
            "--events-max 1000 --wall-time-max 90s --memory-max 512MiB");
}

TEST(Replay, TakesItsPartsFromAResult) {
  ScenarioResult r;
  r.scenario = "health-basic";
  r.seed = 4;
  r.nodes_given = 4;
  r.params = {{"claimed_recovery_bound", "1ms"}};
  r.virtual_time = seconds(65);  // how far the run got is no flag to pass back
  EXPECT_EQ(replay_command(r, "/x/shoal"),
            "/x/shoal sim run --scenario health-basic --seed 4 --nodes 4 --param claimed_recovery_bound=1ms");
}

TEST(Replay, QuotesForTheShell) {
  EXPECT_EQ(shell_quote("a-b_c.d/e=f:g,h+i@j%k"), "a-b_c.d/e=f:g,h+i@j%k");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's $HOME"), "'it'\\''s $HOME'");
}

TEST(Replay, PathsLeadThereFromTheWorkingDirectory) {
  const std::filesystem::path here = std::filesystem::current_path();
  EXPECT_EQ(path_from_here((here / "build" / "shoal").string()), "./build/shoal");
  EXPECT_EQ(path_from_here("build/../build/shoal"), "./build/shoal");
  EXPECT_EQ(path_from_here("/"), "/");
  const std::filesystem::path outside = here.parent_path() / "elsewhere" / "shoal";
  if (here != here.root_path()) {
    EXPECT_EQ(path_from_here(outside.string()), outside.string());
  }
}

TEST(Replay, TheBinariesExist) {
  EXPECT_TRUE(std::filesystem::exists(running_binary())) << running_binary();
  EXPECT_EQ(shoal_binary_of_this_build(), std::string(SHOAL_BINARY_DIR) + "/shoal");
}

}  // namespace
}  // namespace shoal::scenarios
