#include "engine/raft/membership.h"

#include <algorithm>

#include "engine/core/codec.h"
#include "engine/core/planted.h"

namespace shoal {

size_t Membership::quorum() const {
  if (planted_bug() == PlantedBug::kQuorumOneShort) return std::max<size_t>(1, voters.size() / 2);
  return voters.size() / 2 + 1;
}
namespace {

bool has(const std::vector<NodeId>& v, NodeId n) { return std::binary_search(v.begin(), v.end(), n); }

void insert_sorted(std::vector<NodeId>& v, NodeId n) { v.insert(std::upper_bound(v.begin(), v.end(), n), n); }

void erase(std::vector<NodeId>& v, NodeId n) { v.erase(std::remove(v.begin(), v.end(), n), v.end()); }

constexpr uint64_t kMaxMembers = 1024;

}  // namespace

bool Membership::is_voter(NodeId n) const { return has(voters, n); }
bool Membership::is_learner(NodeId n) const { return has(learners, n); }

std::vector<NodeId> Membership::members() const {
  std::vector<NodeId> all = voters;
  all.insert(all.end(), learners.begin(), learners.end());
  std::sort(all.begin(), all.end());
  return all;
}

std::string Membership::to_string() const {
  std::string s = "voters {";
  for (size_t i = 0; i < voters.size(); ++i) s += (i ? "," : "") + std::to_string(voters[i]);
  s += "} learners {";
  for (size_t i = 0; i < learners.size(); ++i) s += (i ? "," : "") + std::to_string(learners[i]);
  return s + "}";
}

std::string encode_membership(const Membership& m) {
  Writer w;
  w.varint(m.voters.size());
  for (NodeId n : m.voters) w.u32(n);
  w.varint(m.learners.size());
  for (NodeId n : m.learners) w.u32(n);
  return w.take();
}

absl::StatusOr<Membership> decode_membership(std::string_view bytes) {
  Reader r(bytes);
  Membership m;
  for (auto* list : {&m.voters, &m.learners}) {
    const uint64_t n = r.varint();
    if (!r.ok() || n > kMaxMembers) return absl::DataLossError("malformed membership");
    for (uint64_t i = 0; i < n; ++i) list->push_back(r.u32());
  }
  if (!r.finished_ok() || !std::is_sorted(m.voters.begin(), m.voters.end()) ||
      !std::is_sorted(m.learners.begin(), m.learners.end())) {
    return absl::DataLossError("malformed membership");
  }
  return m;
}

absl::StatusOr<Membership> apply_change(const Membership& m, const MembershipChange& c) {
  Membership next = m;
  switch (c.kind) {
    case ChangeKind::kAddLearner:
      if (m.contains(c.node)) return absl::FailedPreconditionError("node is already a member");
      insert_sorted(next.learners, c.node);
      return next;
    case ChangeKind::kPromote:
      if (!m.is_learner(c.node)) return absl::FailedPreconditionError("node is not a learner");
      erase(next.learners, c.node);
      insert_sorted(next.voters, c.node);
      return next;
    case ChangeKind::kRemove:
      if (!m.contains(c.node)) return absl::FailedPreconditionError("node is not a member");
      if (m.is_voter(c.node) && m.voters.size() == 1) {
        return absl::FailedPreconditionError("cannot remove the last voter");
      }
      erase(next.voters, c.node);
      erase(next.learners, c.node);
      return next;
  }
  return absl::InvalidArgumentError("unknown membership change");
}

}  // namespace shoal
