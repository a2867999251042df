#include "engine/server/node.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/core/assert.h"
#include "engine/core/channels.h"
#include "engine/core/codec.h"

namespace shoal {

Node::Node(Env& env, NodeConfig config)
    : env_(env), config_(std::move(config)), rpc_(std::make_unique<Rpc>(env)), register_timer_(env.clock()) {
  SHOAL_ASSERT(std::find(config_.members.begin(), config_.members.end(), env_.self()) !=
         config_.members.end());
  std::vector<NodeId> peers;
  for (NodeId m : config_.members) {
    if (m != env_.self()) peers.push_back(m);
  }
  health_ = std::make_unique<HealthMonitor>(env_, peers, config_.health, config_.on_health_change);
}

Node::~Node() {
  env_.network().set_handler(kAdminChannel, {});
}

void Node::start() {
  env_.network().set_handler(kAdminChannel, [this](Message&& m) { on_admin(std::move(m)); });
  health_->start();
  for (const GroupSpec& spec : config_.groups) {
    const bool added = add_replica(spec);
    SHOAL_ASSERT(added);  // a node config names each group once
  }
  if (!config_.metadata_voters.empty()) start_sharded();
  rpc_->serve(kGroupRequestMethod, [this](Request r, Responder responder) {
    on_group_request(std::move(r), std::move(responder));
  });
}

std::string Node::error() const {
  std::string e = health_->error();
  for (const auto& [id, g] : replicas_) {
    const std::string ge = g->error();
    if (!ge.empty()) e += (e.empty() ? "" : "; ") + ge;
  }
  return e;
}

Replica* Node::group(GroupId id) {
  auto it = replicas_.find(id);
  return it == replicas_.end() ? nullptr : it->second.get();
}

const Replica* Node::group(GroupId id) const {
  auto it = replicas_.find(id);
  return it == replicas_.end() ? nullptr : it->second.get();
}

bool Node::add_replica(const GroupSpec& spec) {
  if (replicas_.contains(spec.id)) return false;
  auto r = std::make_unique<Replica>(env_, spec, config_.raft_observer);
  Replica& replica = *r;
  replicas_.emplace(spec.id, std::move(r));
  replica.start();
  return true;
}

bool Node::drop_replica(GroupId id) {
  return replicas_.erase(id) > 0;
}

void Node::on_group_request(Request&& request, Responder responder) {
  auto decoded = decode_request(request.payload);
  if (!decoded.ok()) return responder.fail(make_error(ErrorCode::kBadRequest, std::string(decoded.status().message())));
  // The sender routed by a newer map than this node holds (a collection just
  // created, say): learn that map first, which also creates the replicas it
  // places here, then serve. Answering "no such group" instead would send
  // the sender away from the node the map names.
  if (map_cache_ != nullptr && decoded->map_version > map_cache_->current()->version &&
      group(decoded->group) == nullptr) {
    const uint64_t version = decoded->map_version;
    map_cache_->refresh(version, [this, r = std::move(*decoded), responder](bool) mutable {
      serve_group_request(std::move(r), std::move(responder));
    });
    return;
  }
  serve_group_request(std::move(*decoded), std::move(responder));
}

void Node::serve_group_request(ClientRequest request, Responder responder) {
  if (Error stale = stale_routing(request); !stale.ok()) return responder.fail(std::move(stale));
  Replica* g = group(request.group);
  if (g == nullptr) {
    return responder.fail(make_error(ErrorCode::kNotFound, "no group " + std::to_string(request.group) + " on this node"));
  }
  g->handle(std::move(request), std::move(responder));
}

std::string Node::status_json() const {
  boost::json::object o;
  o["id"] = env_.self();
  o["boot_count"] = health_->boot_count();
  o["ready"] = health_->ready();
  if (!error().empty()) o["error"] = error();
  o["time_ms"] = to_ms(env_.clock().now().time_since_epoch());
  boost::json::array peers;
  for (const auto& [id, p] : health_->peers()) {
    boost::json::object po;
    po["id"] = id;
    po["status"] = to_string(p.status);
    po["since_ms"] = to_ms(p.since.time_since_epoch());
    po["missed_heartbeats"] = p.missed_heartbeats;
    po["answered"] = p.answered;
    po["last_answer_ms"] = to_ms(p.last_answer.time_since_epoch());
    po["newest_echo_ms"] = to_ms(p.newest_echo.time_since_epoch());
    po["rtt_us"] = std::chrono::duration_cast<microseconds>(p.rtt).count();
    po["boot_count"] = p.boot_count;
    po["restarts_seen"] = p.restarts_seen;
    peers.push_back(std::move(po));
  }
  o["peers"] = std::move(peers);
  boost::json::array groups;
  for (const auto& [id, g] : replicas_) {
    boost::json::object go;
    go["id"] = id;
    go["kind"] = to_string(g->kind());
    if (!g->error().empty()) go["error"] = g->error();
    if (const RaftNode* r = g->raft()) {
      go["role"] = to_string(r->role());
      go["term"] = r->term();
      go["leader"] = r->leader();
      go["commit"] = r->commit_index();
      go["applied"] = r->applied_index();
      go["last_index"] = r->last_index();
      go["members"] = r->membership().to_string();
      // A replica that lost its state does not vote until it proved it may
      // (engine/raft/raft.h, "Lost state").
      go["votes"] = r->votes_suspended() ? "suspended" : "ok";
    }
    groups.push_back(std::move(go));
  }
  o["groups"] = std::move(groups);
  return boost::json::serialize(o);
}

void Node::on_admin(Message&& m) {
  Reader r(m.payload);
  const uint8_t kind = r.u8();
  const uint64_t request_id = r.u64();
  if (!r.finished_ok() || kind != static_cast<uint8_t>(AdminKind::kStatus)) {
    env_.log(LogLevel::kWarn, "admin", "malformed admin request from " + std::to_string(m.from));
    return;
  }
  Writer w;
  w.u8(kind);
  w.u64(request_id);
  w.bytes(status_json());
  env_.network().send(m.from, kAdminChannel, w.take());
}

}  // namespace shoal
