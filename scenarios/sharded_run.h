// ShardedRun: the harness every sharded-store scenario shares.
//
// It builds a simulated cluster of sharded Nodes (the metadata group on the
// first voters, shard groups placed by the map), creates one collection of
// documents with a few fields and a vector from a seeded sample, and runs
// client processes against the coordinators of random nodes:
//   writers   upsert bulks of documents (ids from a fixed id space, so later
//             bulks replace earlier versions) and now and then delete some;
//   searchers search: k-NN with and without filters, filtered and sorted
//             pages, and every aggregation kind;
// while the scenario's nemesis acts. Then it heals everything and runs:
//   quiet     the workload goes on: writes and searches must serve again
//             within the liveness bound;
//   settle    the workload stops; every shard's replicas must converge;
//   final     one client asks a battery of searches (k-NN on random vectors,
//             filters, sorts, all 14 aggregations) and pages through every
//             document with a point in time and a cursor.
// Every write of every document is recorded in a check::History; every
// search with what it answered. The run is judged by scenarios/checkers/:
//   * raft-invariants, per group (metadata and every shard);
//   * no-lost-documents, only-written-documents: the final documents, read
//     from every shard's replicas, against the write history (documents of
//     unknown outcome may or may not be there; acknowledged ones must);
//   * documents-on-owner: every document sits on the shard the map routes
//     it to; shard-sizes-balanced when the scenario asks for it;
//   * convergence: a shard's replicas hold the same documents;
//   * search-equals-oracle / knn-equals-oracle (or knn-recall for
//     approximate indexes) and aggregations-equal-oracle: each final search
//     against a single node holding the final documents;
//   * pages-cover-once: the PIT pages visit every document exactly once;
//   * missing-shards-named: no search answer leaves out a shard silently
//     (and, where the scenario says so, none leaves out any);
//   * hits-were-written: a search during the faults returns only documents
//     some write had sent;
//   * every-kind-served: writes and searches completed, and the final phase
//     answered every search.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/cluster/shard_map.h"
#include "engine/raft/invariants.h"
#include "engine/rpc/group_protocol.h"
#include "engine/search/schema.h"
#include "engine/server/node.h"
#include "scenarios/checkers/document_oracle.h"
#include "scenarios/checkers/history.h"
#include "scenarios/scenario.h"
#include "sim/simulation.h"

namespace shoal::scenarios {

struct ShardedRunConfig {
  std::string name;
  int nodes = 3;
  int metadata_voters = 3;  // the first nodes
  uint32_t shards = 3;
  uint32_t replication = 3;
  cluster::ShardingStrategy strategy = cluster::ShardingStrategy::kHash;
  std::string range_field = "n";  // kRange
  search::VectorIndexKind index = search::VectorIndexKind::kFlat;
  uint32_t dims = 8;
  uint32_t clusters = 6;  // vectors are drawn around this many centres
  uint32_t sample_documents = 400;  // the creation sample routing is computed from
  int writers = 2;
  int searchers = 2;
  uint32_t bulk_min = 1, bulk_max = 25;
  uint32_t id_space = 1200;        // document ids d00000..; upserts replace
  double delete_fraction = 0.05;   // of writer operations
  Duration think_min = milliseconds(10), think_max = milliseconds(60);  // writers
  Duration search_think_min = milliseconds(40), search_think_max = milliseconds(160);
  // Writers first load the id space in order (each writer its share), then
  // write ids at random: a bulk load, then updates.
  bool load_in_order = false;
  Duration duration = seconds(20);  // workload and nemesis
  Duration quiet = seconds(6);      // healed, workload on; REQUIRES >= liveness_bound
  Duration liveness_bound = seconds(5);
  Duration operation_timeout = seconds(2);
  WriteLevel write_level = WriteLevel::kQuorum;
  std::vector<ReadLevel> search_levels{ReadLevel::kLinearizable, ReadLevel::kAny};  // per searcher, round robin
  Duration search_timeout = seconds(2);
  // query-timeout: some search must have come back partial (the slow shard
  // named), and every answer within search_timeout.
  bool expect_partial = false;
  // pagination: one client also walks every document with a PIT and a
  // cursor in the quiet phase, while the writers go on.
  bool page_during_writes = false;
  // aggregations-all: searches ask aggregations only.
  bool aggregations_only = false;
  // Searches probe this many nearest shards (vector strategy); 0: all.
  uint32_t probe_shards = 0;
  int final_queries = 10;
  uint32_t page_size = 37;
  // shard-sizes-balanced is judged (within this fraction of the mean).
  std::optional<double> balance_tolerance;
  // missing-shards-named also fails when any search misses any shard.
  bool nothing_may_be_missing = false;
  double recall_floor = 0.9;  // approximate indexes
  RaftOptions raft;
  sim::BuggifyConfig buggify;
};

// Refuses configurations a check could pass vacuously (no writers, no
// searchers, a quiet phase shorter than the liveness bound, more replicas
// than nodes); throws std::invalid_argument.
void validate(const ShardedRunConfig& config);

class ShardedRun;
using ShardedNemesis = std::function<void(ShardedRun&)>;

// A search as a client saw it.
struct SearchRecord {
  int64_t invoke_ns = 0, complete_ns = 0;
  std::string request_json;
  bool final = false;    // asked in the final phase (judged against the oracle)
  bool ok = false;       // an answer came (possibly partial)
  Error error;           // when !ok
  std::string body_json; // the answer
  std::vector<uint32_t> missing;           // shards the answer names as missing
  std::vector<uint32_t> contributed;       // shards the coordinator says it merged
};

class ShardedRun {
 public:
  ShardedRun(const ScenarioOptions& opts, ShardedRunConfig config);
  ~ShardedRun();

