#include "scenarios/sharded_run.h"

#include <algorithm>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "engine/cluster/metadata_state_machine.h"
#include "engine/core/assert.h"
#include "engine/shard/collection_state_machine.h"
#include "scenarios/cluster.h"
#include "scenarios/sharded_clients.h"

namespace shoal::scenarios {

namespace json = boost::json;

namespace {

const char* kCategories[] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"};
constexpr size_t kCategoryCount = 8;

std::string index_json(search::VectorIndexKind kind) {
  switch (kind) {
    case search::VectorIndexKind::kFlat: return R"({"type": "flat"})";
    case search::VectorIndexKind::kHnsw: return R"({"type": "hnsw", "m": 12, "ef_construction": 48, "ef_search": 48})";
    case search::VectorIndexKind::kIvf: return R"({"type": "ivf", "nlist": 8, "nprobe": 4, "train_min": 256})";
  }
  return R"({"type": "flat"})";
}

}  // namespace

// Forwards every Raft event of every group to the per-group invariants.
class ShardedRun::Observer final : public RaftObserver {
 public:
  explicit Observer(ShardedRun& run) : run_(run) {}
  void on_start(const RaftNode& n) override { run_.invariants_.on_start(n); }
  void on_role(const RaftNode& n) override { run_.invariants_.on_role(n); }
  void on_commit(const RaftNode& n) override { run_.invariants_.on_commit(n); }
  void on_apply(const RaftNode& n, const LogEntry& e) override { run_.invariants_.on_apply(n, e); }
  void on_restore(const RaftNode& n, uint64_t index, uint64_t term) override {
    run_.invariants_.on_restore(n, index, term);
  }
  void on_lease_read(const RaftNode& n) override { run_.invariants_.on_lease_read(n); }

