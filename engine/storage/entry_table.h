// EntryTable: the in-memory view of a Raft log — a base (index, term) and the
// consecutive entries after it — with the argument checks every LogStorage
// implementation applies. DiskLog and MemoryLog both keep one, so the two
// cannot disagree about what a call means; only durability differs.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/storage/log_storage.h"

namespace shoal {

class EntryTable {
 public:
  uint64_t base_index() const { return base_index_; }
  uint64_t base_term() const { return base_term_; }
  uint64_t first_index() const { return base_index_ + 1; }
  uint64_t last_index() const { return base_index_ + entries_.size(); }
  size_t size() const { return entries_.size(); }
  uint64_t data_bytes() const { return data_bytes_; }

  absl::StatusOr<uint64_t> term(uint64_t index) const;
  // REQUIRES: first_index() <= index <= last_index().
  const LogEntry& at(uint64_t index) const;
  absl::StatusOr<std::vector<LogEntry>> entries(uint64_t lo, uint64_t hi, uint64_t max_bytes) const;

  // The checks of LogStorage::append / truncate_after / compact. OK means the
  // matching mutation below may be applied.
  absl::Status check_append(const std::vector<LogEntry>& entries) const;
  absl::Status check_truncate_after(uint64_t index) const;
  absl::Status check_compact(uint64_t index) const;

  // REQUIRES: check_append(entries) is OK.
  void append(std::vector<LogEntry> entries);
  // REQUIRES: check_truncate_after(index) is OK.
  void truncate_after(uint64_t index);
  // REQUIRES: check_compact(index) is OK. Returns true when the whole log was
  // discarded (the log did not hold (index, term)).
  bool compact(uint64_t index, uint64_t term);
  // Empties the table and sets its base; used by recovery.
  void reset(uint64_t base_index, uint64_t base_term);

 private:
  uint64_t base_index_ = 0;
  uint64_t base_term_ = 0;
  std::deque<LogEntry> entries_;
  uint64_t data_bytes_ = 0;
};

// The hard-state transitions Raft may make: terms never go back and a vote,
// once cast in a term, never changes. FailedPrecondition otherwise.
absl::Status check_hard_state_transition(const HardState& from, const HardState& to);

}  // namespace shoal
