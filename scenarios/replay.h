// The one command that replays a run, as every part of the harness prints it.
//
// A failure is fully described by (build, scenario, seed) plus whatever the
// run was given: a cluster size, a duration, parameters, a schedule and
// bounds. replay_command writes those as a shell command that names the
// binary that actually ran (shoal, shoal-planted, or the shoal of the build a
// test binary came from) by a path that works from the working directory,
// so a user can paste it where they are. Arguments are quoted for the shell
// where they need it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "scenarios/scenario.h"

namespace shoal::scenarios {

// What a replay command says.
struct RunCommand {
  std::string scenario;
  uint64_t seed = 0;
  std::optional<int> nodes;
  std::optional<Duration> duration;
  std::map<std::string, std::string> params;
  std::string schedule;  // --schedule's path as the user gave it ("" when none)
  BoundsGiven bounds;
};

// What a run was given, from its result.
RunCommand run_command_of(const ScenarioResult& r);

// "BINARY sim run --scenario S --seed N [--nodes N] [--duration D]
// [--param K=V]... [--schedule FILE] [--events-max N] [--wall-time-max D]
// [--memory-max B]": only what the run was given, since the virtual time a
// run reaches is no duration to pass back (a scenario may run a quiet tail
// past it). `binary` is shown by path_from_here.
std::string replay_command(const RunCommand& c, const std::string& binary);
std::string replay_command(const ScenarioResult& r, const std::string& binary);

// This process's executable (/proc/self/exe): the binary that ran a CLI run.
std::string running_binary();
// The shoal binary of the build this library was built in: the one that
// replays a run made inside a test binary.
std::string shoal_binary_of_this_build();
// `path` as the working directory reaches it: "./x/y" when it is below the
// working directory, else absolute.
std::string path_from_here(const std::string& path);
// `word` as one shell word: unchanged when it is plain, else single-quoted.
std::string shell_quote(const std::string& word);

}  // namespace shoal::scenarios