 private:
  ShardedRun& run_;
};

void validate(const ShardedRunConfig& c) {
  auto refuse = [&c](const std::string& why) { throw std::invalid_argument(c.name + ": " + why); };
  if (c.nodes < 1) refuse("needs at least 1 node");
  if (c.metadata_voters < 1 || c.metadata_voters > c.nodes) refuse("metadata voters must be 1..nodes");
  if (c.replication < 1 || static_cast<int>(c.replication) > c.nodes) refuse("replication must be 1..nodes");
  if (c.shards < 1) refuse("needs at least 1 shard");
  if (c.writers < 1) refuse("needs at least 1 writer: a run without documents judges nothing");
  if (c.searchers < 1) refuse("needs at least 1 searcher: a run without searches judges nothing");
  if (c.final_queries < 1) refuse("needs at least 1 final query: the oracle would judge nothing");
  if (c.bulk_min < 1 || c.bulk_max < c.bulk_min) refuse("needs 1 <= bulk_min <= bulk_max");
  if (c.id_space < c.bulk_max) refuse("the id space must hold a bulk");
  if (c.search_levels.empty()) refuse("needs at least one search level");
  if (c.liveness_bound <= Duration(0)) refuse("the liveness bound must be positive");
  if (c.quiet < c.liveness_bound) {
    refuse("the quiet phase (" + format_duration(c.quiet) + ") is shorter than the liveness bound (" +
           format_duration(c.liveness_bound) + "): liveness could not be judged");
  }
  if (c.page_size < 1) refuse("the page size must be positive");
}

ShardedRun::ShardedRun(const ScenarioOptions& opts, ShardedRunConfig config)
    : opts_(opts), config_(std::move(config)),
      sim_(opts.seed, sim::SimOptions{.buggify = config_.buggify, .guard = opts.guard}),
      observer_(std::make_unique<Observer>(*this)) {
  validate(config_);
  if (opts_.tracer) sim_.set_tracer(opts_.tracer);
  auto schema = search::Schema::from_json(schema_json());
  SHOAL_ASSERT(schema.ok());
  schema_ = std::move(*schema);
  // The data's cluster centres come from the run's own stream, so the
  // engine's randomness is the same whatever the workload draws.
  Rng data(hash_combine(opts.seed, 0xda7a));
  for (uint32_t c = 0; c < config_.clusters; ++c) {
    std::vector<float> centre;
    for (uint32_t d = 0; d < config_.dims; ++d) centre.push_back(static_cast<float>(data.real01() * 20 - 10));
    centres_.push_back(std::move(centre));
  }
  nodes_ = shoal::scenarios::node_ids(config_.nodes);
  metadata_voters_.assign(nodes_.begin(), nodes_.begin() + config_.metadata_voters);
  for (NodeId id : nodes_) {
    sim_.add_process(id, "node" + std::to_string(id),
                     [this](Env& env) { return std::make_unique<NodeProcess>(env, node_config()); });
  }
  add_sharded_clients(*this);
}

ShardedRun::~ShardedRun() = default;

std::string ShardedRun::schema_json() const {
  return absl::StrCat(R"({"properties": {"cat": {"type": "keyword"}, "n": {"type": "integer"},)",
                      R"("price": {"type": "float"}, "at": {"type": "date"},)",
                      R"("v": {"type": "dense_vector", "dims": )", config_.dims,
                      R"(, "similarity": "l2_norm", "index_options": )", index_json(config_.index), "}}}");
}

NodeConfig ShardedRun::node_config() {
  NodeConfig c;
  c.members = nodes_;
  c.metadata_voters = metadata_voters_;
  c.shard_raft = config_.raft;
  c.raft_observer = observer_.get();
  return c;
}

Node* ShardedRun::node(NodeId id) {
  auto* p = sim_.process_as<NodeProcess>(id);
  return p ? &p->node() : nullptr;
}

NodeId ShardedRun::leader_of(GroupId group) {
  NodeId best = kNoNode;
  uint64_t term = 0;
  for (NodeId id : nodes_) {
    Node* n = node(id);
    Replica* r = n ? n->group(group) : nullptr;
    RaftNode* raft = r ? r->raft() : nullptr;
    if (raft && raft->is_leader() && !sim_.paused(id) && raft->term() >= term) {
      best = id;
      term = raft->term();
    }
  }
  return best;
}

const cluster::ShardMap& ShardedRun::map() const {
  static const cluster::ShardMap kEmpty;
  // The metadata group's newest state: the replica that applied the most.
  const cluster::MetadataStateMachine* best = nullptr;
  for (NodeId id : metadata_voters_) {
    auto* p = const_cast<sim::Simulation&>(sim_).process_as<NodeProcess>(id);
    const Replica* r = p ? p->node().group(cluster::kMetadataGroup) : nullptr;
    if (r == nullptr || !r->error().empty()) continue;
    const auto& sm = static_cast<const cluster::MetadataStateMachine&>(r->state());
    if (best == nullptr || sm.applied_index() > best->applied_index()) best = &sm;
  }
  return best ? best->map() : kEmpty;
}

std::vector<float> ShardedRun::random_vector(Rng& rng) const {
  return vector_near(centres_[rng.below(centres_.size())], rng);
}

std::vector<float> ShardedRun::vector_near(const std::vector<float>& centre, Rng& rng) {
  std::vector<float> v;
  for (float x : centre) v.push_back(x + static_cast<float>(rng.real01() * 2 - 1));
  return v;
}

std::string ShardedRun::document_json(Rng& rng, uint64_t id) const {
  json::object o;
  char name[16];
  std::snprintf(name, sizeof name, "d%05llu", static_cast<unsigned long long>(id));
  o["_id"] = name;
  // A few documents lack a field, so aggregations see missing values.
  if (!rng.chance(0.05)) o["cat"] = kCategories[std::min<uint64_t>(rng.below(kCategoryCount), rng.below(kCategoryCount))];
  // Under range and vector sharding a document's range field and vector are
  // its shard key, which never changes (moving a document between shards
  // needs a cross-shard transaction): they are drawn from the id's own
  // stream, so every version of a document has the same ones.
  Rng key(hash_combine(opts_.seed, id));
  Rng& keyed = config_.strategy == cluster::ShardingStrategy::kHash ? rng : key;
  // Range sharding puts documents without the field on shard 0; the range
  // scenario's balance is about the split points, so every document has it.
  const bool n_missing = keyed.chance(0.05) && config_.strategy != cluster::ShardingStrategy::kRange;
  if (!n_missing) o["n"] = static_cast<int64_t>(keyed.below(1000));
  json::array v;
  // Keyed vectors take their centre round robin by id, so every cluster of
  // data (and so every vector shard) holds the same share.
  const std::vector<float> vec = config_.strategy == cluster::ShardingStrategy::kHash
                                     ? random_vector(rng)
                                     : vector_near(centres_[id % centres_.size()], keyed);
  for (float x : vec) v.push_back(static_cast<double>(x));
  o["price"] = static_cast<double>(rng.below(100000)) / 100;
  o["at"] = static_cast<int64_t>(rng.below(90)) * 86'400'000 + static_cast<int64_t>(rng.below(86'400)) * 1000;
  o["v"] = std::move(v);
  return json::serialize(o);
}

namespace {

std::string vector_json(const std::vector<float>& v) {
  json::array a;
  for (float x : v) a.push_back(static_cast<double>(x));
  return json::serialize(a);
}

constexpr const char* kEveryAggregation = R"({
  "cats": {"terms": {"field": "cat", "size": 4, "show_term_doc_count_error": true},
           "aggs": {"avg_price": {"avg": {"field": "price"}}, "p": {"percentiles": {"field": "price"}}}},
  "stats": {"stats": {"field": "price"}},
  "ext": {"extended_stats": {"field": "n"}},
  "hist": {"histogram": {"field": "price", "interval": 100},
           "aggs": {"n_card": {"cardinality": {"field": "n"}}, "n_sum": {"sum": {"field": "n"}}}},
  "weeks": {"date_histogram": {"field": "at", "fixed_interval": "7d"}},
  "ranges": {"range": {"field": "price", "ranges": [{"to": 200}, {"from": 200, "to": 700}, {"from": 700}]},
             "aggs": {"max_n": {"max": {"field": "n"}}}},
  "groups": {"filters": {"filters": {"c1": {"term": {"cat": "c1"}}, "cheap": {"range": {"price": {"lt": 50}}}}},
             "aggs": {"min_price": {"min": {"field": "price"}}}},
  "avg_price": {"avg": {"field": "price"}},
  "min_n": {"min": {"field": "n"}},
  "max_n": {"max": {"field": "n"}},
  "sum_price": {"sum": {"field": "price"}},
  "count_n": {"value_count": {"field": "n"}},
  "pct": {"percentiles": {"field": "price", "percents": [1, 25, 50, 75, 99]}},
  "cats_seen": {"cardinality": {"field": "cat"}}})";

}  // namespace

std::string ShardedRun::random_search(Rng& rng) const {
  const std::string cat = kCategories[rng.below(kCategoryCount)];
  switch (config_.aggregations_only ? 3 + rng.below(2) : rng.below(5)) {
    case 0:
      return absl::StrCat(R"({"knn": {"field": "v", "query_vector": )", vector_json(random_vector(rng)),
                          R"(, "k": 10, "num_candidates": 40}, "size": 10})");
    case 1:
      return absl::StrCat(R"({"knn": {"field": "v", "query_vector": )", vector_json(random_vector(rng)),
                          R"(, "k": 8, "num_candidates": 40, "filter": {"term": {"cat": ")", cat,
                          R"("}}}, "size": 8})");
    case 2: {
      const uint64_t lo = rng.below(900);
      return absl::StrCat(R"({"query": {"range": {"n": {"gte": )", lo, R"(, "lt": )", lo + 100,
                          R"(}}}, "sort": [{"price": "desc"}], "size": 15})");
    }
    case 3:
      return absl::StrCat(R"({"query": {"term": {"cat": ")", cat, R"("}}, "size": 0, "aggs": )", kEveryAggregation,
                          "}");
    default:
      return absl::StrCat(R"({"size": 0, "aggs": )", kEveryAggregation, "}");
  }
}

