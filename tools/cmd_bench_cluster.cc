// `shoal bench cluster`: the sharded store end to end in the simulator.
//
// Three simulated nodes (every one a metadata voter), a collection of
// 128-d vectors in 3 shards of RF 3, loaded in bulks of 1,000 through a
// node's coordinator; then k-NN queries one at a time through a coordinator,
// beside one raw FAISS flat index of the same vectors in the same process;
// then an aggregation request over the 3-shard collection and over a 1-shard
// copy. All of it runs on one thread (the simulator's): the ingest rate is
// what one core does for the whole cluster (three replicas apply every
// bulk), and search latency includes the scatter, every shard's search and
// the merge. Wall-clock figures; nothing here is asserted.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include <boost/json.hpp>
#include <faiss/IndexFlat.h>

#include "engine/client/collection_client.h"
#include "engine/core/random.h"
#include "engine/search/faiss_threads.h"
#include "scenarios/cluster.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;
using WallClock = std::chrono::steady_clock;

struct ClusterBenchOptions {
  size_t docs = 100000;
  uint32_t dims = 128;
  uint32_t shards = 3;
  size_t bulk = 1000;
  size_t queries = 200;
  uint32_t k = 10;
  uint64_t seed = 42;
};

// A client process whose Rpc and CollectionClient the benchmark drives.
class BenchClient final : public sim::Process {
 public:
  explicit BenchClient(Env& env, std::vector<NodeId> nodes)
      : rpc_(env), client_(env, rpc_, nodes, options()) {}
  static CollectionClientOptions options() {
    CollectionClientOptions o;
    o.operation_timeout = seconds(60);
    o.attempt_timeout = seconds(30);
    return o;
  }
  Rpc& rpc() { return rpc_; }
  CollectionClient& client() { return client_; }

 private:
  Rpc rpc_;
  CollectionClient client_;
};

class ClusterBench {
 public:
  explicit ClusterBench(ClusterBenchOptions o) : o_(o), sim_(o.seed) {
    nodes_ = scenarios::node_ids(3);
    for (NodeId id : nodes_) {
      sim_.add_process(id, "node" + std::to_string(id), [this](Env& env) {
        NodeConfig c;
        c.members = nodes_;
        c.metadata_voters = nodes_;
        return std::make_unique<scenarios::NodeProcess>(env, c);
      });
    }
    sim_.add_process(kClientIdBase + 1, "bench", [this](Env& env) { return std::make_unique<BenchClient>(env, nodes_); });
    Rng data(o.seed);
    for (size_t c = 0; c < 64; ++c) {
      std::vector<float> centre;
      for (uint32_t d = 0; d < o.dims; ++d) centre.push_back(static_cast<float>(data.real01() * 2 - 1));
      centres_.push_back(std::move(centre));
    }
    for (size_t i = 0; i < o.docs; ++i) {
      const auto& centre = centres_[data.below(centres_.size())];
      for (float x : centre) vectors_.push_back(x + static_cast<float>((data.real01() - 0.5) * 0.2));
    }
  }

  int run() {
    search::set_faiss_threads(1);
    sim_.run_for(seconds(2));  // the metadata group elects, nodes register
    if (!create("bench3", o_.shards) || !create("bench1", 1)) return kExitCheckFailed;
    const double ingest = load("bench3");
    if (ingest < 0) return kExitCheckFailed;
    std::printf("ingest: %zu vectors of %u dims, bulks of %zu, 3 nodes RF 3, %u shards: %.0f vectors/s (one core)\n",
                o_.docs, o_.dims, o_.bulk, o_.shards, ingest);
    if (load("bench1") < 0) return kExitCheckFailed;
    knn();
    aggregations();
    return kExitPass;
  }

 private:
  BenchClient& client() { return *sim_.process_as<BenchClient>(kClientIdBase + 1); }

