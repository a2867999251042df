#include "scenarios/cluster.h"

namespace shoal::scenarios {

std::vector<NodeId> node_ids(int n) {
  std::vector<NodeId> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(static_cast<NodeId>(i));
  return ids;
}

void add_nodes(sim::Simulation& sim, int n, std::function<NodeConfig(NodeId)> make_config) {
  for (NodeId id : node_ids(n)) {
    sim.add_process(id, "node" + std::to_string(id), [make_config, id](Env& env) {
      return std::make_unique<NodeProcess>(env, make_config(id));
    });
  }
}

}  // namespace shoal::scenarios
