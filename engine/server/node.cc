#include "engine/server/node.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/core/assert.h"
#include "engine/core/channels.h"
#include "engine/core/codec.h"

namespace shoal {

Node::Node(Env& env, NodeConfig config) : env_(env), config_(std::move(config)) {
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
  env_.network().set_handler(kClientChannel, {});
}

void Node::start() {
  env_.network().set_handler(kAdminChannel, [this](Message&& m) { on_admin(std::move(m)); });
  health_->start();
  for (const GroupSpec& spec : config_.groups) {
    groups_.push_back(std::make_unique<KvGroup>(env_, spec, config_.raft_observer));
    groups_.back()->start();
  }
  env_.network().set_handler(kClientChannel, [this](Message&& m) { on_client(std::move(m)); });
}

std::string Node::error() const {
  std::string e = health_->error();
  for (const auto& g : groups_) {
    const std::string ge = g->error();
    if (!ge.empty()) e += (e.empty() ? "" : "; ") + ge;
  }
  return e;
}

KvGroup* Node::group(GroupId id) {
  for (auto& g : groups_) {
    if (g->id() == id) return g.get();
  }
  return nullptr;
}

void Node::on_client(Message&& m) {
  auto request = decode_request(m.payload);
  if (!request.ok()) {
    env_.log(LogLevel::kWarn, "client", "dropped malformed request from " + std::to_string(m.from));
    return;
  }
  KvGroup* g = group(request->group);
  if (g == nullptr) {
    ClientReply r{request->request_id, ReplyStatus::kBadRequest, kNoNode, 0, "",
                  "no group " + std::to_string(request->group) + " on this node"};
    env_.network().send(m.from, kClientChannel, encode_reply(r));
    return;
  }
  g->handle(m.from, std::move(*request));
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
  for (const auto& g : groups_) {
    boost::json::object go;
    go["id"] = g->id();
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