  // Runs the simulation until *done, returning the wall seconds it took.
  double until(const bool* done) {
    const auto start = WallClock::now();
    sim_.run_until([done] { return *done; }, sim_.now() + seconds(600));
    return std::chrono::duration<double>(WallClock::now() - start).count();
  }

  bool create(const std::string& name, uint32_t shards) {
    CreateCollectionRequest r;
    r.settings.name = name;
    r.settings.schema_json = R"({"properties": {"cat": {"type": "keyword"}, "n": {"type": "integer"},)"
                             R"("price": {"type": "float"}, "v": {"type": "dense_vector", "dims": )" +
                             std::to_string(o_.dims) + R"(, "similarity": "l2_norm"}}})";
    r.settings.shard_count = shards;
    r.settings.replication_factor = 3;
    for (int attempt = 0; attempt < 20; ++attempt) {
      bool done = false, ok = false;
      client().rpc().call(nodes_[0], kCreateCollectionMethod, encode_create_collection(r), seconds(5), [&](Reply reply) {
        done = true;
        if (!reply.ok()) return;
        auto result = cluster::decode_result(reply.payload);
        ok = result.ok() && (result->ok() || result->code == ErrorCode::kConflict);
      });
      until(&done);
      if (ok) {
        sim_.run_for(seconds(2));  // every node hosts its shards, each elects
        return true;
      }
      sim_.run_for(milliseconds(500));
    }
    std::fprintf(stderr, "shoal: bench cluster: could not create %s\n", name.c_str());
    return false;
  }

  std::string bulk_json(size_t from, size_t to) const {
    json::array bulk;
    Rng fields(o_.seed + from);
    for (size_t i = from; i < to; ++i) {
      json::array v;
      for (uint32_t d = 0; d < o_.dims; ++d) v.push_back(static_cast<double>(vectors_[i * o_.dims + d]));
      bulk.push_back(json::object{{"_id", "d" + std::to_string(i)},
                                  {"cat", "c" + std::to_string(fields.below(20))},
                                  {"n", static_cast<int64_t>(fields.below(1000))},
                                  {"price", static_cast<double>(fields.below(100000)) / 100},
                                  {"v", std::move(v)}});
    }
    return json::serialize(bulk);
  }

  // Loads every document in bulks; returns vectors per wall second, or -1.
  double load(const std::string& name) {
    double seconds_spent = 0;
    for (size_t at = 0; at < o_.docs; at += o_.bulk) {
      const std::string body = bulk_json(at, std::min(o_.docs, at + o_.bulk));
      bool done = false;
      CollectionResult result;
      const auto start = WallClock::now();
      client().client().upsert(name, body, [&](const CollectionResult& r) {
        result = r;
        done = true;
      });
      until(&done);
      seconds_spent += std::chrono::duration<double>(WallClock::now() - start).count();
      if (result.outcome != coord::Outcome::kOk) {
        std::fprintf(stderr, "shoal: bench cluster: bulk at %zu: %s\n", at, result.error.describe().c_str());
        return -1;
      }
    }
    return static_cast<double>(o_.docs) / seconds_spent;
  }

