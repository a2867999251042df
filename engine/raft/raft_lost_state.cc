// RaftNode: a replica that started without durable state earns back its vote
// (raft.h, "Lost state").
#include <algorithm>

#include "engine/core/assert.h"
#include "engine/raft/raft.h"

namespace shoal {
namespace {
// How often (in query rounds) a suspended replica logs what it waits for.
constexpr uint64_t kSuspensionNoteEvery = 16;
}  // namespace

void RaftNode::query_peer_states() {
  RaftMessage q;
  q.type = MsgType::kStateQuery;
  q.seq = ++state_query_seq_;
  last_state_query_ = env_.now();
  for (NodeId v : config_.voters) {
    if (v != id() && !peer_states_.count(v)) send(v, q);
  }
  maybe_lift_vote_suspension();
}

void RaftNode::on_state_query(const RaftMessage& m) {
  // Every replica answers, in any role: the asker must hear from all voters.
  RaftMessage r;
  r.type = MsgType::kStateReport;
  r.term = term_;
  r.last_index = log_->last_index();
  r.last_term = log_->last_term();
  r.seq = m.seq;
  // The answer goes out as any message does: after the term it names is
  // durable (send() waits for a save in flight).
  send(m.from, std::move(r));
}

void RaftNode::on_state_report(const RaftMessage& m) {
  if (!votes_suspended()) return;
  PeerState& p = peer_states_[m.from];
  p.term = std::max(p.term, m.term);
  if (std::make_pair(m.last_term, m.last_index) > std::make_pair(p.last_term, p.last_index)) {
    p.last_term = m.last_term;
    p.last_index = m.last_index;
  }
  maybe_lift_vote_suspension();
}

void RaftNode::maybe_lift_vote_suspension() {
  if (!votes_suspended() || !config_.is_voter(id())) return;
  uint64_t floor = 0;
  std::pair<uint64_t, uint64_t> best{0, 0};  // (last term, last index): Raft's up-to-date order
  std::string waiting;
  for (NodeId v : config_.voters) {
    if (v == id()) continue;
    auto it = peer_states_.find(v);
    if (it == peer_states_.end()) {
      waiting += (waiting.empty() ? "" : ",") + std::to_string(v);
      continue;
    }
    floor = std::max(floor, it->second.term);
    best = std::max(best, std::make_pair(it->second.last_term, it->second.last_index));
  }
  // Its own durable log must be at least as up to date as every voter's
  // was: then its vote goes only to candidates that hold whatever any voter
  // held, committed entries included.
  const uint64_t own_index = std::max(durable_index_, log_->first_index() - 1);  // a snapshot is durable
  const std::pair<uint64_t, uint64_t> own{term_at(own_index), own_index};
  if (!waiting.empty() || own < best) {
    // Say now and then what it waits for: an operator may need to act.
    if (state_query_seq_ % kSuspensionNoteEvery == 1) {
      env_.log(LogLevel::kWarn, "raft",
               !waiting.empty() ? "votes still suspended: no report yet from voter(s) " + waiting
                                : "votes still suspended: its log ends at " + std::to_string(own.second) +
                                      " (term " + std::to_string(own.first) + "), behind a voter's " +
                                      std::to_string(best.second) + " (term " + std::to_string(best.first) + ")");
    }
    return;
  }
  // The floor is durable before any vote this replica grants leaves (votes
  // are saved the same way, after it, and saves complete in order).
  vote_floor_ = floor;
  persist_then(hard_state(), [this, floor, best] {
    peer_states_.clear();
    env_.log(LogLevel::kInfo, "raft",
             "votes restored: every voter reported and this replica's log is as up to date as theirs (to " +
                 std::to_string(best.second) + "); it never votes at or below term " + std::to_string(floor));
  });
}

}  // namespace shoal
