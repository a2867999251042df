// Membership: who votes and who only listens in one Raft group.
//
// Shoal changes membership one server at a time (Ongaro's dissertation, 4.1):
// a configuration differs from the one before it by one node added as a
// learner, one learner promoted to voter, or one node removed. Any two
// majorities of consecutive configurations then overlap, so no joint phase
// is needed. A configuration takes effect on a replica as soon as it is in
// that replica's log, committed or not, and a leader has at most one
// uncommitted configuration at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/ids.h"

namespace shoal {

struct Membership {
  std::vector<NodeId> voters;    // sorted, no duplicates
  std::vector<NodeId> learners;  // sorted, disjoint from voters

  bool is_voter(NodeId n) const;
  bool is_learner(NodeId n) const;
  bool contains(NodeId n) const { return is_voter(n) || is_learner(n); }
  size_t quorum() const;
  // Everyone the leader replicates to, sorted.
  std::vector<NodeId> members() const;
  std::string to_string() const;

  friend bool operator==(const Membership&, const Membership&) = default;
};

std::string encode_membership(const Membership& m);
absl::StatusOr<Membership> decode_membership(std::string_view bytes);

enum class ChangeKind : uint8_t { kAddLearner = 1, kPromote = 2, kRemove = 3 };
struct MembershipChange {
  ChangeKind kind;
  NodeId node;
};

// The configuration after applying `change` to `m`, or FailedPrecondition
// when the change does not apply (adding a member, promoting a non-learner,
// removing a non-member, or removing the last voter).
absl::StatusOr<Membership> apply_change(const Membership& m, const MembershipChange& change);

}  // namespace shoal
