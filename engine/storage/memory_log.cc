#include "engine/storage/memory_log.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"

namespace shoal {

MemoryLog::MemoryLog(Clock& clock, Duration sync_delay)
    : clock_(clock), sync_delay_(sync_delay), flush_timer_(clock) {
  SHOAL_ASSERT(sync_delay.count() >= 0);
}

absl::Status MemoryLog::admit(uint64_t bytes) const {
  if (!status_.ok()) return status_;
  if (pending_.size() >= kMaxPendingMutations) {
    return absl::ResourceExhaustedError("kMaxPendingMutations mutations already pending");
  }
  if (pending_bytes_ + bytes > kMaxPendingBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("append of ", bytes, " bytes would exceed kMaxPendingBytes"));
  }
  return absl::OkStatus();
}

void MemoryLog::enqueue(uint64_t bytes, StorageCallback done) {
  pending_.push_back(Pending{bytes, std::move(done)});
  pending_bytes_ += bytes;
  // One timer completes everything queued so far, the way one fsync covers
  // every write before it.
  if (!flush_timer_.armed()) flush_timer_.arm(sync_delay_, [this] { flush(); });
}

void MemoryLog::flush() {
  std::deque<Pending> ready;
  ready.swap(pending_);
  pending_bytes_ = 0;
  const absl::Status outcome = status_;
  std::weak_ptr<bool> alive = alive_;
  for (Pending& p : ready) {
    if (p.done) p.done(outcome);
    if (alive.expired()) return;  // a completion destroyed the log
  }
}

absl::Status MemoryLog::save_hard_state(const HardState& hs, StorageCallback done) {
  if (auto st = admit(0); !st.ok()) return st;
  if (auto st = check_hard_state_transition(hard_state_, hs); !st.ok()) return st;
  hard_state_ = hs;
  enqueue(0, std::move(done));
  return absl::OkStatus();
}

absl::Status MemoryLog::append(std::vector<LogEntry> entries, StorageCallback done) {
  uint64_t bytes = 0;
  for (const LogEntry& e : entries) bytes += e.data.size();
  if (auto st = admit(bytes); !st.ok()) return st;
  if (auto st = table_.check_append(entries); !st.ok()) return st;
  table_.append(std::move(entries));
  enqueue(bytes, std::move(done));
  return absl::OkStatus();
}

absl::Status MemoryLog::truncate_after(uint64_t index, StorageCallback done) {
  if (auto st = admit(0); !st.ok()) return st;
  if (auto st = table_.check_truncate_after(index); !st.ok()) return st;
  table_.truncate_after(index);
  enqueue(0, std::move(done));
  return absl::OkStatus();
}

absl::Status MemoryLog::compact(uint64_t index, uint64_t term, StorageCallback done) {
  if (auto st = admit(0); !st.ok()) return st;
  if (auto st = table_.check_compact(index); !st.ok()) return st;
  table_.compact(index, term);
  enqueue(0, std::move(done));
  return absl::OkStatus();
}

void MemoryLog::fail(absl::Status status) {
  SHOAL_ASSERT(!status.ok());
  if (!status_.ok()) return;
  status_ = std::move(status);
  // Completions still run later, never inside this call.
  if (!pending_.empty()) flush_timer_.arm(Duration(0), [this] { flush(); });
}

}  // namespace shoal
