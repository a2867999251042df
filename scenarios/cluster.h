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

}  // namespace shoal::scenarios
