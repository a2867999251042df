// RaftNode: log replication, commitment and applying.
#include <algorithm>

#include "engine/core/assert.h"
#include "engine/core/planted.h"
#include "engine/env/buggify.h"
#include "engine/raft/raft.h"

namespace shoal {

void RaftNode::propose(std::string command, Ack ack, RaftCallback done) {
  if (role_ != Role::kLeader || transfer_target_ != kNoNode || !failure_.ok()) {
    return done(refusal(RaftError::kNotLeader, "not the leader"));
  }
  if (writes_.size() >= options_.max_pending_proposals) {
    return done(refusal(RaftError::kOverloaded, "too many pending proposals"));
  }
  LogEntry e{log_->last_index() + 1, term_, make_entry_data(EntryKind::kCommand, command)};
  const uint64_t index = e.index, t = term_;
  absl::Status st = log_->append({std::move(e)}, [this, index, t](absl::Status s) {
    if (!s.ok()) return fail(s);
    on_own_append_durable(index, t);
  });
  if (!st.ok()) {
    if (!log_->status().ok()) fail(log_->status());
    return done(refusal(RaftError::kUnavailable, std::string(st.message())));
  }
  writes_.push_back(PendingWrite{index, t, ack, std::move(done), false, ""});
  broadcast_append(/*heartbeat=*/false);
}

void RaftNode::on_own_append_durable(uint64_t index, uint64_t term) {
  durable_index_ = std::max(durable_index_, std::min(index, log_->last_index()));
  if (role_ == Role::kLeader && term == term_) {
    maybe_commit();
    complete_writes();
  }
  check_invariants();
}

void RaftNode::on_heartbeat_timer() {
  if (role_ != Role::kLeader) return;
  const TimePoint now = env_.now();
  if (options_.check_quorum) {
    // A leader that has not heard from a quorum within an election timeout
    // may have been replaced: it steps down rather than serve stale reads.
    size_t alive = config_.is_voter(id()) ? 1 : 0;
    for (const auto& [n, p] : progress_) {
      if (config_.is_voter(n) && now - p.last_contact < options_.election_timeout_min * 2) ++alive;
    }
    if (alive < config_.quorum()) {
      env_.log(LogLevel::kInfo, "raft", "lost contact with a quorum; stepping down");
      become_follower(term_, kNoNode);
      return;
    }
  }
  for (auto& [n, p] : progress_) {
    // Appends sent optimistically may have been lost (a partition drops
    // them): with no progress for an election timeout, probe again rather
    // than wait forever on a full in-flight window.
    if (p.state == Progress::State::kReplicate && p.next > p.match + 1 &&
        now - p.last_progress > options_.election_timeout_min) {
      p.state = Progress::State::kProbe;
      p.next = p.match + 1;
      p.inflight = 0;
      p.probe_sent = false;
    }
  }
  if (transfer_target_ != kNoNode && now > transfer_deadline_) {
    env_.log(LogLevel::kInfo, "raft", "leadership transfer timed out");
    transfer_target_ = kNoNode;
  }
  broadcast_append(/*heartbeat=*/true);
  heartbeat_timer_.arm(options_.heartbeat_interval, [this] {
    on_heartbeat_timer();
    check_invariants();
  });
}

void RaftNode::broadcast_append(bool heartbeat) {
  if (heartbeat) {
    ++heartbeat_seq_;
    round_sent_at_[heartbeat_seq_] = env_.now();
  }
  for (const auto& [n, p] : progress_) send_append(n, heartbeat);
  // A leader alone is its own quorum.
  if (config_.voters.size() == 1) {
    maybe_commit();
    serve_reads();
  }
}

void RaftNode::send_append(NodeId to, bool heartbeat) {
  Progress& p = progress_.at(to);
  if (p.state == Progress::State::kSnapshot) {
    if (heartbeat) send_snapshot_chunk(to);  // also a retransmission
    return;
  }
  if (p.next < log_->first_index()) {
    // What this follower needs next was compacted away: send the snapshot.
    p.state = Progress::State::kSnapshot;
    p.snapshot_chunk = 0;
    p.snapshot_index = 0;
    send_snapshot_chunk(to);
    return;
  }
  RaftMessage m;
  m.type = MsgType::kAppend;
  m.seq = heartbeat_seq_;
  const bool has_new = p.next <= log_->last_index();
  // A probe with no entries still checks that the follower holds next - 1;
  // without it a new follower would never be found to lag.
  const bool unverified = p.state == Progress::State::kProbe && p.next - 1 > p.match;
  const bool may_send = p.state == Progress::State::kReplicate
                            ? p.inflight < options_.max_inflight_appends
                            : !p.probe_sent;
  if (!(has_new || unverified) || !may_send) {
    if (!heartbeat) return;
    // A heartbeat proves leadership and carries the commit index up to what
    // this follower is known to hold.
    const auto t = log_->term(p.match);
    m.prev_index = t.ok() ? p.match : 0;
    m.prev_term = t.ok() ? *t : 0;
    m.commit = planted_bug() == PlantedBug::kCommitIndexUnbounded ? commit_ : std::min(commit_, m.prev_index);
    send(to, std::move(m));
    return;
  }
  m.prev_index = p.next - 1;
  m.prev_term = term_at(m.prev_index);
  // BUGGIFY: one entry per message now and then (more round trips, more
  // pipelining, same log).
  const uint64_t max_entries = BUGGIFY(env_) ? 1 : options_.max_append_entries;
  const uint64_t hi = std::min(log_->last_index() + 1, p.next + max_entries);
  auto batch = p.next < hi ? log_->entries(p.next, hi, options_.max_append_bytes)
                           : absl::StatusOr<std::vector<LogEntry>>(std::vector<LogEntry>{});
  if (!batch.ok()) return fail(batch.status());
  m.entries = std::move(*batch);
  m.commit = std::min(commit_, m.entries.empty() ? m.prev_index : m.entries.back().index);
  if (planted_bug() == PlantedBug::kCommitIndexUnbounded) m.commit = commit_;
  if (p.state == Progress::State::kReplicate && !m.entries.empty()) {
    // Pipelining: assume success and keep going, up to the in-flight bound.
    p.next = m.entries.back().index + 1;
    p.inflight++;
  } else {
    p.probe_sent = true;
  }
  send(to, std::move(m));
}

void RaftNode::on_append(RaftMessage&& m) {
  RaftMessage r = accept_leader(m, MsgType::kAppendResp);
  // Entries at or below the snapshot are committed, hence identical to the
  // leader's: skip them.
  const uint64_t base = log_->first_index() - 1;
  if (m.prev_index < base) {
    const uint64_t skip = std::min<uint64_t>(base - m.prev_index, m.entries.size());
    m.entries.erase(m.entries.begin(), m.entries.begin() + static_cast<std::ptrdiff_t>(skip));
    if (m.entries.empty()) {
      r.success = true;
      r.index = base;
      send(m.from, std::move(r));
      return;
    }
    m.prev_index = base;
    m.prev_term = term_at(base);
  }
  if (m.prev_index > log_->last_index() || term_at(m.prev_index) != m.prev_term) {
    r.success = false;
    r.index = m.prev_index;
    r.hint = std::min(m.prev_index - 1, log_->last_index());
    // Skip back over the whole conflicting term in one round trip.
    if (m.prev_index <= log_->last_index()) {
      const uint64_t bad = term_at(m.prev_index);
      while (r.hint > base && term_at(r.hint) == bad) --r.hint;
    }
    send(m.from, std::move(r));
    return;
  }
  // Find the first entry this log does not already hold.
  size_t fresh = 0;
  while (fresh < m.entries.size()) {
    const LogEntry& e = m.entries[fresh];
    if (e.index > log_->last_index() || term_at(e.index) != e.term) break;
    ++fresh;
  }
  const uint64_t last_new = m.prev_index + m.entries.size();
  std::vector<LogEntry> to_append(std::make_move_iterator(m.entries.begin() + static_cast<std::ptrdiff_t>(fresh)),
                                  std::make_move_iterator(m.entries.end()));
  if (!to_append.empty()) {
    // Raft never removes a committed entry: a conflict below the commit
    // index means two leaders disagreed about a committed prefix.
    SHOAL_ASSERT(to_append.front().index > commit_);
    if (to_append.front().index <= log_->last_index()) {
      const uint64_t cut = to_append.front().index;
      while (!config_history_.empty() && config_history_.rbegin()->first >= cut) {
        config_history_.erase(std::prev(config_history_.end()));
      }
      config_ = config_history_.rbegin()->second;
      durable_index_ = std::min(durable_index_, cut - 1);
    }
    for (const LogEntry& e : to_append) {
      auto parsed = parse_entry_data(e.data);
      SHOAL_ASSERT(parsed.ok());
      if (parsed->first != EntryKind::kConfig) continue;
      auto cfg = decode_membership(parsed->second);
      SHOAL_ASSERT(cfg.ok());
      on_config_entry(e.index, *cfg);
    }
  }
  // The answer waits until the entries are durable; an empty append is a
  // barrier behind earlier appends of the same entries.
  const uint64_t t = term_;
  const NodeId to = m.from;
  const bool ack_now = planted_bug() == PlantedBug::kAckBeforeDurable;
  if (ack_now) {
    RaftMessage early = r;
    early.success = true;
    early.index = last_new;
    send(to, std::move(early));
  }
  absl::Status st = log_->append(std::move(to_append), [this, t, to, last_new, r, ack_now](absl::Status s) mutable {
    if (!s.ok()) return fail(s);
    if (term_ != t) return;  // a newer term: the old leader will hear of it
    durable_index_ = std::max(durable_index_, std::min(last_new, log_->last_index()));
    maybe_lift_vote_suspension();  // its log may now be as up to date as the voters' were
    if (ack_now) return;
    r.success = true;
    r.index = last_new;
    send(to, std::move(r));
  });
  if (!st.ok()) {
    if (!log_->status().ok()) return fail(log_->status());
    return;  // over a storage bound: drop; the leader retries
  }
  const uint64_t new_commit =
      planted_bug() == PlantedBug::kCommitIndexUnbounded ? m.commit : std::min(m.commit, last_new);
  if (new_commit > commit_) advance_commit(new_commit);
}

void RaftNode::on_append_response(const RaftMessage& m) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& p = it->second;
  p.last_contact = env_.now();
  p.acked_seq = std::max(p.acked_seq, m.seq);
  if (m.success) {
    if (m.index > p.match) {
      p.match = m.index;
      p.last_progress = env_.now();
      if (p.inflight > 0) p.inflight--;
    }
    if (p.state == Progress::State::kProbe) {
      if (m.index >= p.next - 1) {
        // The probe matched: stream from here on.
        p.state = Progress::State::kReplicate;
        p.next = p.match + 1;
        p.inflight = 0;
        p.last_progress = env_.now();
      }
      // Either way a probe may go out again (the last one may have been lost).
      p.probe_sent = false;
    }
    p.next = std::max(p.next, p.match + 1);
    maybe_commit();
    complete_writes();
    // Committing may have ended this leadership (a committed configuration
    // without this node) and with it the follower's progress: `p` is gone.
    if (role_ != Role::kLeader || !progress_.count(m.from)) return;
    if (m.from == transfer_target_ && p.match == log_->last_index()) {
      RaftMessage t;
      t.type = MsgType::kTimeoutNow;
      send(m.from, std::move(t));
    }
  } else if (m.index >= p.match) {
    if (m.hint < p.match) {
      // The follower's log ends below what it acknowledged to this leader:
      // it lost its state (a wiped disk; this leader never asks it to cut
      // an entry it acknowledged). Replicate to it from where it really is.
      env_.log(LogLevel::kWarn, "raft",
               "follower " + std::to_string(m.from) + " lost entries it had acknowledged (it holds " +
                   std::to_string(m.hint) + " of " + std::to_string(p.match) + "); replicating again from there");
      p.match = m.hint;
      p.next = m.hint + 1;
      p.state = Progress::State::kProbe;
      p.probe_sent = false;
      p.inflight = 0;
    }
    // Rejections of messages sent before the last one are stale and ignored.
    const bool stale = p.state == Progress::State::kProbe && m.index != p.next - 1;
    if (!stale) {
      p.next = std::max<uint64_t>(p.match + 1, std::min(m.index, m.hint + 1));
      p.state = Progress::State::kProbe;
      p.probe_sent = false;
      p.inflight = 0;
    }
  }
  serve_reads();
  if (p.next <= log_->last_index()) send_append(m.from, /*heartbeat=*/false);
}

