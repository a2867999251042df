#include "engine/storage/entry_table.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"

namespace shoal {

absl::StatusOr<uint64_t> EntryTable::term(uint64_t index) const {
  if (index == base_index_) return base_term_;
  if (index < base_index_ || index > last_index()) {
    return absl::OutOfRangeError(absl::StrCat("no term for index ", index, ": the log holds ",
                                              base_index_, " (base) to ", last_index()));
  }
  return at(index).term;
}

const LogEntry& EntryTable::at(uint64_t index) const {
  SHOAL_ASSERT(index >= first_index());
  SHOAL_ASSERT(index <= last_index());
  return entries_[index - first_index()];
}

absl::StatusOr<std::vector<LogEntry>> EntryTable::entries(uint64_t lo, uint64_t hi,
                                                          uint64_t max_bytes) const {
  if (lo < first_index() || lo > hi || hi > last_index() + 1) {
    return absl::OutOfRangeError(absl::StrCat("entries [", lo, ", ", hi, ") outside the log [",
                                              first_index(), ", ", last_index() + 1, ")"));
  }
  std::vector<LogEntry> out;
  uint64_t bytes = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const LogEntry& e = at(i);
    // The byte budget never yields an empty answer: one entry always fits.
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

absl::Status EntryTable::check_append(const std::vector<LogEntry>& entries) const {
  if (entries.empty()) return absl::OkStatus();
  if (entries.size() > kMaxEntriesPerAppend) {
    return absl::ResourceExhaustedError(
        absl::StrCat("append of ", entries.size(), " entries exceeds kMaxEntriesPerAppend"));
  }
  const uint64_t start = entries.front().index;
  // An append may not leave a gap after the last entry, and may not rewrite
  // the base or anything before it: those are covered by a snapshot.
  if (start < first_index() || start > last_index() + 1) {
    return absl::OutOfRangeError(absl::StrCat("append at index ", start, " outside [",
                                              first_index(), ", ", last_index() + 1, "]"));
  }
  uint64_t prev_term = *term(start - 1);
  for (size_t i = 0; i < entries.size(); ++i) {
    const LogEntry& e = entries[i];
    if (e.index != start + i) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry ", i, " has index ", e.index, ", expected ", start + i));
    }
    if (e.term < prev_term) {
      return absl::InvalidArgumentError(absl::StrCat("entry ", e.index, " has term ", e.term,
                                                     " below the term before it, ", prev_term));
    }
    if (e.data.size() > kMaxEntryDataBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("entry ", e.index, " carries ", e.data.size(), " bytes"));
    }
    prev_term = e.term;
  }
  return absl::OkStatus();
}

absl::Status EntryTable::check_truncate_after(uint64_t index) const {
  if (index < base_index_ || index > last_index()) {
    return absl::OutOfRangeError(
        absl::StrCat("truncate after ", index, " outside [", base_index_, ", ", last_index(), "]"));
  }
  return absl::OkStatus();
}

absl::Status EntryTable::check_compact(uint64_t index) const {
  if (index < base_index_) {
    return absl::OutOfRangeError(
        absl::StrCat("compact to ", index, " but the log is already compacted to ", base_index_));
  }
  return absl::OkStatus();
}

void EntryTable::append(std::vector<LogEntry> entries) {
  if (entries.empty()) return;
  truncate_after(entries.front().index - 1);
  for (LogEntry& e : entries) {
    data_bytes_ += e.data.size();
    entries_.push_back(std::move(e));
  }
}

void EntryTable::truncate_after(uint64_t index) {
  SHOAL_ASSERT(index >= base_index_);
  while (last_index() > index) {
    data_bytes_ -= entries_.back().data.size();
    entries_.pop_back();
  }
}

bool EntryTable::compact(uint64_t index, uint64_t term) {
  SHOAL_ASSERT(index >= base_index_);
  // Raft's InstallSnapshot rule: keep the entries after the snapshot only
  // when the log agrees with it about the snapshot's last entry.
  const bool agrees = index <= last_index() && *this->term(index) == term;
  if (!agrees) {
    reset(index, term);
    return true;
  }
  while (base_index_ < index) {
    data_bytes_ -= entries_.front().data.size();
    base_term_ = entries_.front().term;
    entries_.pop_front();
    ++base_index_;
  }
  SHOAL_ASSERT(base_term_ == term);
  return false;
}

void EntryTable::reset(uint64_t base_index, uint64_t base_term) {
  entries_.clear();
  data_bytes_ = 0;
  base_index_ = base_index;
  base_term_ = base_term;
}

absl::Status check_hard_state_transition(const HardState& from, const HardState& to) {
  if (to.term < from.term) {
    return absl::FailedPreconditionError(
        absl::StrCat("hard state term would go back from ", from.term, " to ", to.term));
  }
  // The floor only rises, except that a suspended replica's floor comes
  // down to the terms it has proven it may have voted in.
  if (from.vote_floor != kVotesSuspended && to.vote_floor < from.vote_floor) {
    return absl::FailedPreconditionError(
        absl::StrCat("vote floor would go back from ", from.vote_floor, " to ", to.vote_floor));
  }
  if (to.term == from.term && from.vote != kNoNode && to.vote != from.vote) {
    return absl::FailedPreconditionError(
        absl::StrCat("vote in term ", to.term, " would change from ", from.vote, " to ", to.vote));
  }
  return absl::OkStatus();
}

}  // namespace shoal