bool ShardedRun::replicas_agree() {
  const cluster::ShardMap& m = map();
  const cluster::CollectionInfo* info = m.find(collection_name());
  if (info == nullptr) return true;
  for (const cluster::ShardInfo& shard : info->shards) {
    std::optional<uint64_t> fingerprint;
    for (NodeId id : shard.replicas) {
      Node* n = node(id);
      const Replica* r = n ? n->group(shard.group) : nullptr;
      if (r == nullptr || !r->error().empty() || r->raft() == nullptr) return false;
      const uint64_t fp = r->state().fingerprint();
      if (fingerprint && *fingerprint != fp) return false;
      fingerprint = fp;
    }
  }
  return true;
}

std::map<GroupId, std::map<NodeId, check::DocumentSet>> ShardedRun::read_replicas() {
  std::map<GroupId, std::map<NodeId, check::DocumentSet>> out;
  const cluster::ShardMap& m = map();
  const cluster::CollectionInfo* info = m.find(collection_name());
  if (info == nullptr) return out;
  for (const cluster::ShardInfo& shard : info->shards) {
    for (NodeId id : shard.replicas) {
      Node* n = node(id);
      const Replica* r = n ? n->group(shard.group) : nullptr;
      if (r == nullptr || !r->error().empty() || r->raft() == nullptr) continue;
      const auto& sm = static_cast<const shard::CollectionStateMachine&>(r->state());
      check::DocumentSet docs;
      std::string after;
      while (true) {
        const shard::QueryResult page =
            sm.read(shard::ListIdsQuery{after, shard::kMaxListIdsLimit, 0});
        SHOAL_ASSERT(page.code == shard::CollectionCode::kOk);
        const auto& ids = std::get<shard::IdsAnswer>(page.answer);
        for (const shard::LiveId& live : ids.ids) {
          auto doc = sm.collection().get(live.id);
          SHOAL_ASSERT(doc.ok() && doc->has_value());
          docs[live.id] = json::serialize(search::document_to_json(**doc, sm.schema()));
          after = live.id;
        }
        if (!ids.more) break;
      }
      out[shard.group][id] = std::move(docs);
    }
  }
  return out;
}

