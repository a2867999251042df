#include "engine/server/replica.h"

#include "engine/core/assert.h"
#include "engine/core/channels.h"
#include "engine/shard/kv_command.h"
#include "engine/storage/disk_log.h"
#include "engine/storage/disk_snapshot_store.h"

namespace shoal {

const char* to_string(GroupKind k) {
  switch (k) {
    case GroupKind::kKv: return "kv";
    case GroupKind::kMetadata: return "metadata";
    case GroupKind::kCollectionShard: return "collection-shard";
  }
  return "unknown";
}

// Passes every Raft event on to the replica's observer, and wakes the
// parked watches when something applies.
class Replica::Tap final : public RaftObserver {
 public:
  Tap(Replica& replica, RaftObserver* next) : replica_(replica), next_(next) {}
  void on_start(const RaftNode& n) override { if (next_) next_->on_start(n); }
  void on_role(const RaftNode& n) override {
    if (next_) next_->on_role(n);
    // A replica that stops leading forgets when it saw each lease; one
    // that starts leading will see them all afresh.
    if (!n.is_leader()) replica_.lease_keeper_.reset();
    replica_.arm_lease_look();
  }
  void on_commit(const RaftNode& n) override { if (next_) next_->on_commit(n); }
  void on_apply(const RaftNode& n, const LogEntry& e) override {
    if (next_) next_->on_apply(n, e);
    if (!replica_.parked_.empty()) replica_.wake_watches();
    replica_.arm_lease_look();
  }
  void on_restore(const RaftNode& n, uint64_t index, uint64_t term) override {
    if (next_) next_->on_restore(n, index, term);
    if (!replica_.parked_.empty()) replica_.wake_watches();
  }
  void on_lease_read(const RaftNode& n) override { if (next_) next_->on_lease_read(n); }
  void on_ack(const RaftNode& n, uint64_t index, Ack ack) override { if (next_) next_->on_ack(n, index, ack); }