void RaftNode::maybe_commit() {
  if (role_ != Role::kLeader) return;
  std::vector<uint64_t> matches;
  for (NodeId v : config_.voters) {
    const uint64_t own = planted_bug() == PlantedBug::kLeaderCountsItselfBeforeDurable ? log_->last_index()
                                                                                        : durable_index_;
    matches.push_back(v == id() ? own : match_index(v));
  }
  if (matches.empty()) return;
  std::sort(matches.rbegin(), matches.rend());
  const uint64_t n = matches[config_.quorum() - 1];
  // Only entries of the leader's own term are committed by counting
  // replicas (Raft figure 8); earlier ones commit with them.
  if (n <= commit_) return;
  const bool own_term = term_at(n) == term_ || planted_bug() == PlantedBug::kCommitEarlierTermByCount;
  if (own_term) advance_commit(n);
}

void RaftNode::advance_commit(uint64_t commit) {
  SHOAL_ASSERT(commit > commit_);
  commit_ = std::min(commit, log_->last_index());
  if (observer_) observer_->on_commit(*this);
  apply_committed();
  if (role_ == Role::kLeader) {
    complete_writes();
    serve_reads();
    // A leader removed by a committed configuration hands over by leaving.
    if (!config_.is_voter(id()) && config_history_.rbegin()->first <= commit_) {
      env_.log(LogLevel::kInfo, "raft", "removed from the configuration; stepping down");
      become_follower(term_, kNoNode);
    }
  }
  serve_waiting_reads();
}

