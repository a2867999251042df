#include "engine/server/kv_group.h"

#include "engine/core/channels.h"
#include "engine/shard/kv_command.h"
#include "engine/storage/disk_log.h"
#include "engine/storage/disk_snapshot_store.h"

namespace shoal {

KvGroup::KvGroup(Env& env, GroupSpec spec, RaftObserver* observer)
    : env_(env), spec_(std::move(spec)), observer_(observer), sm_(spec_.kv) {
  spec_.raft.group = spec_.id;
}

KvGroup::~KvGroup() = default;

void KvGroup::start() {
  const std::string dir = "raft/g" + std::to_string(spec_.id) + "/";
  RecoveryReport report;
  auto log = DiskLog::open_dir(env_, dir, {}, &report);
  if (!log.ok()) {
    open_error_ = "group " + std::to_string(spec_.id) + " log: " + std::string(log.status().message());
  }
  auto snaps = DiskSnapshotStore::open_dir(env_, dir, DiskSnapshotOptions{.chunk_bytes = spec_.snapshot_chunk_bytes});
  if (open_error_.empty() && !snaps.ok()) {
    open_error_ = "group " + std::to_string(spec_.id) + " snapshot: " + std::string(snaps.status().message());
  }
  if (!open_error_.empty()) {
    env_.log(LogLevel::kError, "group", open_error_ + "; refusing to serve");
    return;
  }
  raft_ = std::make_unique<RaftNode>(env_, spec_.raft, std::move(*log), std::move(*snaps), sm_, observer_);
  raft_->start();
}

std::string KvGroup::error() const {
  if (!open_error_.empty()) return open_error_;
  if (raft_ && !raft_->health().ok()) return std::string(raft_->health().message());
  return "";
}

void KvGroup::reply(NodeId to, ClientReply r) {
  env_.network().send(to, kClientChannel, encode_reply(r));
}

void KvGroup::handle(NodeId from, ClientRequest request) {
  if (const std::string err = error(); !err.empty() || !raft_) {
    return reply(from, ClientReply{request.request_id, ReplyStatus::kUnavailable, kNoNode, 0, "", err});
  }
  if (request.write) {
    handle_write(from, request);
  } else {
    handle_read(from, request);
  }
}

namespace {

// How a Raft outcome becomes a reply, by its typed error: success carries
// the result (or, for a leader-level write not yet applied, says accepted);
// a refusal had no effect; a lost leadership leaves a write's outcome unknown.
ReplyStatus reply_status(const RaftResult& r) {
  switch (r.error) {
    case RaftError::kNone: return r.applied ? ReplyStatus::kOk : ReplyStatus::kAccepted;
    case RaftError::kNotLeader: return ReplyStatus::kNotLeader;
    case RaftError::kOverloaded: return ReplyStatus::kOverloaded;
    case RaftError::kOutcomeUnknown: return ReplyStatus::kUnknown;
    case RaftError::kUnavailable:
    case RaftError::kRejected: return ReplyStatus::kUnavailable;
  }
  return ReplyStatus::kUnavailable;
}

ClientReply to_reply(uint64_t request_id, const RaftResult& r) {
  ClientReply out{request_id, reply_status(r), r.leader_hint, r.index, "", r.message};
  if (out.status == ReplyStatus::kOk) out.payload = r.value;
  return out;
}

}  // namespace

void KvGroup::handle_write(NodeId from, ClientRequest& request) {
  if (!kv::decode_command(request.payload).ok()) {
    return reply(from, ClientReply{request.request_id, ReplyStatus::kBadRequest, kNoNode, 0, "", "malformed command"});
  }
  const Ack ack = request.level == static_cast<uint8_t>(WriteLevel::kLeader)  ? Ack::kLeader
                  : request.level == static_cast<uint8_t>(WriteLevel::kAll) ? Ack::kAll
                                                                             : Ack::kQuorum;
  const uint64_t id = request.request_id;
  raft_->propose(std::move(request.payload), ack, [this, from, id](RaftResult r) { reply(from, to_reply(id, r)); });
}

void KvGroup::handle_read(NodeId from, ClientRequest& request) {
  if (!kv::decode_query(request.payload).ok()) {
    return reply(from, ClientReply{request.request_id, ReplyStatus::kBadRequest, kNoNode, 0, "", "malformed query"});
  }
  const uint64_t id = request.request_id;
  auto done = [this, from, id](RaftResult r) { reply(from, to_reply(id, r)); };
  switch (static_cast<ReadLevel>(request.level)) {
    case ReadLevel::kLinearizable: return raft_->read_index(std::move(request.payload), done);
    case ReadLevel::kLease: return raft_->read_lease(std::move(request.payload), done);
    case ReadLevel::kSession:
      return raft_->read_after(request.session_index, std::move(request.payload), spec_.session_read_timeout, done);
    case ReadLevel::kAny: return done(raft_->read_local(request.payload));
  }
}

}  // namespace shoal
