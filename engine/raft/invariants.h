// RaftInvariants: the safety properties of Raft, checked as the cluster runs.
//
// One checker observes every replica of a group (it is their RaftObserver)
// and checks at each transition:
//  * election safety: at most one leader per term, over the whole run;
//  * commit monotonicity: a replica's commit index never goes back within
//    one incarnation;
//  * state machine safety: every replica applies, at each index, the same
//    entry (term and bytes) — so every applied prefix agrees;
//  * leader completeness: a new leader's log holds every entry any replica
//    has applied (unless compacted into its snapshot).
// check_log_matching() checks the log matching property across replicas on
// demand (it costs a pass over the logs). Violations are kept, never thrown:
// the scenario reports them with the seed that found them.
#pragma once

#include <map>
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

  std::map<uint64_t, NodeId> leaders_;
  std::map<NodeId, uint64_t> commit_;        // per replica, this incarnation
  std::map<NodeId, uint64_t> last_applied_;  // per replica, this incarnation
  std::map<uint64_t, Applied> applied_;      // index -> what was applied there
  std::vector<std::string> violations_;
};

}  // namespace shoal
