#include "scenarios/sharded_clients.h"

#include <algorithm>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "engine/client/collection_client.h"
#include "engine/coordinator/pit_token.h"
#include "engine/core/assert.h"
#include "engine/search/request.h"
#include "engine/shard/collection_state_machine.h"
#include "engine/rpc/rpc.h"
#include "scenarios/sharded_run.h"

namespace shoal::scenarios {

namespace json = boost::json;

namespace {

// Client process ids: setup, then writers, searchers, the final client.
constexpr NodeId kSetupClient = kClientIdBase + 1;
constexpr NodeId kFirstWriter = kClientIdBase + 10;
constexpr NodeId kFirstSearcher = kClientIdBase + 100;
constexpr NodeId kFinalClient = kClientIdBase + 1000;
constexpr uint64_t kWorkloadStreamSalt = 0x5a4d;

check::Outcome history_outcome(coord::Outcome o) {
  switch (o) {
    case coord::Outcome::kOk: return check::Outcome::kOk;
    case coord::Outcome::kFail: return check::Outcome::kFail;
    case coord::Outcome::kUnknown: return check::Outcome::kUnknown;
  }
  return check::Outcome::kUnknown;
}

// The ids of an answer's hits, in order, and its next cursor.
struct Page {
  std::vector<std::string> ids;
  std::optional<std::string> next_cursor;
};
Page page_of(const std::string& body_json) {
  Page p;
  boost::system::error_code ec;
  json::value body = json::parse(body_json, ec);
  if (ec || !body.is_object()) return p;
  if (const json::value* c = body.as_object().if_contains("next_cursor"); c && c->is_string()) {
    p.next_cursor = std::string(c->as_string());
  }
  const json::value* hits = body.as_object().if_contains("hits");
  const json::value* list = hits && hits->is_object() ? hits->as_object().if_contains("hits") : nullptr;
  if (list == nullptr || !list->is_array()) return p;
  for (const json::value& h : list->as_array()) {
    if (h.is_object() && h.as_object().contains("_id") && h.as_object().at("_id").is_string()) {
      p.ids.emplace_back(h.as_object().at("_id").as_string());
    }
  }
  return p;
}

}  // namespace

// What every client process has: its Env, an Rpc and a CollectionClient.
class ClientBase : public sim::Process {
 protected:
  ClientBase(Env& env, ShardedRun& run, Duration timeout, ReadLevel level)
      : env_(env), run_(run), rpc_(env), client_(env, rpc_, run.node_ids(), options(run, timeout, level)),
        timer_(env.clock()), choices_(env.random().fork(kWorkloadStreamSalt)) {}

  static CollectionClientOptions options(const ShardedRun& run, Duration timeout, ReadLevel level) {
    CollectionClientOptions o;
    o.operation_timeout = timeout;
    o.attempt_timeout = std::min(timeout, Duration(seconds(1)));
    o.write_level = run.config().write_level;
    o.read_level = level;
    return o;
  }

  Env& env_;
  ShardedRun& run_;
  Rpc rpc_;
  CollectionClient client_;
  TimerSlot timer_;
  Rng choices_;
};

// Creates the collection from a seeded sample, retrying until the cluster
// has it (kConflict from a retry of a create that took effect is success).
class SetupProcess final : public ClientBase {
 public:
  SetupProcess(Env& env, ShardedRun& run) : ClientBase(env, run, seconds(2), ReadLevel::kLinearizable) {
    timer_.arm(milliseconds(300), [this] { attempt(); });
  }

 private:
  void attempt() {
    if (run_.created_) return;
    // Like an operator, wait until every node has joined: placement spreads
    // the shards over the members the map knows.
    if (run_.map().members.size() < run_.node_ids().size()) {
      timer_.arm(milliseconds(100), [this] { attempt(); });
      return;
    }
    CreateCollectionRequest request;
    request.settings.name = run_.collection_name();
    request.settings.schema_json = run_.schema_json();
    request.settings.shard_count = run_.config_.shards;
    request.settings.replication_factor = run_.config_.replication;
    request.settings.strategy = run_.config_.strategy;
    if (run_.config_.strategy == cluster::ShardingStrategy::kRange) request.settings.range_field = run_.config_.range_field;
    Rng sample(hash_combine(run_.opts_.seed, 0x5a3b1e));
    json::array docs;
    // A systematic sample of the id space: every id equally likely to be in
    // it, none twice, as a user would sample the data they are about to load.
    const uint32_t n = std::min(run_.config_.sample_documents, run_.config_.id_space);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t id = uint64_t{i} * run_.config_.id_space / n;
      docs.push_back(json::parse(run_.document_json(sample, id)));
    }
    request.sample_json = json::serialize(docs);
    request.seed = run_.opts_.seed;
    const NodeId to = run_.node_ids()[(attempts_++) % run_.node_ids().size()];
    rpc_.call(to, kCreateCollectionMethod, encode_create_collection(request), seconds(2), [this](Reply reply) {
      if (reply.ok()) {
        auto result = cluster::decode_result(reply.payload);
        if (result.ok() && (result->ok() || result->code == ErrorCode::kConflict)) return wait_for_shards();
      }
      timer_.arm(milliseconds(300), [this] { attempt(); });
    });
  }

