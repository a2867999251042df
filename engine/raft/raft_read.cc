// RaftNode: reads — ReadIndex, leases, session and stale reads.
#include <algorithm>

#include "engine/core/planted.h"
#include "engine/raft/raft.h"

namespace shoal {

void RaftNode::read_index(std::string query, RaftCallback done) {
  if (role_ != Role::kLeader || !failure_.ok()) {
    return done(refusal(RaftError::kNotLeader, "not the leader"));
  }
  // The read must see every write committed before it arrived: it waits for
  // the commit index as of now, and for a quorum to confirm, in a heartbeat
  // round started after now, that this node still leads.
  const uint64_t confirm_round = planted_bug() == PlantedBug::kReadIndexWithoutConfirmation ? 0 : heartbeat_seq_ + 1;
  reads_.push_back(PendingRead{commit_, confirm_round, std::move(query), std::move(done)});
  broadcast_append(/*heartbeat=*/true);
  serve_reads();
}

bool RaftNode::lease_valid() const {
  if (role_ != Role::kLeader || !committed_in_term_ || transfer_target_ != kNoNode) return false;
  if (lease_start_ == TimePoint{}) return false;
  // Voters ignore other candidates for election_timeout_min after hearing
  // from this leader (by their clocks); shorten that by the drift bound.
  const double factor =
      planted_bug() == PlantedBug::kLeaseIgnoresClockDrift ? 1.0 : 1.0 - 2.0 * options_.clock_drift_max;
  const auto lease = std::chrono::duration_cast<Duration>(options_.election_timeout_min * factor);
  return env_.now() < lease_start_ + lease;
}

void RaftNode::read_lease(std::string query, RaftCallback done) {
  if (!lease_valid()) return read_index(std::move(query), std::move(done));
  if (observer_) observer_->on_lease_read(*this);
  reads_.push_back(PendingRead{commit_, 0, std::move(query), std::move(done)});
  serve_reads();
}

RaftResult RaftNode::read_local(const std::string& query) const {
  if (!failure_.ok()) return refusal(RaftError::kUnavailable, std::string(failure_.message()));
  return RaftResult{RaftError::kNone, "", applied_, sm_.query(query), leader_};
}

void RaftNode::read_after(uint64_t index, std::string query, Duration timeout, RaftCallback done) {
  if (!failure_.ok()) return done(refusal(RaftError::kUnavailable, std::string(failure_.message())));
  if (applied_ >= index) return done(read_local(query));
  WaitingRead w{index, std::move(query), std::move(done), kNoTimer};
  std::weak_ptr<bool> alive = alive_;
  const uint64_t key = index;
  w.timeout = env_.clock().after(timeout, [this, alive, key] {
    if (alive.expired()) return;
    // Time out the oldest waiter for this index still waiting.
    for (auto it = waiting_reads_.begin(); it != waiting_reads_.end(); ++it) {
      if (it->index == key && applied_ < key) {
        auto done = std::move(it->done);
        waiting_reads_.erase(it);
        done(refusal(RaftError::kUnavailable, "replica has not caught up to the session"));
        return;
      }
    }
  });
  waiting_reads_.push_back(std::move(w));
}

void RaftNode::serve_waiting_reads() {
  std::vector<WaitingRead> ready;
  for (auto it = waiting_reads_.begin(); it != waiting_reads_.end();) {
    if (applied_ >= it->index) {
      env_.clock().cancel(it->timeout);
      ready.push_back(std::move(*it));
      it = waiting_reads_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& w : ready) w.done(read_local(w.query));
}

uint64_t RaftNode::renew_lease() {
  // The newest heartbeat round a quorum of voters answered: every voter of
  // that quorum heard from this leader at or after the round left, so none
  // of them will help elect another for election_timeout_min after it (by
  // its own clock). The lease runs from the round's send time; it is renewed
  // by every answered round, whether or not reads wait.
  std::vector<uint64_t> acked;
  for (NodeId v : config_.voters) {
    acked.push_back(v == id() ? heartbeat_seq_ : (progress_.count(v) ? progress_.at(v).acked_seq : 0));
  }
  std::sort(acked.rbegin(), acked.rend());
  const uint64_t quorum_seq = acked.empty() ? 0 : acked[config_.quorum() - 1];
  if (auto it = round_sent_at_.find(quorum_seq); it != round_sent_at_.end()) {
    lease_start_ = std::max(lease_start_, it->second);
    round_sent_at_.erase(round_sent_at_.begin(), it);
  }
  return quorum_seq;
}

void RaftNode::serve_reads() {
  if (role_ != Role::kLeader) return;
  const uint64_t quorum_seq = renew_lease();
  if (reads_.empty() || !committed_in_term_) return;
  while (!reads_.empty()) {
    PendingRead& r = reads_.front();
    if (r.seq > quorum_seq) break;
    // A read registered before the term's first commit waits for that commit:
    // only then does this leader know everything committed before it.
    const uint64_t index = std::max(r.index, term_start_index_);
    if (applied_ < index) break;
    PendingRead done = std::move(r);
    reads_.pop_front();
    done.done(RaftResult{RaftError::kNone, "", index, sm_.query(done.query), leader_});
  }
}

}  // namespace shoal
