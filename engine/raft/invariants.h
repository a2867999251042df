// RaftInvariants: the safety properties of Raft, checked as the cluster runs.
//
// One checker observes every replica of a group (it is their RaftObserver)
// and checks at each transition:
//  * election safety: at most one leader per term, over the whole run;
//  * commit monotonicity: a replica's commit index never goes back within
//    one incarnation;
//  * state machine safety: every replica applies, at each index, the same
//    entry (term and bytes) — so every applied prefix agrees;
//  * leader completeness, exactly as Raft states it: an entry committed in
//    term T is in the log of every leader of a term above T (unless
//    compacted into its snapshot). An entry counts as committed in the
//    lowest term in which any replica learned it was committed — never
//    below the term in which it really was, so the check cannot cry wolf.
//    A leader of a lower term may lack it: a candidate paused mid-campaign
//    can resume, count votes of its old term and lead that term after a
//    later term's leader committed entries it never saw; that is legal
//    Raft (it cannot commit anything: every voter moved past its term).
//  * the commit rule (Raft's Figure 8): a leader moves its commit index only
//    to an entry of its own term — entries of earlier terms commit with it,
//    never by counting their replicas;
//  * lease safety: a leader serves a read on its lease alone only while no
//    leader of a later term has been elected (leases exist to rule that
//    out, for clocks within the drift bound);
//  * bookkeeping: applied <= commit <= last log index on every replica.
// check_log_matching() checks the log matching property across replicas on
// demand (it costs a pass over the logs). Violations are kept, never thrown:
// the scenario reports them with the seed that found them.
//
// A RaftInvariants judges ONE group: every replica it observes must be of
// the group it first saw (asserted), because two groups on one node are not
// two leaders of one term. RaftInvariantsByGroup observes any number of
// groups and keeps one checker per group, keyed by (group, node).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/raft/raft.h"

namespace shoal {

class RaftInvariants final : public RaftObserver {
 public:
  void on_start(const RaftNode& node) override;
  void on_role(const RaftNode& node) override;
  void on_commit(const RaftNode& node) override;
  void on_apply(const RaftNode& node, const LogEntry& entry) override;
  void on_restore(const RaftNode& node, uint64_t index, uint64_t term) override;
  void on_lease_read(const RaftNode& node) override;

  // Log matching: when two logs hold an entry with the same index and term,
  // they hold the same entries up to it.
  void check_log_matching(const std::vector<const RaftNode*>& nodes);

  bool ok() const { return violations_.empty(); }
  const std::vector<std::string>& violations() const { return violations_; }
  // Leaders seen per term (for reports).
  const std::map<uint64_t, NodeId>& leaders() const { return leaders_; }
  uint64_t max_applied() const { return applied_.empty() ? 0 : applied_.rbegin()->first; }

 private:
  struct Applied {
    uint64_t term;
    uint64_t hash;
    NodeId first_by;
  };
  void violation(std::string what);
  void check_positions(const RaftNode& node);
  void note_committed(uint64_t commit, uint64_t term);
  // The lowest term in which index i was known to be committed (0: not yet).
  uint64_t committed_in(uint64_t index) const;

  std::map<uint64_t, NodeId> leaders_;
  std::map<NodeId, uint64_t> commit_;        // per replica, this incarnation
  std::map<NodeId, uint64_t> last_applied_;  // per replica, this incarnation
  std::map<uint64_t, Applied> applied_;      // index -> what was applied there
  // Index -> the lowest term in which a replica learned it was committed.
  // Runs of indices share a term, so only where it changes is stored: the
  // term of index i is that of the greatest key <= i (a run ends where the
  // next starts, or at max_committed_).
  std::map<uint64_t, uint64_t> commit_term_runs_;
  uint64_t max_committed_ = 0;
  std::vector<std::string> violations_;
  std::optional<GroupId> group_;  // the group judged, once a replica was seen
  void check_group(const RaftNode& node);
};

class RaftInvariantsByGroup final : public RaftObserver {
 public:
  void on_start(const RaftNode& node) override { of(node).on_start(node); }
  void on_role(const RaftNode& node) override { of(node).on_role(node); }
  void on_commit(const RaftNode& node) override { of(node).on_commit(node); }
  void on_apply(const RaftNode& node, const LogEntry& entry) override { of(node).on_apply(node, entry); }
  void on_restore(const RaftNode& node, uint64_t index, uint64_t term) override {
    of(node).on_restore(node, index, term);
  }
  void on_lease_read(const RaftNode& node) override { of(node).on_lease_read(node); }

  // Log matching within each group of `nodes`.
  void check_log_matching(const std::vector<const RaftNode*>& nodes);
  bool ok() const;
  // Every group's violations, each prefixed "group <g>: ".
  std::vector<std::string> violations() const;
  // The checker of one group (created empty when the group was never seen).
  const RaftInvariants& group(GroupId g) { return groups_[g]; }
  const std::map<GroupId, RaftInvariants>& groups() const { return groups_; }

 private:
  RaftInvariants& of(const RaftNode& node) { return groups_[node.group()]; }
  std::map<GroupId, RaftInvariants> groups_;
};

}  // namespace shoal