  // Ready once every shard of the collection has a leader.
  void wait_for_shards() {
    const cluster::ShardMap& m = run_.map();
    const cluster::CollectionInfo* info = m.find(run_.collection_name());
    bool all = info != nullptr;
    if (info) {
      for (const auto& s : info->shards) all = all && run_.leader_of(s.group) != kNoNode;
    }
    if (all) {
      run_.created_ = true;
      run_.created_at_ = run_.sim_.now();
      return;
    }
    timer_.arm(milliseconds(100), [this] { wait_for_shards(); });
  }

  size_t attempts_ = 0;
};

// Upserts bulks of documents and now and then deletes a few, one operation
// at a time; every document it sends is an operation of the write history.
class WriterProcess final : public ClientBase {
 public:
  WriterProcess(Env& env, ShardedRun& run, uint32_t index)
      : ClientBase(env, run, run.config().operation_timeout, ReadLevel::kLinearizable), index_(index) {
    schedule();
  }

 private:
  void schedule() {
    if (run_.sim_.now() >= run_.stop_at()) return;
    timer_.arm(choices_.range(run_.config_.think_min, run_.config_.think_max), [this] { issue(); });
  }

  void issue() {
    if (!run_.created_) return schedule();
    if (run_.sim_.now() >= run_.stop_at()) return;
    const int64_t now = to_ns(run_.sim_.now());
    if (choices_.chance(run_.config_.delete_fraction)) return remove(now);
    const uint32_t n = static_cast<uint32_t>(choices_.range(run_.config_.bulk_min, run_.config_.bulk_max));
    json::array bulk;
    std::vector<std::pair<std::string, size_t>> ops;
    std::set<std::string> in_bulk;
    for (uint32_t i = 0; i < n; ++i) {
      std::string body = run_.document_json(choices_, next_id());
      json::value v = json::parse(body);
      const std::string id(v.as_object().at("_id").as_string());
      if (!in_bulk.insert(id).second) continue;  // one version of a document per bulk
      ops.emplace_back(id, run_.writes_.invoke(index_, now, check::Op::write(id, body)));
      bulk.push_back(std::move(v));
    }
    ++run_.in_flight_;
    client_.upsert(run_.collection_name(), json::serialize(bulk),
                   [this, ops](const CollectionResult& r) { complete(ops, r); });
  }

  void remove(int64_t now) {
    std::vector<std::string> ids;
    std::vector<std::pair<std::string, size_t>> ops;
    const uint64_t n = choices_.range(1, 4);
    for (uint64_t i = 0; i < n; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "d%05llu", static_cast<unsigned long long>(choices_.below(run_.config_.id_space)));
      if (std::find(ids.begin(), ids.end(), name) != ids.end()) continue;
      ids.push_back(name);
      ops.emplace_back(name, run_.writes_.invoke(index_, now, check::Op::del(name)));
    }
    ++run_.in_flight_;
    client_.remove(run_.collection_name(), ids, [this, ops](const CollectionResult& r) { complete(ops, r); });
  }

  void complete(const std::vector<std::pair<std::string, size_t>>& ops, const CollectionResult& r) {
    --run_.in_flight_;
    const int64_t now = to_ns(run_.sim_.now());
    for (const auto& [id, at] : ops) {
      // With shard commands reported, each document's outcome is its
      // shard's; without (refused up front, or no coordinator answered),
      // the operation's own.
      const check::Outcome o = r.write.shards.empty() ? history_outcome(r.outcome)
                                                      : history_outcome(r.write.document_outcome(id));
      run_.writes_.complete(at, now, o);
    }
    schedule();
  }

  // The next id to write: this writer's share of the id space in order
  // while loading, then any id.
  uint64_t next_id() {
    const uint64_t writers = static_cast<uint64_t>(run_.config_.writers);
    const uint64_t in_order = index_ + writers * loaded_;
    if (run_.config_.load_in_order && in_order < run_.config_.id_space) {
      ++loaded_;
      return in_order;
    }
    return choices_.below(run_.config_.id_space);
  }

  uint32_t index_;
  uint64_t loaded_ = 0;
};

