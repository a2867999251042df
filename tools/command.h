// The registry of `shoal` subcommands.
//
// Each cmd_*.cc file defines a static CommandRegistration whose function adds
// its subcommands to the CLI11 app. main() runs them in name order, so the
// help text is stable. Exit codes are shared by every command (see ExitCode).
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace shoal::tools {

// Exit codes: the class of the outcome, the same for every command.
enum ExitCode : int {
  kExitPass = 0,
  kExitCheckFailed = 1,
  kExitUsage = 2,
  kExitLiveness = 3,
  kExitNondeterminism = 4,
  kExitAssertion = 5,  // an engine assertion stopped a simulated run
  kExitRunBound = 6,   // a simulated run passed its bound on events, wall time or memory
};

// A subcommand's action returns its exit code; CLI11 parses into captured state.
using Action = std::function<int()>;

struct CommandRegistration {
  CommandRegistration(std::string name, std::function<void(CLI::App& root)> add);
};

// Finds `name` under parent or adds it (used for shared groups like `sim`, `bench`).
CLI::App& group(CLI::App& parent, const std::string& name, const std::string& description);

// Sets a subcommand's action; main() runs the action of the subcommand parsed.
void set_action(CLI::App& cmd, Action action);

// Prints "shoal: <message>" to stderr and returns kExitUsage.
int usage_error(const std::string& message);

}  // namespace shoal::tools