ScenarioResult ShardedRun::run(const ShardedNemesis& nemesis) {
  if (nemesis) nemesis(*this);
  sim_.at(heal_at(), "heal everything", [this] {
    if (on_heal) on_heal();
    sim_.heal_all_links();
    for (NodeId id : nodes_) {
      if (!sim_.running(id)) sim_.restart(id);
      sim_.resume(id);
    }
  });
  sim_.run_until(stop_at());
  // Operations in flight end by their timeout; then the replicas must agree.
  const TimePoint settle_by = stop_at() + config_.operation_timeout + config_.liveness_bound;
  while ((in_flight_ > 0 || !replicas_agree()) && sim_.now() < settle_by) sim_.run_for(milliseconds(50));
  metric("settle_ms", to_seconds_f(sim_.now() - stop_at()) * 1000);
  start_final_phase(*this);
  const TimePoint final_by = sim_.now() + seconds(60);
  sim_.run_until([this] { return final_done_; }, final_by);
  ScenarioResult r;
  r.nodes = config_.nodes;
  judge(r);
  r.trace_hash = sim_.trace_hash();
  r.stats = sim_.stats();
  r.virtual_time = sim_.now().time_since_epoch();
  for (const auto& [k, v] : metrics_) r.metrics[k] = v;
  r.history = std::make_shared<check::History>(writes_);
  return r;
}

}  // namespace shoal::scenarios