// Searches at its level: k-NN with and without filters, sorted pages, and
// every aggregation kind; each answer is kept for the checkers.
class SearcherProcess final : public ClientBase {
 public:
  SearcherProcess(Env& env, ShardedRun& run, ReadLevel level)
      : ClientBase(env, run, run.config().search_timeout, level) {
    schedule();
  }

 private:
  void schedule() {
    if (run_.sim_.now() >= run_.stop_at()) return;
    timer_.arm(choices_.range(run_.config_.search_think_min, run_.config_.search_think_max), [this] { issue(); });
  }

  void issue() {
    if (!run_.created_) return schedule();
    if (run_.sim_.now() >= run_.stop_at()) return;
    SearchRecord rec;
    rec.invoke_ns = to_ns(run_.sim_.now());
    rec.request_json = run_.random_search(choices_);
    const size_t at = run_.searches_.size();
    run_.searches_.push_back(rec);
    CollectionSearchParams params;
    params.probe_shards = run_.config_.probe_shards;
    ++run_.in_flight_;
    client_.search(run_.collection_name(), rec.request_json, params, [this, at](const CollectionResult& r) {
      --run_.in_flight_;
      record(run_, at, r);
      schedule();
    });
  }

 public:
  static void record(ShardedRun& run, size_t at, const CollectionResult& r) {
    SearchRecord& rec = run.searches_[at];
    rec.complete_ns = to_ns(run.sim_.now());
    rec.ok = r.outcome == coord::Outcome::kOk;
    rec.error = r.error;
    rec.body_json = r.search.body_json;
    for (const coord::ShardFailure& f : r.search.failed) rec.missing.push_back(f.shard);
    std::sort(rec.missing.begin(), rec.missing.end());
    const cluster::ShardMap& m = run.map();
    for (const auto& [group, revision] : r.search.revisions) {
      if (const cluster::ShardInfo* s = cluster::shard_of_group(m, group)) rec.contributed.push_back(s->shard);
    }
    std::sort(rec.contributed.begin(), rec.contributed.end());
  }
};

// The final phase: a battery of searches judged against the oracle, then
// every document paged through with a point in time and a cursor.
class FinalProcess final : public ClientBase {
 public:
  FinalProcess(Env& env, ShardedRun& run) : ClientBase(env, run, seconds(5), ReadLevel::kLinearizable) {
    timer_.arm(Duration(0), [this] { next_query(); });
  }

 private:
  void next_query() {
    if (asked_ == run_.config_.final_queries) return open_pit();
    ++asked_;
    SearchRecord rec;
    rec.final = true;
    rec.invoke_ns = to_ns(run_.sim_.now());
    rec.request_json = run_.random_search(choices_);
    const size_t at = run_.searches_.size();
    run_.searches_.push_back(rec);
    client_.search(run_.collection_name(), rec.request_json, CollectionSearchParams{.allow_partial = false},
                   [this, at](const CollectionResult& r) {
                     SearcherProcess::record(run_, at, r);
                     if (r.outcome != coord::Outcome::kOk) {
                       run_.final_error_ = absl::StrCat("final search ", at, ": ", r.error.describe());
                     }
                     next_query();
                   });
  }

  void open_pit() {
    client_.open_pit(run_.collection_name(), [this](const CollectionResult& r) {
      if (r.outcome != coord::Outcome::kOk) return finish("open_pit: " + r.error.describe());
      pit_ = r.pit_id;
      run_.pit_request_json_ = absl::StrCat(R"({"query": {"match_all": {}}, "sort": [{"cat": "asc"}], "size": )",
                                            run_.config_.page_size, R"(, "_source": false})");
      page({});
    });
  }

  void page(std::optional<std::string> cursor) {
    json::value request = json::parse(run_.pit_request_json_);
    request.as_object()["pit"] = json::object{{"id", pit_}};
    if (cursor) request.as_object()["cursor"] = *cursor;
    client_.search(run_.collection_name(), json::serialize(request), CollectionSearchParams{.allow_partial = false},
                   [this](const CollectionResult& r) {
                     if (r.outcome != coord::Outcome::kOk) {
                       return finish("page " + std::to_string(run_.pages_.size()) + ": " + r.error.describe());
                     }
                     Page p = page_of(r.search.body_json);
                     run_.pages_.push_back(std::move(p.ids));
                     if (p.next_cursor && run_.pages_.size() < kPagesMax) return page(p.next_cursor);
                     client_.close_pit(pit_, [this](const CollectionResult&) { finish(""); });
                   });
  }

  void finish(std::string error) {
    if (!error.empty()) run_.final_error_ = std::move(error);
    run_.final_done_ = true;
  }

  static constexpr size_t kPagesMax = 1000;
  int asked_ = 0;
  std::string pit_;
};

