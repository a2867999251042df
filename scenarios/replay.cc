#include "scenarios/replay.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace shoal::scenarios {
namespace {

// A byte count as --memory-max reads it back: in the largest unit it fills.
std::string bytes_flag(uint64_t bytes) {
  for (const auto& [shift, unit] : {std::pair{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}}) {
    if (bytes % (uint64_t{1} << shift) == 0) return std::to_string(bytes >> shift) + unit;
  }
  return std::to_string(bytes);
}

// A duration as --duration reads it back, in the largest unit it fills:
// "20s", not "20.000000s".
std::string duration_flag(Duration d) {
  for (const auto& [unit_ns, unit] : {std::pair<int64_t, const char*>{1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}}) {
    if (d.count() % unit_ns == 0) return std::to_string(d.count() / unit_ns) + unit;
  }
  return std::to_string(d.count()) + "ns";
}

}  // namespace

RunCommand run_command_of(const ScenarioResult& r) {
  return {r.scenario, r.seed, r.nodes_given, r.duration_given, r.params, r.schedule_source, r.bounds_given};
}

std::string replay_command(const RunCommand& c, const std::string& binary) {
  std::string s = shell_quote(path_from_here(binary)) + " sim run --scenario " + shell_quote(c.scenario) +
                  " --seed " + std::to_string(c.seed);
  if (c.nodes) s += " --nodes " + std::to_string(*c.nodes);
  if (c.duration) s += " --duration " + duration_flag(*c.duration);
  for (const auto& [k, v] : c.params) s += " --param " + shell_quote(k + "=" + v);
  if (!c.schedule.empty()) s += " --schedule " + shell_quote(c.schedule);
  if (c.bounds.events_max) s += " --events-max " + std::to_string(*c.bounds.events_max);
  if (c.bounds.wall_time_max) s += " --wall-time-max " + duration_flag(*c.bounds.wall_time_max);
  if (c.bounds.memory_max_bytes) s += " --memory-max " + bytes_flag(*c.bounds.memory_max_bytes);
  return s;
}

std::string replay_command(const ScenarioResult& r, const std::string& binary) {
  return replay_command(run_command_of(r), binary);
}

std::string running_binary() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "shoal";
}

std::string shoal_binary_of_this_build() { return std::string(SHOAL_BINARY_DIR) + "/shoal"; }

std::string path_from_here(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec).lexically_normal();
  const std::filesystem::path here = std::filesystem::current_path(ec);
  if (ec || absolute.empty()) return path;
  const std::filesystem::path relative = absolute.lexically_relative(here);
  if (relative.empty() || *relative.begin() == "..") return absolute.string();
  return "./" + relative.string();
}

std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789_-./=:,+@%") == std::string::npos;
  if (plain) return word;
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace shoal::scenarios
