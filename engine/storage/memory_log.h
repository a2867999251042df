// MemoryLog: the in-memory twin of DiskLog (STYLE rule 3), for Raft unit tests
// that need no disk. It keeps the whole LogStorage contract — argument checks,
// pending bounds, completions later and in issue order — and makes every
// mutation "durable" after `sync_delay` on the given clock. Nothing survives the
// object, so crash tests belong to DiskLog in the simulator.
//
// fail(status) puts the twin into the failed state a DiskLog enters on a full
// disk or a failed sync, so Raft can be tested against storage failure.
#pragma once

#include <deque>
#include <memory>

#include "engine/env/clock.h"
#include "engine/storage/entry_table.h"
#include "engine/storage/log_storage.h"

namespace shoal {

class MemoryLog final : public LogStorage {
 public:
  // REQUIRES: clock outlives this object; sync_delay >= 0.
  explicit MemoryLog(Clock& clock, Duration sync_delay = Duration(0));

  absl::Status status() const override { return status_; }
  const HardState& hard_state() const override { return hard_state_; }
  absl::Status save_hard_state(const HardState& hs, StorageCallback done) override;

  uint64_t first_index() const override { return table_.first_index(); }
  uint64_t last_index() const override { return table_.last_index(); }
  absl::StatusOr<uint64_t> term(uint64_t index) const override { return table_.term(index); }
  absl::StatusOr<std::vector<LogEntry>> entries(uint64_t lo, uint64_t hi,
                                                uint64_t max_bytes) const override {
    return table_.entries(lo, hi, max_bytes);
  }

  absl::Status append(std::vector<LogEntry> entries, StorageCallback done) override;
  absl::Status truncate_after(uint64_t index, StorageCallback done) override;
  absl::Status compact(uint64_t index, uint64_t term, StorageCallback done) override;

  // Fails the twin for good: queued completions get `status` (later, on the
  // clock), new mutations are rejected with it. REQUIRES: !status.ok().
  void fail(absl::Status status);
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    uint64_t bytes = 0;
    StorageCallback done;
  };
  absl::Status admit(uint64_t bytes) const;
  void enqueue(uint64_t bytes, StorageCallback done);
  void flush();

  Clock& clock_;
  Duration sync_delay_;
  absl::Status status_;
  HardState hard_state_;
  EntryTable table_;
  std::deque<Pending> pending_;
  uint64_t pending_bytes_ = 0;
  TimerSlot flush_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal
