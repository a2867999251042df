// The simulated clients of a ShardedRun (sharded_run.h): the one that creates
// the collection, the writers, the searchers, and the final phase's client.
// Each is a simulated process with its own Rpc that calls the coordinator API
// of the cluster's nodes (engine/client/collection_client.h).
#pragma once

namespace shoal::scenarios {

class ShardedRun;

// Adds the setup client, the writers and the searchers to run's simulation.
void add_sharded_clients(ShardedRun& run);
// Starts the final phase's client (run.final_done_ is set when it is done).
void start_final_phase(ShardedRun& run);

}  // namespace shoal::scenarios
