// Helpers that put engine Nodes into a Simulation.
#pragma once

#include <memory>

#include "engine/server/node.h"
#include "sim/simulation.h"

namespace shoal::scenarios {

// A simulated process hosting one Node.
class NodeProcess final : public sim::Process {
 public:
  NodeProcess(Env& env, NodeConfig config) : node_(env, std::move(config)) { node_.start(); }
  Node& node() { return node_; }

 private:
  Node node_;
};

// Node ids 1..n.
std::vector<NodeId> node_ids(int n);

// Adds nodes 1..n, each built from make_config(id) on every (re)start.
void add_nodes(sim::Simulation& sim, int n, std::function<NodeConfig(NodeId)> make_config);

// A node of `members` hosting a replica of each KV group of `groups`, all
// members its initial voters, default Raft settings (the benchmarks' and
// tests' plain cluster).
NodeConfig kv_node_config(const std::vector<NodeId>& members, const std::vector<GroupId>& groups,
                          RaftObserver* observer = nullptr);

// The node whose replica of `group` leads and has committed in its term
// (so it serves), or kNoNode.
NodeId serving_leader(sim::Simulation& sim, const std::vector<NodeId>& nodes, GroupId group);

}  // namespace shoal::scenarios
