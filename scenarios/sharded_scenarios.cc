// The sharded store's scenarios (SCENARIOS.md "Sharding, search and
// vectors"): each is a ShardedRun (sharded_run.h) with its own shape, data
// and faults, judged by the oracles of scenarios/checkers/.
#include <memory>

#include "absl/strings/str_cat.h"
#include "scenarios/sharded_run.h"

namespace shoal::scenarios {

namespace {

ShardedRunConfig base(const ScenarioOptions& o, const std::string& name, int nodes, Duration duration) {
  ShardedRunConfig c;
  c.name = name;
  c.nodes = o.nodes.value_or(nodes);
  c.metadata_voters = std::min(c.nodes, 3);
  c.duration = o.duration.value_or(duration);
  if (c.duration < seconds(8)) throw std::invalid_argument(name + " needs at least 8s");
  return c;
}

// Crashes a random node for a while, now and then, from 3 s to the heal.
void random_crashes(ShardedRun& run, Duration down_min, Duration down_max) {
  auto rng = std::make_shared<Rng>(hash_combine(run.sim().rng().next_u64(), 0xc7a5));
  run.sim().repeat(TimePoint(seconds(3)), "nemesis crash", [&run, rng, down_min, down_max]() -> std::optional<Duration> {
    if (run.sim().now() + down_max >= run.heal_at()) return std::nullopt;
    const NodeId x = run.node_ids()[rng->below(run.node_ids().size())];
    if (run.sim().running(x)) {
      run.sim().crash(x);
      const Duration down = rng->range(down_min, down_max);
      run.sim().after(down, "nemesis restart", [&run, x] {
        if (!run.sim().running(x)) run.sim().restart(x);
      });
      return down + rng->range(seconds(1), seconds(3));
    }
    return seconds(1);
  });
}

// Cuts the cluster in two for a while, now and then.
void random_partitions(ShardedRun& run) {
  auto rng = std::make_shared<Rng>(hash_combine(run.sim().rng().next_u64(), 0x9a27));
  run.sim().repeat(TimePoint(seconds(4)), "nemesis partition", [&run, rng]() -> std::optional<Duration> {
    if (run.sim().now() + seconds(3) >= run.heal_at()) return std::nullopt;
    std::vector<NodeId> a, b;
    for (NodeId x : run.node_ids()) (rng->chance(0.5) ? a : b).push_back(x);
    run.sim().partition({a, b});
    const Duration hold = rng->range(milliseconds(500), seconds(2));
    run.sim().after(hold, "nemesis heal partition", [&run] { run.sim().heal_all_links(); });
    return hold + rng->range(seconds(1), seconds(4));
  });
}

// The distribution scenarios: a bulk load of the whole id space in order
// (so shard sizes are a property of the routing, not of which ids a seed
// happened to write), then slower updates, few searches, no deletes; sizes
// must be within 10% of the mean.
ShardedRunConfig distribution(const ScenarioOptions& o, const std::string& name, uint32_t id_space) {
  ShardedRunConfig c = base(o, name, 3, seconds(10));
  c.replication = std::min<uint32_t>(3, static_cast<uint32_t>(c.nodes));
  c.balance_tolerance = 0.10;
  c.load_in_order = true;
  c.id_space = id_space;
  c.bulk_min = 20;
  c.bulk_max = 60;
  c.delete_fraction = 0;
  c.think_min = milliseconds(40);
  c.think_max = milliseconds(150);
  c.search_think_min = milliseconds(100);
  c.search_think_max = milliseconds(300);
  c.final_queries = 6;
  return c;
}

ScenarioResult hash_distribution(const ScenarioOptions& o) {
  // 2,000 ids over 3 shards: the hash spreads these within about 5% of even.
  ShardedRunConfig c = distribution(o, "hash-distribution", 2000);
  Params p(o.params);
  c.shards = static_cast<uint32_t>(p.integer("shards", 3, 1, 64));
  p.reject_unknown(c.name);
  ShardedRun run(o, c);
  return run.run([](ShardedRun& r) { random_crashes(r, seconds(1), seconds(3)); });
}

ScenarioResult range_sharding(const ScenarioOptions& o) {
  ShardedRunConfig c = distribution(o, "range-sharding", 1600);
  Params p(o.params);
  p.reject_unknown(c.name);
  c.strategy = cluster::ShardingStrategy::kRange;
  c.range_field = "n";
  c.shards = 4;
  // The sample is the data about to be loaded (every id once): the split
  // points are its quantiles, and the shards' sizes differ only by ties.
  c.sample_documents = c.id_space;
  ShardedRun run(o, c);
  return run.run([](ShardedRun& r) { random_partitions(r); });
}

ScenarioResult vector_sharding(const ScenarioOptions& o) {
  ShardedRunConfig c = distribution(o, "vector-sharding", 1200);
  Params p(o.params);
  p.reject_unknown(c.name);
  c.strategy = cluster::ShardingStrategy::kVector;
  c.shards = 3;
  c.clusters = 3;  // one cluster of data per shard: the centroids find them
  c.sample_documents = 600;
  ShardedRun run(o, c);
  return run.run([](ShardedRun& r) { random_crashes(r, seconds(1), seconds(2)); });
}

ScenarioResult cross_shard_query(const ScenarioOptions& o) {
  ShardedRunConfig c = base(o, "cross-shard-query", 3, seconds(10));
  Params p(o.params);
  c.shards = static_cast<uint32_t>(p.integer("shards", 4, 1, 32));
  const int64_t index = p.integer("index", 0, 0, 2);  // 0 flat, 1 hnsw, 2 ivf
  p.reject_unknown(c.name);
  c.index = index == 0 ? search::VectorIndexKind::kFlat : index == 1 ? search::VectorIndexKind::kHnsw
                                                                     : search::VectorIndexKind::kIvf;
  c.replication = std::min<uint32_t>(3, static_cast<uint32_t>(c.nodes));
  c.final_queries = 20;
  ShardedRun run(o, c);
  return run.run([](ShardedRun& r) {
    random_crashes(r, seconds(1), seconds(3));
    random_partitions(r);
  });
}

ScenarioResult aggregations_all(const ScenarioOptions& o) {
  ShardedRunConfig c = base(o, "aggregations-all", 3, seconds(10));
  Params p(o.params);
  p.reject_unknown(c.name);
  // Range shards on n split from a small sample hold unequal shares, which
  // is what tells a right merge of averages from an average of averages.
  c.strategy = cluster::ShardingStrategy::kRange;
  c.sample_documents = 40;
  c.shards = 4;
  c.replication = std::min<uint32_t>(3, static_cast<uint32_t>(c.nodes));
  c.aggregations_only = true;
  c.final_queries = 12;
  ShardedRun run(o, c);
  return run.run([](ShardedRun& r) {
    random_crashes(r, seconds(1), seconds(2));
    random_partitions(r);
  });
}

ScenarioResult pagination(const ScenarioOptions& o) {
  ShardedRunConfig c = base(o, "pagination", 3, seconds(10));
  Params p(o.params);
  p.reject_unknown(c.name);
  c.shards = 4;
  c.replication = std::min<uint32_t>(3, static_cast<uint32_t>(c.nodes));
  c.page_during_writes = true;
  c.quiet = seconds(8);  // the walk runs in it, beside the writers
  c.delete_fraction = 0.1;
  ShardedRun run(o, c);
  return run.run([](ShardedRun& r) { random_crashes(r, seconds(1), seconds(2)); });
}

ScenarioResult partial_shard_failure(const ScenarioOptions& o, uint32_t rf) {
  ShardedRunConfig c = base(o, rf >= 2 ? "partial-shard-failure" : "partial-shard-failure-rf1", 4, seconds(10));
  Params p(o.params);
  p.reject_unknown(c.name);
  c.shards = 4;
  c.replication = rf;
  // Any replica may answer: with a second replica nothing may be missing.
  c.search_levels = {ReadLevel::kAny};
  c.nothing_may_be_missing = rf >= 2;
  ShardedRun run(o, c);
  // One node down from 3 s until the heal (not a metadata voter, so the map
  // stays readable: this scenario is about shards).
  const NodeId victim = static_cast<NodeId>(c.nodes);
  return run.run([victim](ShardedRun& r) {
    r.sim().at(TimePoint(seconds(3)), "nemesis: one node down", [&r, victim] { r.sim().crash(victim); });
  });
}

ScenarioResult query_timeout(const ScenarioOptions& o) {
  ShardedRunConfig c = base(o, "query-timeout", 3, seconds(10));
  Params p(o.params);
  p.reject_unknown(c.name);
  c.shards = 3;
  c.replication = 1;  // the slow shard has no other replica to answer for it
  c.search_levels = {ReadLevel::kAny};
  c.search_timeout = milliseconds(400);
  c.expect_partial = true;
  ShardedRun run(o, c);
  return run.run([](ShardedRun& r) {
    // The node holding shard 0 is clogged again and again: what it sends
    // arrives only after the clog, past the searches' deadlines.
    r.sim().repeat(TimePoint(seconds(3)), "nemesis clog a shard's node", [&r]() -> std::optional<Duration> {
      if (r.sim().now() + seconds(2) >= r.heal_at()) return std::nullopt;
      const cluster::ShardMap& m = r.map();
      const cluster::CollectionInfo* info = m.find(r.collection_name());
      if (info == nullptr) return milliseconds(200);
      r.sim().clog_node(info->shards[0].replicas[0], seconds(1));
      return seconds(2);
    });
  });
}

ScenarioResult cascading_failure(const ScenarioOptions& o) {
  ShardedRunConfig c = base(o, "cascading-failure", 5, seconds(12));
  Params p(o.params);
  p.reject_unknown(c.name);
  c.metadata_voters = std::min(c.nodes, 5);
  c.shards = 5;
  c.replication = std::min<uint32_t>(3, static_cast<uint32_t>(c.nodes));
  ShardedRun run(o, c);
  return run.run([](ShardedRun& r) {
    // Three nodes fail one after another and stay down until the heal.
    for (int i = 0; i < 3 && i < static_cast<int>(r.node_ids().size()); ++i) {
      const NodeId x = r.node_ids()[static_cast<size_t>(i) * 2 % r.node_ids().size()];
      r.sim().at(TimePoint(seconds(3 + 3 * i)), "nemesis: cascade", [&r, x] {
        if (r.sim().running(x)) r.sim().crash(x);
      });
    }
  });
}

}  // namespace

std::vector<Scenario> sharded_scenarios() {
  return {
      {"hash-distribution", "bulk loads into 6 hash shards under crashes: sizes within 10%, every document on its owner",
       3, seconds(10), hash_distribution},
      {"range-sharding", "range shards on an integer field, split from a sample, under partitions: balanced, owned, oracle-equal",
       3, seconds(10), range_sharding},
      {"vector-sharding", "nearest-centroid shards trained at creation, under crashes: balanced, owned, oracle-equal",
       3, seconds(10), vector_sharding},
      {"cross-shard-query", "k-NN, filters, sorts and aggregations over 4 shards under crashes and partitions equal a single-node oracle",
       3, seconds(10), cross_shard_query},
      {"aggregations-all", "all 14 aggregation kinds over unequal range shards under crashes and partitions equal the oracle",
       3, seconds(10), aggregations_all},
      {"pagination", "a PIT-and-cursor walk while writers upsert and delete: every document at the PIT once",
       3, seconds(10), pagination},
      {"partial-shard-failure", "1 of 4 nodes down, RF 2: any-level searches miss nothing",
       4, seconds(10), [](const ScenarioOptions& o) { return partial_shard_failure(o, 2); }},
      {"partial-shard-failure-rf1", "1 of 4 nodes down, RF 1: searches name the missing shards",
       4, seconds(10), [](const ScenarioOptions& o) { return partial_shard_failure(o, 1); }},
      {"query-timeout", "a shard's node clogged past the search deadline: answers come in time, flagged partial",
       3, seconds(10), query_timeout},
      {"cascading-failure", "5 nodes, 3 fail one after another: degrades, never answers wrongly, recovers on restart",
       5, seconds(12), cascading_failure},
  };
}

}  // namespace shoal::scenarios