  sim::Simulation& sim() { return sim_; }
  const ShardedRunConfig& config() const { return config_; }
  const std::vector<NodeId>& node_ids() const { return nodes_; }
  Node* node(NodeId id);
  // The shard map as the metadata group's leader holds it (empty before).
  // (A reference into the replica's state: valid until the next event runs.)
  const cluster::ShardMap& map() const;
  // The running, unpaused leader of a group's highest term; kNoNode if none.
  NodeId leader_of(GroupId group);
  const cluster::CollectionInfo* collection() const;
  std::string collection_name() const { return "docs"; }
  const search::Schema& schema() const { return schema_; }
  TimePoint heal_at() const { return TimePoint(config_.duration); }
  TimePoint stop_at() const { return heal_at() + config_.quiet; }
  bool ready() const { return created_; }
  void add_check(CheckResult c) { extra_checks_.push_back(std::move(c)); }
  void metric(const std::string& name, double v) { metrics_[name] = v; }
  // Called when the faults end, before everything is restarted and healed.
  std::function<void()> on_heal;

  ScenarioResult run(const ShardedNemesis& nemesis);

 private:
  friend class WriterProcess;
  friend class SearcherProcess;
  friend class SetupProcess;
  friend class FinalProcess;
  friend class PagerProcess;
  class Observer;

  NodeConfig node_config();
  std::string document_json(Rng& rng, uint64_t id) const;
  std::vector<float> random_vector(Rng& rng) const;
  static std::vector<float> vector_near(const std::vector<float>& centre, Rng& rng);
  std::string random_search(Rng& rng) const;
  std::string schema_json() const;
  bool replicas_agree();
  // The final documents of every shard as each replica holds them.
  std::map<GroupId, std::map<NodeId, check::DocumentSet>> read_replicas();
  void judge(ScenarioResult& r);
  void judge_documents(ScenarioResult& r, const std::map<GroupId, std::map<NodeId, check::DocumentSet>>& replicas,
                       check::DocumentSet* final_docs);
  void judge_searches(ScenarioResult& r, const check::DocumentSet& final_docs);
  void judge_liveness(ScenarioResult& r);

  ScenarioOptions opts_;
  ShardedRunConfig config_;
  sim::Simulation sim_;
  search::Schema schema_;
  std::vector<std::vector<float>> centres_;
  RaftInvariantsByGroup invariants_;
  std::unique_ptr<Observer> observer_;
  std::vector<NodeId> nodes_;
  std::vector<NodeId> metadata_voters_;
  bool created_ = false;
  TimePoint created_at_{};
  check::History writes_;                  // one operation per document written or deleted
  std::vector<SearchRecord> searches_;
  std::vector<std::vector<std::string>> pages_;  // the final phase's PIT pages, ids in order
  std::string pit_request_json_;                 // the request those pages answered
  // The walk during the writes: its pages, and the ids the PIT held (read
  // from the shards' replicas at the pinned revisions when it was opened).
  std::vector<std::vector<std::string>> pages_during_;
  std::vector<std::string> expected_during_;
  std::string pager_error_;
  bool pager_done_ = false;
  bool final_done_ = false;
  std::string final_error_;
  size_t in_flight_ = 0;
  std::vector<CheckResult> extra_checks_;
  std::map<std::string, double> metrics_;
};

}  // namespace shoal::scenarios
