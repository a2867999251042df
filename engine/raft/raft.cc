// RaftNode: construction, terms and roles, and the message pump.
#include "engine/raft/raft.h"


#include <algorithm>

#include "engine/core/assert.h"
#include "engine/core/channels.h"
#include "engine/env/buggify.h"

namespace shoal {

const char* to_string(RaftError e) {
  switch (e) {
    case RaftError::kNone: return "ok";
    case RaftError::kNotLeader: return "not-leader";
    case RaftError::kUnavailable: return "unavailable";
    case RaftError::kOverloaded: return "overloaded";
    case RaftError::kOutcomeUnknown: return "outcome-unknown";
    case RaftError::kRejected: return "rejected";
  }
  return "?";
}

RaftResult RaftNode::refusal(RaftError error, std::string why) const {
  SHOAL_ASSERT(error != RaftError::kNone);
  RaftResult r;
  r.error = error;
  r.message = std::move(why);
  r.leader_hint = leader_;
  r.applied = false;
  return r;
}

const char* to_string(Role r) {
  switch (r) {
    case Role::kFollower: return "follower";
    case Role::kPreCandidate: return "pre-candidate";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "?";
}

RaftNode::RaftNode(Env& env, RaftOptions options, std::unique_ptr<LogStorage> log,
                   std::unique_ptr<SnapshotStore> snapshots, StateMachine& sm, RaftObserver* observer)
    : env_(env),
      options_(std::move(options)),
      channel_(kRaftChannelBase + options_.group),
      log_(std::move(log)),
      snapshots_(std::move(snapshots)),
      sm_(sm),
      observer_(observer),
      election_timer_(env.clock()),
      heartbeat_timer_(env.clock()) {
  SHOAL_ASSERT(log_->status().ok());
  SHOAL_ASSERT(snapshots_->status().ok());
  term_ = log_->hard_state().term;
  vote_ = log_->hard_state().vote;
  vote_floor_ = log_->hard_state().vote_floor;
  // No durable state at all: this replica cannot know what it voted (see
  // "Lost state"), so it may not vote until it proves what it may.
  if (log_->hard_state() == HardState{} && log_->last_index() == 0 && !snapshots_->latest()) {
    vote_floor_ = kVotesSuspended;
  }
  Membership initial;
  initial.voters = options_.initial_voters;
  std::sort(initial.voters.begin(), initial.voters.end());
  config_history_[0] = initial;
  restore_from_snapshot_store();
  // Configurations in the log take effect whether committed or not. An
  // entry that cannot be read is a storage failure: the replica stops
  // serving rather than run with a configuration it may have missed.
  for (uint64_t i = log_->first_index(); i <= log_->last_index() && failure_.ok(); ++i) {
    auto batch = log_->entries(i, i + 1, 0);
    if (!batch.ok()) {
      failure_ = batch.status();
      env_.log(LogLevel::kError, "raft", "cannot read log entry " + std::to_string(i) +
                                             ", replica stops serving: " + std::string(batch.status().message()));
      break;
    }
    SHOAL_ASSERT(batch->size() == 1);
    note_config_entry(i, (*batch)[0]);
  }
  config_ = config_history_.rbegin()->second;
  durable_index_ = log_->last_index();
}

void RaftNode::note_config_entry(uint64_t index, const LogEntry& e) {
  // Entries were encoded by this code and passed their checksum: one that
  // does not parse is a bug, never a reason to skip a configuration.
  auto parsed = parse_entry_data(e.data);
  SHOAL_ASSERT(parsed.ok());
  if (parsed->first != EntryKind::kConfig) return;
  auto m = decode_membership(parsed->second);
  SHOAL_ASSERT(m.ok());
  config_history_[index] = *m;
  config_ = *m;
}

uint64_t RaftNode::term_at(uint64_t index) const {
  SHOAL_ASSERT(index + 1 >= log_->first_index());
  SHOAL_ASSERT(index <= log_->last_index());
  auto t = log_->term(index);
  SHOAL_ASSERT(t.ok());
  return *t;
}

void RaftNode::check_invariants() const {
  if (!failure_.ok()) return;
  SHOAL_ASSERT(applied_ <= commit_);
  SHOAL_ASSERT(commit_ <= std::max(log_->last_index(), applied_));
  SHOAL_ASSERT(durable_index_ <= log_->last_index());
  SHOAL_ASSERT(vote_ == kNoNode || term_ > 0);
  if (role_ != Role::kLeader) return;
  SHOAL_ASSERT(leader_ == id());
  for (const auto& [n, p] : progress_) {
    SHOAL_ASSERT(p.match < p.next);
    SHOAL_ASSERT(p.match <= log_->last_index());
    SHOAL_ASSERT(p.inflight <= options_.max_inflight_appends);
  }
}

RaftNode::~RaftNode() {
  *alive_ = false;
  env_.network().set_handler(channel_, {});
}

void RaftNode::start() {
  started_at_ = env_.now();
  // A restarted voter may not remember hearing from a leader; it behaves as
  // if it just had, so a lease granted before the crash stays safe.
  last_leader_contact_ = started_at_;
  env_.network().set_handler(channel_, [this](Message&& m) { on_message(std::move(m)); });
  if (observer_) observer_->on_start(*this);
  if (votes_suspended()) {
    // Saved before anything else leaves, so that a crash after this replica
    // holds entries does not make it look like one that never lost state.
    if (log_->hard_state().vote_floor != kVotesSuspended) persist_then(hard_state(), nullptr);
    env_.log(LogLevel::kWarn, "raft",
             "no durable state: votes suspended until every voter of " + config_.to_string() +
                 " reported and this replica holds what they committed");
    query_peer_states();
  }
  reset_election_timer();
  env_.log(LogLevel::kInfo, "raft",
           "started at term " + std::to_string(term_) + ", log " +
               std::to_string(log_->first_index()) + ".." + std::to_string(log_->last_index()) +
               ", applied " + std::to_string(applied_) + ", " + config_.to_string());
}

void RaftNode::fail(const absl::Status& st) {
  if (!failure_.ok()) return;
  failure_ = st;
  env_.log(LogLevel::kError, "raft", "storage failed, replica stops serving: " + std::string(st.message()));
  election_timer_.cancel();
  heartbeat_timer_.cancel();
  fail_pending("replica storage failed");
  set_role(Role::kFollower);
  leader_ = kNoNode;
}

uint64_t RaftNode::match_index(NodeId peer) const {
  auto it = progress_.find(peer);
  return it == progress_.end() ? 0 : it->second.match;
}

// ---- messages --------------------------------------------------------------

void RaftNode::on_message(Message&& m) {
  if (!failure_.ok()) return;
  auto decoded = decode_message(m.payload);
  if (!decoded.ok()) {
    env_.log(LogLevel::kWarn, "raft", "dropped malformed message from " + std::to_string(m.from));
    return;
  }
  decoded->from = m.from;
  step(std::move(*decoded));
  check_invariants();
}

void RaftNode::send(NodeId to, RaftMessage m) {
  m.term = m.term == 0 ? term_ : m.term;
  // Nothing leaves before the hard state it was decided under is durable.
  if (persisting_) {
    after_persist_.push_back([this, to, m = std::move(m)]() mutable {
      env_.network().send(to, channel_, encode_message(m));
    });
    return;
  }
  env_.network().send(to, channel_, encode_message(m));
}

void RaftNode::persist_then(HardState hs, std::function<void()> then) {
  persisting_ = true;
  if (then) after_persist_.push_back(std::move(then));
  absl::Status st = log_->save_hard_state(hs, [this, hs](absl::Status done) {
    if (!done.ok()) return fail(done);
    // Saves complete in order: once the newest is durable, everything waits no more.
    if (log_->hard_state() == hs) {
      persisting_ = false;
      auto queued = std::move(after_persist_);
      after_persist_.clear();
      for (auto& f : queued) f();
    }
  });
  if (!st.ok()) fail(st);
}

void RaftNode::step(RaftMessage&& m) {
  // Questions about state move nobody's term (see "Lost state").
  if (m.type == MsgType::kStateQuery) return on_state_query(m);
  if (m.type == MsgType::kStateReport) return on_state_report(m);
  if (m.term > term_) {
    if (m.type == MsgType::kPreVote || (m.type == MsgType::kPreVoteResp && m.granted)) {
      // A pre-vote is about a term nobody has entered yet: terms stay put.
    } else if (m.type == MsgType::kVote && !m.transfer && heard_from_leader_recently()) {
      // Vote stickiness: while a leader is known to be alive, a candidate's
      // higher term is ignored altogether. Leases depend on this.
      return;
    } else {
      const bool from_leader = m.type == MsgType::kAppend || m.type == MsgType::kSnapshot ||
                               m.type == MsgType::kTimeoutNow;
      become_follower(m.term, from_leader ? m.from : kNoNode);
    }
  } else if (m.term < term_) {
    if (m.type == MsgType::kAppend || m.type == MsgType::kSnapshot) {
      // A deposed leader learns of the new term from the answer.
      RaftMessage r;
      r.type = m.type == MsgType::kAppend ? MsgType::kAppendResp : MsgType::kSnapshotResp;
      r.success = false;
      send(m.from, std::move(r));
    } else if (m.type == MsgType::kPreVote) {
      RaftMessage r;
      r.type = MsgType::kPreVoteResp;
      r.granted = false;
      send(m.from, std::move(r));
    }
    return;
  }
  switch (m.type) {
    case MsgType::kPreVote:
    case MsgType::kVote: return on_vote_request(m);
    case MsgType::kPreVoteResp:
    case MsgType::kVoteResp: return on_vote_response(m);
    case MsgType::kAppend: return on_append(std::move(m));
    case MsgType::kAppendResp: return on_append_response(m);
    case MsgType::kSnapshot: return on_snapshot(std::move(m));
    case MsgType::kSnapshotResp: return on_snapshot_response(m);
    case MsgType::kStateQuery:
    case MsgType::kStateReport: return;  // handled above
    case MsgType::kTimeoutNow:
      if (config_.is_voter(id()) && role_ != Role::kLeader && !votes_suspended()) {
        env_.log(LogLevel::kInfo, "raft", "leadership handed over by " + std::to_string(m.from));
        campaign(/*pre=*/false, /*transfer=*/true);
      }
      return;
  }
}

// ---- roles -------------------------------------------------------------------

void RaftNode::set_role(Role r) {
  if (r == role_ && r != Role::kLeader) return;
  role_ = r;
  if (observer_) observer_->on_role(*this);
}

void RaftNode::become_follower(uint64_t term, NodeId leader) {
  if (term > term_) {
    term_ = term;
    vote_ = kNoNode;
    persist_then(hard_state(), nullptr);
  }
  const bool was_leader = role_ == Role::kLeader;
  set_role(Role::kFollower);
  leader_ = leader;
  if (leader != kNoNode) last_leader_contact_ = env_.now();
  if (was_leader) {
    heartbeat_timer_.cancel();
    progress_.clear();
    transfer_target_ = kNoNode;
    fail_pending("leadership lost; the outcome of in-flight writes is unknown");
  }
  reset_election_timer();
}

void RaftNode::become_leader() {
  set_role(Role::kLeader);
  leader_ = id();
  committed_in_term_ = false;
  transfer_target_ = kNoNode;
  lease_start_ = TimePoint{};
  round_sent_at_.clear();
  progress_.clear();
  for (NodeId n : config_.members()) {
    if (n == id()) continue;
    Progress p;
    p.next = log_->last_index() + 1;
    p.last_contact = env_.now();
    progress_[n] = p;
  }
  election_timer_.cancel();
  env_.log(LogLevel::kInfo, "raft", "leader for term " + std::to_string(term_));
  // A no-op in the new term lets the leader learn what is committed (it may
  // only count replicas for entries of its own term) and enables reads.
  LogEntry noop{log_->last_index() + 1, term_, make_entry_data(EntryKind::kNoop, "")};
  const uint64_t index = noop.index, t = term_;
  term_start_index_ = index;
  absl::Status st = log_->append({std::move(noop)}, [this, index, t](absl::Status done) {
    if (!done.ok()) return fail(done);
    on_own_append_durable(index, t);
  });
  if (!st.ok()) return fail(st);
  broadcast_append(/*heartbeat=*/false);
  heartbeat_timer_.arm(options_.heartbeat_interval, [this] {
    on_heartbeat_timer();
    check_invariants();
  });
}

RaftMessage RaftNode::accept_leader(const RaftMessage& m, MsgType response) {
  // A message from the leader of the current term: whatever this node was
  // doing in the term (campaigning), it now follows, and it heard from a
  // leader just now (which makes it ignore other candidates for a while).
  if (role_ != Role::kFollower) become_follower(term_, m.from);
  leader_ = m.from;
  last_leader_contact_ = env_.now();
  reset_election_timer();
  // A replica earning back its vote keeps asking while it follows: the
  // leader's heartbeats keep its election timer, which also asks, from
  // firing, and a voter that never answered would block it once the
  // leader is gone.
  if (votes_suspended() && env_.now() - last_state_query_ >= options_.election_timeout_min) query_peer_states();
  RaftMessage r;
  r.type = response;
  r.seq = m.seq;
  return r;
}

Duration RaftNode::random_election_timeout() {
  // BUGGIFY: time out at the very minimum, now and then. The minimum is what
  // leases are measured against, so elections then race the old leader's
  // lease at its edge, where a lease computed too long shows.
  if (BUGGIFY(env_)) return options_.election_timeout_min;
  return env_.random().range(options_.election_timeout_min, options_.election_timeout_min * 2 - Duration(1));
}

void RaftNode::reset_election_timer() {
  if (!failure_.ok()) return;
  election_timer_.arm(random_election_timeout(), [this] {
    on_election_timeout();
    check_invariants();
  });
}

bool RaftNode::heard_from_leader_recently() const {
  if (role_ == Role::kLeader) return true;
  return env_.now() - last_leader_contact_ < options_.election_timeout_min;
}

void RaftNode::fail_pending(const std::string& why) {
  auto writes = std::move(writes_);
  writes_.clear();
  auto reads = std::move(reads_);
  reads_.clear();
  // Aborted: the write may still commit under another leader — its outcome
  // is unknown. A read simply did not happen.
  for (auto& w : writes) {
    if (!w.done) continue;
    RaftResult unknown = refusal(RaftError::kOutcomeUnknown, why);
    unknown.index = w.index;
    w.done(std::move(unknown));
  }
  for (auto& r : reads) r.done(refusal(RaftError::kUnavailable, why));
}

}  // namespace shoal
