#include "engine/raft/invariants.h"

#include "engine/core/random.h"

namespace shoal {

namespace {
constexpr size_t kViolationsKept = 20;
uint64_t entry_hash(const LogEntry& e) { return stable_hash(e.data.data(), e.data.size(), e.term); }
}  // namespace

void RaftInvariants::violation(std::string what) {
  if (violations_.size() < kViolationsKept) violations_.push_back(std::move(what));
}

void RaftInvariants::on_start(const RaftNode& node) {
  commit_[node.id()] = node.commit_index();
  last_applied_[node.id()] = node.applied_index();
}

void RaftInvariants::on_role(const RaftNode& node) {
  if (!node.is_leader()) return;
  auto [it, fresh] = leaders_.emplace(node.term(), node.id());
  if (!fresh && it->second != node.id()) {
    violation("two leaders in term " + std::to_string(node.term()) + ": " +
              std::to_string(it->second) + " and " + std::to_string(node.id()));
  }
  // Leader completeness: everything applied anywhere is in the new leader's log.
  const LogStorage& log = node.log();
  for (auto a = applied_.lower_bound(log.first_index()); a != applied_.end(); ++a) {
    if (a->first > log.last_index()) {
      violation("leader " + std::to_string(node.id()) + " of term " + std::to_string(node.term()) +
                " lacks applied entry " + std::to_string(a->first));
      break;
    }
    auto e = log.entries(a->first, a->first + 1, 0);
    if (!e.ok() || (*e)[0].term != a->second.term || entry_hash((*e)[0]) != a->second.hash) {
      violation("leader " + std::to_string(node.id()) + " of term " + std::to_string(node.term()) +
                " holds a different entry at applied index " + std::to_string(a->first));
      break;
    }
  }
}

void RaftInvariants::on_commit(const RaftNode& node) {
  uint64_t& c = commit_[node.id()];
  if (node.commit_index() < c) {
    violation("replica " + std::to_string(node.id()) + " commit index went back from " +
              std::to_string(c) + " to " + std::to_string(node.commit_index()));
  }
  c = node.commit_index();
}

void RaftInvariants::on_apply(const RaftNode& node, const LogEntry& entry) {
  uint64_t& last = last_applied_[node.id()];
  if (entry.index != last + 1) {
    violation("replica " + std::to_string(node.id()) + " applied " + std::to_string(entry.index) +
              " after " + std::to_string(last));
  }
  last = entry.index;
  const uint64_t h = entry_hash(entry);
  auto [it, fresh] = applied_.emplace(entry.index, Applied{entry.term, h, node.id()});
  if (!fresh && (it->second.term != entry.term || it->second.hash != h)) {
    violation("replicas " + std::to_string(it->second.first_by) + " and " + std::to_string(node.id()) +
              " applied different entries at index " + std::to_string(entry.index) + " (terms " +
              std::to_string(it->second.term) + " and " + std::to_string(entry.term) + ")");
  }
}

void RaftInvariants::on_restore(const RaftNode& node, uint64_t index, uint64_t term) {
  last_applied_[node.id()] = index;
  if (auto it = applied_.find(index); it != applied_.end() && it->second.term != term) {
    violation("replica " + std::to_string(node.id()) + " restored a snapshot at " +
              std::to_string(index) + " of term " + std::to_string(term) + ", applied term was " +
              std::to_string(it->second.term));
  }
}

void RaftInvariants::check_log_matching(const std::vector<const RaftNode*>& nodes) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (size_t j = i + 1; j < nodes.size(); ++j) {
      const LogStorage& a = nodes[i]->log();
      const LogStorage& b = nodes[j]->log();
      const uint64_t lo = std::max(a.first_index(), b.first_index());
      uint64_t hi = std::min(a.last_index(), b.last_index());
      // The highest common index where the terms agree; below it, all must match.
      while (hi >= lo && hi > 0 && *a.term(hi) != *b.term(hi)) --hi;
      if (hi < lo) continue;
      auto ea = a.entries(lo, hi + 1, UINT64_MAX);
      auto eb = b.entries(lo, hi + 1, UINT64_MAX);
      if (!ea.ok() || !eb.ok()) continue;
      for (size_t k = 0; k < ea->size() && k < eb->size(); ++k) {
        if ((*ea)[k] != (*eb)[k]) {
          violation("log matching: replicas " + std::to_string(nodes[i]->id()) + " and " +
                    std::to_string(nodes[j]->id()) + " agree on term at " + std::to_string(hi) +
                    " but differ at " + std::to_string((*ea)[k].index));
          return;
        }
      }
    }
  }
}

}  // namespace shoal