 private:
  Replica& replica_;
  RaftObserver* next_;
};

Replica::Replica(Env& env, GroupSpec spec, RaftObserver* observer)
    : env_(env), spec_(std::move(spec)), observer_(observer), lease_timer_(env.clock()) {
  spec_.raft.group = spec_.id;
  tap_ = std::make_unique<Tap>(*this, observer_);
}

Replica::~Replica() = default;

const StateMachine& Replica::state() const {
  SHOAL_ASSERT(sm_ != nullptr);
  return *sm_;
}

const kv::KvStateMachine& Replica::kv_state() const {
  SHOAL_ASSERT(spec_.kind == GroupKind::kKv);
  return static_cast<const kv::KvStateMachine&>(state());
}

void Replica::start() {
  const std::string dir = "raft/g" + std::to_string(spec_.id) + "/";
  auto sm = make_state_machine(spec_);
  if (!sm.ok()) {
    open_error_ = "group " + std::to_string(spec_.id) + ": " + std::string(sm.status().message());
    env_.log(LogLevel::kError, "group", open_error_ + "; refusing to serve");
    return;
  }
  sm_ = std::move(*sm);
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
  raft_ = std::make_unique<RaftNode>(env_, spec_.raft, std::move(*log), std::move(*snaps), *sm_, tap_.get());
  raft_->start();
}

void Replica::arm_lease_look() {
  // Only a KV group's leader holding locks has leases to time; the timer
  // runs while there are, so a group without locks spends nothing on them.
  if (spec_.kind != GroupKind::kKv || lease_timer_.armed() || !raft_ || !raft_->is_leader()) return;
  if (kv_state().state().locks().empty() && kv_state().state().user_sessions().empty()) return;
  lease_timer_.arm(kLeaseLookInterval, [this] { look_at_leases(); });
}

void Replica::look_at_leases() {
  if (raft_->is_leader() &&
      (!kv_state().state().locks().empty() || !kv_state().state().user_sessions().empty())) {
    lease_timer_.arm(kLeaseLookInterval, [this] { look_at_leases(); });
  }
  // Only a leader whose own term has committed an entry times leases: its
  // state then holds every lease an earlier leader granted or renewed.
  if (!raft_->is_leader() || !raft_->committed_in_current_term()) return lease_keeper_.reset();
  for (kv::Write& expire : lease_keeper_.due(kv_state().state(), env_.clock().now())) {
    kv::Command command{std::nullopt, std::move(expire), std::nullopt};
    // The answer does not matter: a lost proposal is proposed again
    // (kExpiryRetryInterval), and a stale one applies as kNotHolder.
    raft_->propose(kv::encode_command(command), Ack::kQuorum, [](RaftResult) {});
  }
}

std::string Replica::error() const {
  if (!open_error_.empty()) return open_error_;
  if (raft_ && !raft_->health().ok()) return std::string(raft_->health().message());
  return "";
}

void Replica::handle(ClientRequest request, Responder responder) {
  if (const std::string err = error(); !err.empty() || !raft_) {
    return responder.fail(make_error(ErrorCode::kUnavailable, err));
  }
  if (request.write) {
    handle_write(request, std::move(responder));
  } else {
    handle_read(request, std::move(responder));
  }
}

namespace {

// How a Raft refusal becomes a typed error: a refusal had no effect; a lost
// leadership leaves a write's outcome unknown.
ErrorCode error_code(RaftError e) {
  switch (e) {
    case RaftError::kNone: break;
    case RaftError::kNotLeader: return ErrorCode::kNotLeader;
    case RaftError::kOverloaded: return ErrorCode::kOverloaded;
    case RaftError::kOutcomeUnknown: return ErrorCode::kOutcomeUnknown;
    case RaftError::kUnavailable:
    case RaftError::kRejected: return ErrorCode::kUnavailable;
  }
  SHOAL_ASSERT(false);  // success is never an error
  return ErrorCode::kUnavailable;
}

// Success carries the result, or, for a leader-level write not yet applied,
// says accepted (with no result).
void answer(Responder& responder, const RaftResult& r) {
  if (!r.ok()) {
    Error e = make_error(error_code(r.error), r.message);
    e.leader_hint = r.leader_hint;
    return responder.fail(std::move(e));
  }
  ClientReply reply{!r.applied, r.index, r.applied ? r.value : std::string()};
  responder.reply(encode_reply(reply));
}

}  // namespace

void Replica::handle_write(ClientRequest& request, Responder responder) {
  if (!sm_->accepts_command(request.payload)) {
    return responder.fail(make_error(ErrorCode::kBadRequest, "malformed command"));
  }
  const Ack ack = request.level == static_cast<uint8_t>(WriteLevel::kLeader)  ? Ack::kLeader
                  : request.level == static_cast<uint8_t>(WriteLevel::kAll) ? Ack::kAll
                                                                             : Ack::kQuorum;
  raft_->propose(std::move(request.payload), ack, [responder](RaftResult r) mutable { answer(responder, r); });
}

void Replica::handle_read(ClientRequest& request, Responder responder) {
  if (!sm_->accepts_query(request.payload)) {
    return responder.fail(make_error(ErrorCode::kBadRequest, "malformed query"));
  }
  if (park_watch(request, responder)) return;
  auto done = [responder](RaftResult r) mutable { answer(responder, r); };
  switch (static_cast<ReadLevel>(request.level)) {
    case ReadLevel::kLinearizable: return raft_->read_index(std::move(request.payload), done);
    case ReadLevel::kLease: return raft_->read_lease(std::move(request.payload), done);
    case ReadLevel::kSession:
      return raft_->read_after(request.session_index, std::move(request.payload), spec_.session_read_timeout, done);
    case ReadLevel::kAny: return done(raft_->read_local(request.payload));
  }
}

bool Replica::park_watch(const ClientRequest& request, Responder& responder) {
  if (spec_.kind != GroupKind::kKv) return false;
  auto query = kv::decode_query(request.payload);
  if (!query.ok() || !std::holds_alternative<kv::Watch>(*query)) return false;
  // A watch is served by any replica: what it applied is a prefix of the
  // committed log, and its history has no holes (watch_history.h).
  const kv::Watch& watch = std::get<kv::Watch>(*query);
  ParkedWatch w{request.payload, watch, watch.after_revision, responder, nullptr};
  const Duration wait = std::min<Duration>(milliseconds(watch.wait_ms), responder.deadline() - env_.clock().now());
  // A watch over its limits gets its kError at once, like any read; one
  // with something to report gets it at once, read as any read is.
  const bool parkable = kv::check_query(*query).ok() && wait > Duration(0) && parked_.size() < kParkedWatchesMax;
  if (!parkable || watch_ready(w)) {
    answer(responder, raft_->read_local(request.payload));
    return true;
  }
  // The read would be an empty kOk, complete through max(applied,
  // after_revision): the watch has looked through there and found nothing.
  w.quiet_through = std::max(kv_state().applied_index(), watch.after_revision);
  const uint64_t id = ++next_parked_;
  w.timeout = std::make_unique<TimerSlot>(env_.clock());
  w.timeout->arm(wait, [this, id] { answer_watch(id); });
  parked_.emplace(id, std::move(w));
  return true;
}

void Replica::answer_watch(uint64_t id) {
  auto it = parked_.find(id);
  if (it == parked_.end()) return;
  ParkedWatch w = std::move(it->second);
  parked_.erase(it);
  answer(w.responder, raft_->read_local(w.query));
}

bool Replica::watch_ready(const ParkedWatch& w) const {
  // A fresh read (KvStateMachine::read) of a watch within its limits
  // (check_query) is an empty kOk unless the replica failed or the history
  // has something to report.
  if (!raft_->health().ok()) return true;
  return kv_state().watch_history().would_report(w.watch, w.quiet_through);
}

void Replica::wake_watches() {
  // Each parked watch is judged from the history itself, without encoding a
  // query or decoding an answer; only a ready one is read afresh, so its
  // answer is exactly what the same watch would get if it came in now.
  const uint64_t applied = kv_state().applied_index();
  std::vector<uint64_t> ready;
  for (auto& [id, w] : parked_) {
    if (watch_ready(w)) {
      ready.push_back(id);
    } else {
      w.quiet_through = std::max(w.quiet_through, applied);
    }
  }
  for (uint64_t id : ready) answer_watch(id);
}

}  // namespace shoal
