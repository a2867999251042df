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

NodeConfig kv_node_config(const std::vector<NodeId>& members, const std::vector<GroupId>& groups,
                          RaftObserver* observer) {
  NodeConfig c;
  c.members = members;
  c.raft_observer = observer;
  for (GroupId id : groups) {
    GroupSpec g;
    g.id = id;
    g.raft.initial_voters = members;
    c.groups.push_back(g);
  }
  return c;
}

NodeId serving_leader(sim::Simulation& sim, const std::vector<NodeId>& nodes, GroupId group) {
  for (NodeId id : nodes) {
    auto* p = sim.process_as<NodeProcess>(id);
    const Replica* g = p ? p->node().group(group) : nullptr;
    if (g != nullptr && g->raft() != nullptr && g->raft()->committed_in_current_term()) return id;
  }
  return kNoNode;
}

}  // namespace shoal::scenarios
