// RaftNode: elections — pre-vote, vote, and the tally.

#include "engine/core/assert.h"
#include "engine/core/planted.h"
#include "engine/raft/raft.h"

namespace shoal {

void RaftNode::on_election_timeout() {
  if (role_ == Role::kLeader || !failure_.ok()) return;
  if (!config_.is_voter(id()) || votes_suspended()) {
    // Learners and removed nodes never campaign; they wait to be told. A
    // replica whose votes are suspended asks its peers again instead.
    if (votes_suspended()) query_peer_states();
    reset_election_timer();
    return;
  }
  campaign(options_.pre_vote, /*transfer=*/false);
}

void RaftNode::campaign(bool pre, bool transfer) {
  SHOAL_ASSERT(!votes_suspended());
  votes_.clear();
  votes_[id()] = true;
  RaftMessage m;
  m.type = pre ? MsgType::kPreVote : MsgType::kVote;
  m.last_index = log_->last_index();
  m.last_term = log_->last_term();
  m.transfer = transfer;
  // Never a term at or below the vote floor: this replica may have voted
  // for another candidate there before it lost its state.
  const uint64_t base = std::max(term_, vote_floor_);
  if (pre) {
    // A pre-vote asks "would you vote for me in the next term?" without
    // entering it, so a node cut off from the cluster never inflates terms.
    set_role(Role::kPreCandidate);
    m.term = base + 1;
  } else {
    term_ = base + 1;
    vote_ = id();
    leader_ = kNoNode;
    set_role(Role::kCandidate);
    persist_then(hard_state(), nullptr);
    m.term = term_;
  }
  env_.log(LogLevel::kDebug, "raft", std::string(pre ? "pre-campaign" : "campaign") + " for term " +
                                         std::to_string(m.term));
  for (NodeId v : config_.voters) {
    if (v != id()) send(v, m);
  }
  reset_election_timer();
  // A single voter wins its own election.
  RaftMessage self_vote;
  self_vote.type = pre ? MsgType::kPreVoteResp : MsgType::kVoteResp;
  self_vote.term = m.term;
  self_vote.from = id();
  self_vote.granted = true;
  on_vote_response(self_vote);
}

bool RaftNode::log_up_to_date(uint64_t last_index, uint64_t last_term) const {
  if (planted_bug() == PlantedBug::kVoteWithoutLogCheck) return true;
  const uint64_t my_term = log_->last_term();
  return last_term > my_term || (last_term == my_term && last_index >= log_->last_index());
}

void RaftNode::on_vote_request(const RaftMessage& m) {
  RaftMessage r;
  // At or below the floor this replica may have voted already, in a life it
  // does not remember (see "Lost state"); with votes suspended, in any term.
  const bool may_vote = m.term > vote_floor_;
  const bool up_to_date = may_vote && log_up_to_date(m.last_index, m.last_term);
  if (m.type == MsgType::kPreVote) {
    r.type = MsgType::kPreVoteResp;
    // Grant only when this node would itself consider the leader gone.
    r.granted = up_to_date && (m.transfer || !heard_from_leader_recently());
    r.term = r.granted ? m.term : term_;
    send(m.from, std::move(r));
    return;
  }
  SHOAL_ASSERT(m.term == term_);
  r.type = MsgType::kVoteResp;
  r.granted = up_to_date && (vote_ == kNoNode || vote_ == m.from) && role_ != Role::kLeader;
  if (!r.granted) {
    send(m.from, std::move(r));
    return;
  }
  vote_ = m.from;
  reset_election_timer();
  // The vote is durable before the candidate hears of it: a voter that
  // crashes and restarts must not vote twice in one term.
  if (planted_bug() == PlantedBug::kVoteBeforeDurable) {
    r.term = term_;
    env_.network().send(m.from, channel_, encode_message(r));
    persist_then(hard_state(), nullptr);
    return;
  }
  persist_then(hard_state(), nullptr);
  send(m.from, std::move(r));
}

void RaftNode::on_vote_response(const RaftMessage& m) {
  const bool pre = m.type == MsgType::kPreVoteResp;
  if (pre ? (role_ != Role::kPreCandidate || m.term != std::max(term_, vote_floor_) + 1)
          : (role_ != Role::kCandidate || m.term != term_)) {
    return;  // an answer to a campaign that is over
  }
  if (!config_.is_voter(m.from)) return;
  votes_[m.from] = m.granted;
  size_t granted = 0, rejected = 0;
  for (const auto& [node, yes] : votes_) (yes ? granted : rejected)++;
  if (granted >= config_.quorum()) {
    if (pre) {
      campaign(/*pre=*/false, /*transfer=*/false);
    } else {
      become_leader();
    }
  } else if (rejected >= config_.quorum()) {
    set_role(Role::kFollower);
  }
}

}  // namespace shoal