// Walks every document with a PIT and a cursor while the writers go on (the
// quiet phase), and records what the PIT holds, read from each shard's
// leader at its pinned revision right after the open.
class PagerProcess final : public ClientBase {
 public:
  PagerProcess(Env& env, ShardedRun& run) : ClientBase(env, run, seconds(5), ReadLevel::kLinearizable) {
    timer_.arm(run.heal_at() + seconds(1) - run.sim_.now(), [this] { open(); });
  }

 private:
  static constexpr const char* kRequest = R"({"query": {"match_all": {}}, "sort": ["_id"], "size": 29, "_source": false})";

  void open() {
    client_.open_pit(run_.collection_name(), [this](const CollectionResult& r) {
      if (r.outcome != coord::Outcome::kOk) return finish("open_pit: " + r.error.describe());
      auto token = coord::decode_pit_token(r.pit_id);
      if (!token.ok()) return finish("the PIT id does not decode: " + std::string(token.status().message()));
      if (std::string err = record_expected(*token); !err.empty()) return finish(err);
      pit_ = r.pit_id;
      page({});
    });
  }

  // The ids each shard holds at its pinned revision, from its leader.
  std::string record_expected(const coord::PitToken& token) {
    auto request = search::parse_search_request(R"({"query": {"match_all": {}}, "size": 10000, "_source": false})",
                                                run_.schema_);
    SHOAL_ASSERT(request.ok());
    for (const coord::PitShard& s : token.shards) {
      const NodeId leader = run_.leader_of(s.group);
      Node* n = leader == kNoNode ? nullptr : run_.node(leader);
      const Replica* r = n ? n->group(s.group) : nullptr;
      if (r == nullptr || r->state().applied_index() < s.open_index) {
        return absl::StrCat("no replica of group ", s.group, " has applied the PIT's open");
      }
      const auto& sm = static_cast<const shard::CollectionStateMachine&>(r->state());
      auto result = sm.collection().search(*request, s.revision);
      if (!result.ok()) return absl::StrCat("group ", s.group, " at ", s.revision, ": ", result.status().message());
      for (const search::Hit& h : result->hits) run_.expected_during_.push_back(h.id);
    }
    std::sort(run_.expected_during_.begin(), run_.expected_during_.end());
    return "";
  }

  void page(std::optional<std::string> cursor) {
    json::value request = json::parse(kRequest);
    request.as_object()["pit"] = json::object{{"id", pit_}};
    if (cursor) request.as_object()["cursor"] = *cursor;
    client_.search(run_.collection_name(), json::serialize(request), CollectionSearchParams{.allow_partial = false},
                   [this](const CollectionResult& r) {
                     if (r.outcome != coord::Outcome::kOk) {
                       return finish("page " + std::to_string(run_.pages_during_.size()) + ": " + r.error.describe());
                     }
                     Page p = page_of(r.search.body_json);
                     run_.pages_during_.push_back(std::move(p.ids));
                     if (p.next_cursor && run_.pages_during_.size() < kPagesMax) return page(p.next_cursor);
                     client_.close_pit(pit_, [this](const CollectionResult&) { finish(""); });
                   });
  }

  void finish(std::string error) {
    run_.pager_error_ = std::move(error);
    run_.pager_done_ = true;
  }

  static constexpr size_t kPagesMax = 2000;
  std::string pit_;
};

void add_sharded_clients(ShardedRun& run) {
  if (run.config().page_during_writes) {
    run.sim().add_process(kClientIdBase + 2, "pager", [&run](Env& env) { return std::make_unique<PagerProcess>(env, run); });
  }
  run.sim().add_process(kSetupClient, "setup", [&run](Env& env) { return std::make_unique<SetupProcess>(env, run); });
  for (int i = 0; i < run.config().writers; ++i) {
    run.sim().add_process(kFirstWriter + static_cast<NodeId>(i), "writer" + std::to_string(i), [&run, i](Env& env) {
      return std::make_unique<WriterProcess>(env, run, static_cast<uint32_t>(i));
    });
  }
  for (int i = 0; i < run.config().searchers; ++i) {
    const ReadLevel level = run.config().search_levels[static_cast<size_t>(i) % run.config().search_levels.size()];
    run.sim().add_process(kFirstSearcher + static_cast<NodeId>(i), "searcher" + std::to_string(i),
                          [&run, i, level](Env& env) {
                            return std::make_unique<SearcherProcess>(env, run, level);
                          });
  }
}

void start_final_phase(ShardedRun& run) {
  run.sim().add_process(kFinalClient, "final", [&run](Env& env) { return std::make_unique<FinalProcess>(env, run); });
}

}  // namespace shoal::scenarios
