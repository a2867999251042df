// `shoal`: the command line of the simulator, the node and the tools.
#include <algorithm>
#include <iostream>
#include <map>
#include <vector>

#include "tools/command.h"

namespace shoal::tools {
namespace {

struct Registry {
  std::vector<std::pair<std::string, std::function<void(CLI::App&)>>> adders;
  std::map<const CLI::App*, Action> actions;
};

Registry& registry() {
  static Registry r;
  return r;
}

// The deepest parsed subcommand whose action is set.
const Action* parsed_action(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) {
    if (const Action* a = parsed_action(*sub)) return a;
    auto it = registry().actions.find(sub);
    if (it != registry().actions.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace

CommandRegistration::CommandRegistration(std::string name, std::function<void(CLI::App&)> add) {
  registry().adders.emplace_back(std::move(name), std::move(add));
}

CLI::App& group(CLI::App& parent, const std::string& name, const std::string& description) {
  for (CLI::App* sub : parent.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return *sub;
  }
  CLI::App* sub = parent.add_subcommand(name, description);
  sub->require_subcommand(1);
  return *sub;
}

void set_action(CLI::App& cmd, Action action) { registry().actions[&cmd] = std::move(action); }

int usage_error(const std::string& message) {
  std::cerr << "shoal: " << message << "\n";
  return kExitUsage;
}

}  // namespace shoal::tools

int main(int argc, char** argv) {
  using namespace shoal::tools;
  CLI::App app{"shoal: a distributed store and the simulator that proves it"};
  app.require_subcommand(1);
  auto& adders = registry().adders;
  std::stable_sort(adders.begin(), adders.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [name, add] : adders) add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, then the exit code for usage errors.
    std::cerr << "shoal: " << e.what() << " (see --help)\n";
    return kExitUsage;
  }
  const Action* action = parsed_action(app);
  if (action == nullptr) return usage_error("nothing to do (see --help)");
  try {
    return (*action)();
  } catch (const std::exception& e) {
    std::cerr << "shoal: " << e.what() << "\n";
    return kExitUsage;
  }
}
