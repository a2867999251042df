#include "engine/raft/invariants.h"

#include "engine/core/assert.h"
#include "engine/core/random.h"

namespace shoal {

namespace {
constexpr size_t kViolationsKept = 20;
uint64_t entry_hash(const LogEntry& e) { return stable_hash(e.data.data(), e.data.size(), e.term); }
}  // namespace

void RaftInvariants::violation(std::string what) {
  if (violations_.size() < kViolationsKept) violations_.push_back(std::move(what));
}

void RaftInvariants::check_group(const RaftNode& node) {
  if (!group_) group_ = node.group();
  // One checker per group: a replica of another group here would make two
  // groups' leaders look like two leaders of one term.
  SHOAL_ASSERT(*group_ == node.group());
}

void RaftInvariants::on_start(const RaftNode& node) {
  check_group(node);
  commit_[node.id()] = node.commit_index();
  last_applied_[node.id()] = node.applied_index();
  check_positions(node);
}

void RaftInvariants::check_positions(const RaftNode& node) {
  if (node.applied_index() > node.commit_index()) {
    violation("replica " + std::to_string(node.id()) + " applied " + std::to_string(node.applied_index()) +
              " beyond its commit index " + std::to_string(node.commit_index()));
  }
  if (node.commit_index() > std::max(node.last_index(), node.applied_index())) {
    violation("replica " + std::to_string(node.id()) + " commit index " + std::to_string(node.commit_index()) +
              " is beyond its log, which ends at " + std::to_string(node.last_index()));
  }
}

uint64_t RaftInvariants::committed_in(uint64_t index) const {
  if (index == 0 || index > max_committed_) return 0;
  auto it = commit_term_runs_.upper_bound(index);
  return it == commit_term_runs_.begin() ? 0 : std::prev(it)->second;
}

void RaftInvariants::on_role(const RaftNode& node) {
  check_group(node);
  if (!node.is_leader()) return;
  auto [it, fresh] = leaders_.emplace(node.term(), node.id());
  if (!fresh && it->second != node.id()) {
    violation("two leaders in term " + std::to_string(node.term()) + ": " +
              std::to_string(it->second) + " and " + std::to_string(node.id()));
  }
  // Leader completeness: everything committed in an earlier term is in the
  // new leader's log. (Everything applied was committed; an entry committed
  // only in this term or later is no business of this leader's.)
  const LogStorage& log = node.log();
  for (auto a = applied_.lower_bound(log.first_index()); a != applied_.end(); ++a) {
    const uint64_t committed_term = committed_in(a->first);
    if (committed_term == 0 || committed_term >= node.term()) continue;
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
  check_group(node);
  uint64_t& c = commit_[node.id()];
  if (node.commit_index() < c) {
    violation("replica " + std::to_string(node.id()) + " commit index went back from " +
              std::to_string(c) + " to " + std::to_string(node.commit_index()));
  }
  const uint64_t before = c;
  c = node.commit_index();
  check_positions(node);
  if (node.is_leader() && c > before && c >= node.log().first_index()) {
    auto t = node.log().term(c);
    if (t.ok() && *t != node.term()) {
      violation("leader " + std::to_string(node.id()) + " of term " + std::to_string(node.term()) +
                " committed index " + std::to_string(c) + ", an entry of term " + std::to_string(*t) +
                ": a leader commits only entries of its own term by counting replicas");
    }
  }
  note_committed(node.commit_index(), node.term());
}

void RaftInvariants::note_committed(uint64_t commit, uint64_t term) {
  // A replica in `term` learned that everything up to `commit` is committed,
  // so each index up to `commit` was committed in `term` or earlier. The
  // recorded term of an index is the lowest such term seen; it never
  // decreases along the log (an entry is committed no later than any entry
  // after it), so the indices whose term falls now form one range: from the
  // first run above `term` up to `commit`.
  if (commit == 0) return;
  uint64_t from = max_committed_ + 1;
  for (const auto& [start, t] : commit_term_runs_) {
    if (t > term) {
      from = start;
      break;
    }
  }
  if (from > commit) return;
  const uint64_t after = commit + 1;
  const uint64_t after_term = committed_in(after);
  commit_term_runs_.erase(commit_term_runs_.lower_bound(from), commit_term_runs_.lower_bound(after + 1));
  if (committed_in(from - 1) != term) commit_term_runs_[from] = term;
  if (after_term != 0 && after_term != term) commit_term_runs_[after] = after_term;
  max_committed_ = std::max(max_committed_, commit);
}

void RaftInvariants::on_apply(const RaftNode& node, const LogEntry& entry) {
  check_group(node);
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
  check_group(node);
  last_applied_[node.id()] = index;
  note_committed(index, node.term());
  if (auto it = applied_.find(index); it != applied_.end() && it->second.term != term) {
    violation("replica " + std::to_string(node.id()) + " restored a snapshot at " +
              std::to_string(index) + " of term " + std::to_string(term) + ", applied term was " +
              std::to_string(it->second.term));
  }
}

void RaftInvariants::on_lease_read(const RaftNode& node) {
  check_group(node);
  auto newer = leaders_.upper_bound(node.term());
  if (newer == leaders_.end()) return;
  violation("leader " + std::to_string(node.id()) + " of term " + std::to_string(node.term()) +
            " served a read on its lease after node " + std::to_string(newer->second) + " was elected leader of term " +
            std::to_string(newer->first));
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

namespace shoal {

void RaftInvariantsByGroup::check_log_matching(const std::vector<const RaftNode*>& nodes) {
  std::map<GroupId, std::vector<const RaftNode*>> by_group;
  for (const RaftNode* n : nodes) by_group[n->group()].push_back(n);
  for (auto& [g, members] : by_group) groups_[g].check_log_matching(members);
}

bool RaftInvariantsByGroup::ok() const {
  for (const auto& [g, inv] : groups_) {
    if (!inv.ok()) return false;
  }
  return true;
}

std::vector<std::string> RaftInvariantsByGroup::violations() const {
  std::vector<std::string> out;
  for (const auto& [g, inv] : groups_) {
    for (const std::string& v : inv.violations()) out.push_back("group " + std::to_string(g) + ": " + v);
  }
  return out;
}

}  // namespace shoal
