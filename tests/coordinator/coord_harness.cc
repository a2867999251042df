#include "tests/coordinator/coord_harness.h"

#include <boost/json.hpp>

#include "engine/core/random.h"
#include "engine/search/merge.h"
#include "engine/search/request.h"

namespace shoal::coord::testing {

namespace json = boost::json;

// ---- FakeShardNode ----------------------------------------------------------------

FakeShardNode::FakeShardNode(Env& env, World* world) : env_(env), world_(world), rpc_(env) {
  rpc_.serve(kGroupRequestMethod, [this](Request q, Responder r) { handle(std::move(q), std::move(r)); });
}

namespace {

std::string kind_of(const ClientRequest& c, std::vector<std::string>* ids) {
  if (c.write) {
    auto cmd = shard::decode_command(c.payload);
    if (!cmd.ok()) return "malformed";
    if (auto* u = std::get_if<shard::UpsertDocuments>(&*cmd)) {
      *ids = ids_of(u->documents_json);
      return "upsert";
    }
    if (auto* d = std::get_if<shard::DeleteDocuments>(&*cmd)) {
      *ids = d->ids;
      return "delete";
    }
    return std::holds_alternative<shard::OpenPointInTime>(*cmd) ? "open" : "close";
  }
  auto q = shard::decode_query(c.payload);
  if (!q.ok()) return "malformed";
  if (std::holds_alternative<shard::SearchQuery>(*q)) return "search";
  if (std::holds_alternative<shard::GetQuery>(*q)) return "get";
  return "other";
}

}  // namespace

void FakeShardNode::handle(Request q, Responder r) {
  auto decoded = decode_request(q.payload);
  if (!decoded.ok()) return r.fail(make_error(ErrorCode::kBadRequest, "malformed"));
  const NodeId self = env_.self();
  Logged entry;
  entry.node = self;
  entry.group = decoded->group;
  entry.write = decoded->write;
  entry.level = decoded->level;
  entry.map_version = decoded->map_version;
  entry.kind = kind_of(*decoded, &entry.ids);
  entry.at = env_.now();
  NodeKnobs& knobs = world_->knobs[self];
  const Duration delay = knobs.delay;
  if (delay > Duration::zero()) {
    ClientRequest c = *std::move(decoded);
    env_.clock().after(delay, [this, c, r, entry]() mutable { answer(c, r, entry); });
    return;
  }
  answer(*decoded, r, entry);
}

void FakeShardNode::answer(const ClientRequest& c, Responder r, Logged& entry) {
  const NodeId self = env_.self();
  auto log_and = [&](const std::string& what) {
    entry.answer = what;
    world_->log.push_back(entry);
  };
  NodeKnobs& knobs = world_->knobs[self];
  if (!world_->hosted[self].contains(c.group)) {
    log_and("not_found");
    return r.fail(make_error(ErrorCode::kNotFound, "group not hosted"));
  }
  FakeGroup& g = world_->groups.at(c.group);
  if (knobs.overloaded_left > 0) {
    knobs.overloaded_left--;
    log_and("overloaded");
    return r.fail(make_error(ErrorCode::kOverloaded, "busy"));
  }
  if (c.map_version != 0 && c.map_version < g.min_map_version) {
    log_and("stale_map");
    return r.fail(Error{ErrorCode::kStaleMap, "stale", kNoNode, g.min_map_version});
  }
  const bool to_leader = c.write || c.level == static_cast<uint8_t>(ReadLevel::kLinearizable) ||
                         c.level == static_cast<uint8_t>(ReadLevel::kLease);
  if (to_leader && self != g.leader) {
    log_and("not_leader");
    return r.fail(Error{ErrorCode::kNotLeader, "follower", g.hint_leader ? g.leader : kNoNode, 0});
  }
  log_and("ok");
  if (c.write) {
    const uint64_t index = ++g.index;
    return r.reply(encode_reply(ClientReply{false, index, g.sm->apply(index, c.payload)}));
  }
  if (knobs.behind) {
    shard::QueryResult behind;
    behind.code = shard::CollectionCode::kBehind;
    behind.applied_index = 0;
    return r.reply(encode_reply(ClientReply{false, 0, shard::encode_query_result(behind)}));
  }
  r.reply(encode_reply(ClientReply{false, g.sm->applied_index(), g.sm->query(c.payload)}));
}

// ---- FakeMapSource ----------------------------------------------------------------

FakeMapSource::FakeMapSource(Env& env, World* world) : env_(env), world_(world), cached_(world->map) {}

void FakeMapSource::refresh(uint64_t version, std::function<void(bool ok)> done) {
  world_->refreshes++;
  env_.clock().after(milliseconds(2), [this, version, done = std::move(done)] {
    if (world_->map->version > cached_->version) cached_ = world_->map;
    done(cached_->version >= version);
  });
}

// ---- World --------------------------------------------------------------------------

World::World(uint64_t seed, int shard_nodes, CoordinatorOptions options) : sim(seed) {
  auto m = std::make_shared<cluster::ShardMap>();
  for (NodeId id = 1; id <= static_cast<NodeId>(shard_nodes); ++id) m->members.push_back(id);
  map = m;
  for (NodeId id = 1; id <= static_cast<NodeId>(shard_nodes); ++id) {
    sim.add_process(id, "n" + std::to_string(id),
                    [this](Env& env) { return std::make_unique<FakeShardNode>(env, this); });
  }
  sim.add_process(kCoordNode, "coord",
                  [this, options](Env& env) { return std::make_unique<CoordNode>(env, this, options); });
}

void World::create(cluster::CollectionSettings s, cluster::RoutingData routing) {
  cluster::CollectionInfo info;
  Error e = cluster::build_collection(s, routing, *map, &info);
  ASSERT_TRUE(e.ok()) << e.describe();
  auto m = std::make_shared<cluster::ShardMap>(*map);
  m->version = info.created_version;
  m->next_group += static_cast<GroupId>(info.shards.size());
  for (const cluster::ShardInfo& sh : info.shards) {
    FakeGroup g;
    g.sm = std::make_unique<shard::CollectionStateMachine>(info.schema);
    g.leader = sh.replicas.front();
    groups[sh.group] = std::move(g);
    for (NodeId n : sh.replicas) hosted[n].insert(sh.group);
  }
  m->collections[s.name] = std::move(info);
  ASSERT_TRUE(cluster::check_shard_map(*m).ok()) << cluster::check_shard_map(*m).describe();
  map = m;
  // The coordinator caches the map it starts with: restart it on this one.
  sim.crash(kCoordNode);
  sim.restart(kCoordNode);
}

void World::publish(cluster::ShardMap m) { map = std::make_shared<cluster::ShardMap>(std::move(m)); }

std::vector<Logged> World::logged(const std::string& kind) const {
  std::vector<Logged> out;
  for (const Logged& l : log) {
    if (l.kind == kind) out.push_back(l);
  }
  return out;
}

namespace {

template <typename Outcome, typename Start>
Outcome run_op(World& w, Start start) {
  bool done = false;
  Outcome out;
  start([&](Outcome o) {
    EXPECT_FALSE(done) << "completed twice";
    out = std::move(o);
    done = true;
    w.completed_at = w.sim.now();
  });
  EXPECT_TRUE(w.wait(done)) << "never completed";
  return out;
}

}  // namespace

WriteOutcome World::upsert(const std::string& docs, Duration timeout, WriteLevel level, const std::string& name) {
  return run_op<WriteOutcome>(*this, [&](auto done) { coordinator().upsert(name, docs, level, timeout, done); });
}

WriteOutcome World::remove(std::vector<std::string> ids, Duration timeout, const std::string& name) {
  return run_op<WriteOutcome>(
      *this, [&](auto done) { coordinator().remove(name, ids, WriteLevel::kQuorum, timeout, done); });
}

SearchOutcome World::search(const std::string& request, SearchOptions options, const std::string& name) {
  return run_op<SearchOutcome>(*this, [&](auto done) { coordinator().search(name, request, options, done); });
}

GetOutcome World::get(const std::string& id, GetOptions options, const std::string& name) {
  return run_op<GetOutcome>(*this, [&](auto done) { coordinator().get(name, id, options, done); });
}

PitOutcome World::open_pit(Duration timeout, const std::string& name) {
  return run_op<PitOutcome>(*this, [&](auto done) { coordinator().open_pit(name, timeout, done); });
}

ClosePitOutcome World::close_pit(const std::string& id, Duration timeout) {
  return run_op<ClosePitOutcome>(*this, [&](auto done) { coordinator().close_pit(id, timeout, done); });
}

// ---- Data ---------------------------------------------------------------------------

std::string make_docs_json(uint64_t seed, size_t n, size_t first) {
  Rng rng(seed);
  const char* colors[] = {"red", "green", "blue", "black"};
  json::array docs;
  for (size_t i = 0; i < n; ++i) {
    json::object d;
    d["_id"] = "doc" + std::to_string(first + i);
    if (!rng.chance(0.1)) d["color"] = colors[rng.below(4)];
    if (!rng.chance(0.1)) d["n"] = rng.range(0, 20);
    d["price"] = static_cast<double>(rng.range(0, 1000)) / 8;
    d["at"] = static_cast<int64_t>(rng.range(0, 400)) * 3600 * 1000;
    if (!rng.chance(0.1)) d["flag"] = rng.chance(0.5);
    if (!rng.chance(0.05)) {
      json::array v;
      for (int j = 0; j < 4; ++j) v.push_back(static_cast<double>(rng.range(-3, 3)));
      d["v"] = std::move(v);
    }
    docs.push_back(std::move(d));
  }
  return json::serialize(docs);
}

std::vector<std::string> ids_of(const std::string& docs_json) {
  std::vector<std::string> ids;
  json::value v = json::parse(docs_json);
  if (v.is_object()) return {std::string(v.as_object().at("_id").as_string())};
  for (const json::value& d : v.as_array()) ids.push_back(std::string(d.as_object().at("_id").as_string()));
  return ids;
}

cluster::CollectionSettings settings(cluster::ShardingStrategy strategy, uint32_t shards, uint32_t rf,
                                     const std::string& name) {
  cluster::CollectionSettings s;
  s.name = name;
  s.schema_json = kSchemaJson;
  s.shard_count = shards;
  s.replication_factor = rf;
  s.strategy = strategy;
  if (strategy == cluster::ShardingStrategy::kRange) s.range_field = "n";
  return s;
}

std::string single_node_body(const std::string& docs_json, const std::string& request) {
  auto schema = search::Schema::from_json(kSchemaJson);
  EXPECT_TRUE(schema.ok());
  shard::CollectionStateMachine sm(*schema);
  auto applied = shard::decode_result(sm.apply(1, shard::encode_command(shard::UpsertDocuments{docs_json})));
  EXPECT_TRUE(applied.ok() && applied->code == shard::CollectionCode::kOk);
  auto parsed = search::parse_search_request(request, *schema);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  auto qr = sm.read(shard::SearchQuery{request, std::nullopt, 0});
  const auto* answer = std::get_if<shard::SearchAnswer>(&qr.answer);
  EXPECT_NE(answer, nullptr) << shard::describe(qr);
  if (answer == nullptr || !parsed.ok()) return "";
  auto result = search::decode_shard_result(*parsed, *schema, answer->shard_result);
  EXPECT_TRUE(result.ok());
  std::vector<std::pair<uint32_t, search::ShardResult>> results;
  results.emplace_back(0, *std::move(result));
  auto merged = search::merge_shard_results(*parsed, std::move(results), {});
  auto body = search::render_response(*parsed, *schema, merged);
  EXPECT_TRUE(body.ok());
  body->erase("_shards");
  body->erase("partial");
  return json::serialize(*body);
}

std::string without_shards(const std::string& body) {
  json::value v = json::parse(body);
  v.as_object().erase("_shards");
  v.as_object().erase("partial");
  return json::serialize(v);
}

}  // namespace shoal::coord::testing