void RaftNode::apply_committed() {
  while (applied_ < commit_ && !installing_) {
    auto batch = log_->entries(applied_ + 1, commit_ + 1, options_.max_append_bytes);
    if (!batch.ok()) return fail(batch.status());
    for (const LogEntry& e : *batch) apply_entry(e);
  }
  maybe_snapshot();
}

void RaftNode::apply_entry(const LogEntry& e) {
  SHOAL_ASSERT(e.index == applied_ + 1);
  SHOAL_ASSERT(e.index <= commit_);
  // Every entry reached the log through this code's own encoding and passed
  // its checksum since: one that does not parse is a bug, and skipping it
  // would let replicas diverge silently.
  auto parsed = parse_entry_data(e.data);
  SHOAL_ASSERT(parsed.ok());
  std::string result;
  if (parsed->first == EntryKind::kCommand) {
    result = sm_.apply(e.index, parsed->second);
  } else {
    sm_.skip(e.index);
  }
  SHOAL_ASSERT(sm_.applied_index() == e.index);
  applied_ = e.index;
  if (observer_) observer_->on_apply(*this, e);
  if (role_ == Role::kLeader && e.term == term_) committed_in_term_ = true;
  for (PendingWrite& w : writes_) {
    if (w.index != e.index) continue;
    // Pending writes are this leader's own, of its term: it steps down, and
    // fails them, before another leader's entry can reach its log.
    SHOAL_ASSERT(w.term == e.term);
    w.applied = true;
    w.result = std::move(result);
    break;
  }
}

void RaftNode::complete_writes() {
  for (PendingWrite& w : writes_) {
    if (!w.done) continue;
    bool ready = false;
    switch (w.ack) {
      case Ack::kLeader: ready = durable_index_ >= w.index || w.applied; break;
      case Ack::kQuorum: ready = w.applied; break;
      case Ack::kAll: {
        ready = w.applied;
        if (planted_bug() == PlantedBug::kAllAckAtQuorum) break;
        for (NodeId v : config_.voters) {
          if (v != id() && match_index(v) < w.index) ready = false;
        }
        break;
      }
    }
    if (!ready) continue;
    // A leader-level write may leave before it is applied: it carries no
    // result then, and says so, rather than an empty one a client would
    // read as success.
    if (observer_) observer_->on_ack(*this, w.index, w.ack);
    RaftResult done{RaftError::kNone, "", w.index, w.applied ? w.result : "", leader_, w.applied};
    w.done(std::move(done));
    w.done = nullptr;
  }
  while (!writes_.empty() && !writes_.front().done && writes_.front().applied) writes_.pop_front();
  while (!writes_.empty() && !writes_.front().done && writes_.front().index <= applied_) writes_.pop_front();
}

}  // namespace shoal