  void knn() {
    faiss::IndexFlatL2 raw(static_cast<int>(o_.dims));
    raw.add(static_cast<faiss::Index::idx_t>(o_.docs), vectors_.data());
    std::vector<double> shoal_ms, faiss_ms;
    std::vector<float> distances(o_.k);
    std::vector<faiss::Index::idx_t> labels(o_.k);
    for (size_t i = 0; i < o_.queries; ++i) {
      // Near a stored vector, so the answer is not a tie of far points.
      const size_t near = i * 7919 % o_.docs;
      std::vector<float> query(vectors_.begin() + static_cast<long>(near * o_.dims),
                               vectors_.begin() + static_cast<long>((near + 1) * o_.dims));
      for (float& x : query) x += 0.01f;
      auto start = WallClock::now();
      raw.search(1, query.data(), o_.k, distances.data(), labels.data());
      faiss_ms.push_back(std::chrono::duration<double, std::milli>(WallClock::now() - start).count());
      json::array qv;
      for (float x : query) qv.push_back(static_cast<double>(x));
      const std::string request = json::serialize(json::object{
          {"knn", json::object{{"field", "v"}, {"query_vector", qv}, {"k", o_.k}, {"num_candidates", o_.k * 4}}},
          {"size", o_.k},
          {"_source", false}});
      bool done = false;
      start = WallClock::now();
      client().client().search("bench3", request, CollectionSearchParams{}, [&](const CollectionResult&) { done = true; });
      until(&done);
      shoal_ms.push_back(std::chrono::duration<double, std::milli>(WallClock::now() - start).count());
    }
    auto qps = [](const std::vector<double>& ms) {
      double total = 0;
      for (double m : ms) total += m;
      return 1000.0 * static_cast<double>(ms.size()) / total;
    };
    std::printf("knn (flat, k=%u, %zu queries one at a time): shoal %.0f QPS p50 %.2f ms p95 %.2f ms; "
                "raw FAISS %.0f QPS p50 %.2f ms p95 %.2f ms; shoal/faiss p50 latency %.2fx\n",
                o_.k, o_.queries, qps(shoal_ms), percentile(shoal_ms, 0.5), percentile(shoal_ms, 0.95),
                qps(faiss_ms), percentile(faiss_ms, 0.5), percentile(faiss_ms, 0.95),
                percentile(shoal_ms, 0.5) / std::max(1e-9, percentile(faiss_ms, 0.5)));
  }

  void aggregations() {
    const std::string request = R"({"size": 0, "aggs": {"cats": {"terms": {"field": "cat", "size": 5}},
        "price": {"extended_stats": {"field": "price"}}, "p": {"percentiles": {"field": "price"}},
        "ns": {"cardinality": {"field": "n"}}, "h": {"histogram": {"field": "price", "interval": 50}}}})";
    for (const char* name : {"bench3", "bench1"}) {
      std::vector<double> ms;
      for (int i = 0; i < 10; ++i) {
        bool done = false;
        const auto start = WallClock::now();
        client().client().search(name, request, CollectionSearchParams{}, [&](const CollectionResult&) { done = true; });
        until(&done);
        ms.push_back(std::chrono::duration<double, std::milli>(WallClock::now() - start).count());
      }
      std::printf("aggregations over %zu documents, %s: p50 %.1f ms\n", o_.docs,
                  std::string(name) == "bench3" ? "3 shards" : "1 shard ", percentile(ms, 0.5));
    }
  }

  ClusterBenchOptions o_;
  sim::Simulation sim_;
  std::vector<NodeId> nodes_;
  std::vector<std::vector<float>> centres_;
  std::vector<float> vectors_;
};

CommandRegistration reg("bench-cluster", [](CLI::App& root) {
  CLI::App& b = group(root, "bench", "benchmarks (figures are printed, never asserted)");
  auto o = std::make_shared<ClusterBenchOptions>();
  CLI::App* c = b.add_subcommand("cluster", "the sharded store in the simulator: ingest, k-NN against raw FAISS, "
                                            "aggregations over 3 shards against 1");
  c->add_option("--docs", o->docs, "documents (vectors)")->check(CLI::Range(1000, 10000000));
  c->add_option("--dims", o->dims, "vector dimensions")->check(CLI::Range(1, 4096));
  c->add_option("--shards", o->shards, "shards of the main collection")->check(CLI::Range(1, 64));
  c->add_option("--queries", o->queries, "k-NN queries")->check(CLI::Range(1, 100000));
  c->add_option("--bulk", o->bulk, "documents per upsert")->check(CLI::Range(1, 10000));
  c->add_option("--seed", o->seed, "data and simulation seed");
  set_action(*c, [o] { return ClusterBench(*o).run(); });
});

}  // namespace
}  // namespace shoal::tools
