// RaftNode: membership changes and leadership transfer.
#include <algorithm>

#include "engine/core/planted.h"
#include "engine/raft/raft.h"

namespace shoal {

void RaftNode::on_config_entry(uint64_t index, const Membership& m) {
  config_history_[index] = m;
  config_ = m;
  env_.log(LogLevel::kInfo, "raft", "configuration at " + std::to_string(index) + ": " + m.to_string());
  // A suspended replica made a voter must hear from the voters it now has.
  if (votes_suspended() && m.is_voter(id())) query_peer_states();
  if (role_ != Role::kLeader) return;
  for (NodeId n : m.members()) {
    if (n == id() || progress_.count(n)) continue;
    Progress p;
    p.next = log_->last_index() + 1;
    p.last_contact = env_.now();
    progress_[n] = p;
  }
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = m.contains(it->first) ? std::next(it) : progress_.erase(it);
  }
}

void RaftNode::change_membership(MembershipChange change, RaftCallback done) {
  if (role_ != Role::kLeader || !failure_.ok()) {
    return done(refusal(RaftError::kNotLeader, "not the leader"));
  }
  // One change at a time, and only once this leader committed in its term
  // (otherwise an uncommitted change of a previous leader could be lost
  // while this one commits: the bug in the original single-server scheme).
  const bool change_in_flight = config_history_.rbegin()->first > commit_ || !committed_in_term_;
  if (change_in_flight && planted_bug() != PlantedBug::kOverlappingMembershipChanges) {
    return done(refusal(RaftError::kUnavailable, "a configuration change is in progress"));
  }
  if (change.kind == ChangeKind::kPromote) {
    const uint64_t match = match_index(change.node);
    if (match + options_.learner_catchup_entries < log_->last_index()) {
      return done(refusal(RaftError::kUnavailable, "learner has not caught up yet"));
    }
  }
  auto next = apply_change(config_, change);
  if (!next.ok()) return done(refusal(RaftError::kRejected, std::string(next.status().message())));
  LogEntry e{log_->last_index() + 1, term_, make_entry_data(EntryKind::kConfig, encode_membership(*next))};
  const uint64_t index = e.index, t = term_;
  absl::Status st = log_->append({std::move(e)}, [this, index, t](absl::Status s) {
    if (!s.ok()) return fail(s);
    on_own_append_durable(index, t);
  });
  if (!st.ok()) return done(refusal(RaftError::kUnavailable, std::string(st.message())));
  writes_.push_back(PendingWrite{index, t, Ack::kQuorum, std::move(done), false, ""});
  on_config_entry(index, *next);
  broadcast_append(/*heartbeat=*/false);
}

absl::Status RaftNode::transfer_leadership(NodeId target) {
  if (role_ != Role::kLeader) return absl::UnavailableError("not the leader");
  if (target == id()) return absl::OkStatus();
  if (!config_.is_voter(target)) return absl::InvalidArgumentError("target is not a voter");
  transfer_target_ = target;
  transfer_deadline_ = env_.now() + options_.election_timeout_min;
  if (match_index(target) == log_->last_index()) {
    RaftMessage t;
    t.type = MsgType::kTimeoutNow;
    send(target, std::move(t));
  } else {
    send_append(target, /*heartbeat=*/false);
  }
  return absl::OkStatus();
}

}  // namespace shoal
