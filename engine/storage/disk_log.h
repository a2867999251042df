// DiskLog: LogStorage on an Env's Disk — a segmented write-ahead log of
// CRC32C-framed entries plus a hard-state file, under one directory:
//
//   <dir>hardstate                the current term and vote (hard_state_file.h)
//   <dir>wal/<first index>.log    log segments, oldest first (wal_format.h)
//
// Writing. Mutations queue in issue order and are written in groups: a group
// takes consecutive log mutations up to `group_bytes` (at least one), writes
// them, syncs the newest segment once, and completes them all — one fsync for
// many appends. A hard-state save is a group of its own (temporary file, sync,
// rename), so the durable state after a crash is always the result of a prefix
// of the issued mutations. One group is in flight at a time.
//
// Segments. A new segment starts when the newest is at least `segment_bytes`
// long AND fully synced; a group never writes to two segments. Hence every
// segment but the newest is complete and durable, and only the newest can end
// in a torn write. Truncation cuts the newest surviving segment in place after
// removing the later ones; compaction removes whole segments that hold only
// compacted entries (never the newest).
//
// Recovery (open). The hard-state file and every segment are read and checked
// (see recovery_report.h): a torn tail of the newest segment is cut off and
// reported; any other damage — a bad frame with valid frames after it, a bad
// frame in an older segment, a segment that does not continue the one before
// it, a bad hard-state file — fails the open with DataLoss naming file and
// offset. A log that failed to open cannot be used, by construction.
//
// Entries are also kept in memory (reads never touch the disk); compaction is
// what bounds the memory.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "engine/env/env.h"
#include "engine/storage/entry_table.h"
#include "engine/storage/log_storage.h"
#include "engine/storage/recovery_report.h"

namespace shoal {

// A new segment starts once the newest one reaches this size.
inline constexpr uint64_t kDefaultSegmentBytes = 16u << 20;
// Entry bytes written per group (per fsync) before the group is closed.
inline constexpr uint64_t kDefaultGroupBytes = 4u << 20;

struct DiskLogOptions {
  uint64_t segment_bytes = kDefaultSegmentBytes;
  uint64_t group_bytes = kDefaultGroupBytes;
};

class DiskLog final : public LogStorage {
 public:
  // Opens the log in `dir` ("" or a prefix ending in "/"), creating an empty
  // one when absent, and recovers it. Synchronous: it only reads files and
  // cuts torn tails. On DataLoss (corruption) or another read error no log is
  // returned; `report`, when given, says what was found and repaired either way.
  // REQUIRES: env outlives the returned log.
  static absl::StatusOr<std::unique_ptr<DiskLog>> open_dir(Env& env, std::string dir,
                                                       DiskLogOptions options = {},
                                                       RecoveryReport* report = nullptr);
  ~DiskLog() override;
  DiskLog(const DiskLog&) = delete;
  DiskLog& operator=(const DiskLog&) = delete;

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

  // For tests, tools and metrics.
  std::vector<std::string> segment_files() const;
  size_t pending() const { return queue_.size(); }
  const std::string& dir() const { return dir_; }

 private:
  // One segment file as the writer sees it.
  struct Segment {
    uint64_t first_index = 0;
    std::string path;
    std::unique_ptr<File> file;
    std::vector<uint64_t> entry_offsets;  // where each entry's frame starts
    uint64_t last_index() const { return first_index + entry_offsets.size() - 1; }
  };
  // A queued mutation. It carries everything its disk step needs, computed
  // when it was issued: the in-memory log then was exactly the disk log after
  // this step, so nothing has to be looked up later.
  struct Mutation {
    enum class Kind { kAppend, kTruncate, kCompact, kHardState };
    Kind kind = Kind::kAppend;
    uint64_t keep_index = 0;   // append/truncate: entries after this go; compact: the index
    uint64_t keep_term = 0;    // the term of keep_index
    bool discard_all = false;  // compact: the whole log goes
    std::string frames;        // append: the encoded entries
    std::vector<uint64_t> frame_offsets;  // append: each frame's offset within `frames`
    uint64_t last_term = 0;               // append: the term of the last entry
    HardState hard_state;                 // hard-state save
    uint64_t bytes = 0;                   // toward kMaxPendingBytes
    StorageCallback done;
  };

  DiskLog(Env& env, std::string dir, DiskLogOptions options);

  // Recovery (disk_log_recovery.cc).
  absl::Status recover(RecoveryReport& report);
  absl::Status recover_hard_state(RecoveryReport& report);
  absl::Status recover_segments(RecoveryReport& report);
  absl::Status recover_segment(const std::string& path, uint64_t first_index, bool newest,
                               RecoveryReport& report);

  // The write pipeline (disk_log.cc).
  absl::Status admit(uint64_t bytes) const;
  void enqueue(Mutation m);
  void start_group();
  void start_hard_state_group();
  void finish_group(absl::Status synced);
  void fail(absl::Status status);
  absl::Status apply(const Mutation& m);
  absl::Status write_entries(const Mutation& m);
  absl::Status ensure_tail_segment();
  absl::Status remove_newest_segment();
  absl::Status remove_oldest_segment();
  absl::Status cut_after(uint64_t index, uint64_t term);
  absl::Status compact_files(const Mutation& m);
  std::string segment_path(uint64_t first_index) const;
  std::string hard_state_path() const { return dir_ + "hardstate"; }

  Env& env_;
  const std::string dir_;
  const DiskLogOptions options_;
  absl::Status status_;

  // The in-memory view: every issued mutation applied.
  HardState hard_state_;
  EntryTable table_;

  // The disk view: every mutation applied up to the running group.
  std::deque<Segment> segments_;
  uint64_t disk_last_index_ = 0;
  uint64_t disk_last_term_ = 0;
  // The newest segment has writes no completed sync covers.
  bool tail_unsynced_ = false;

  std::deque<Mutation> queue_;  // issued, not completed; the running group first
  uint64_t queued_bytes_ = 0;
  size_t group_size_ = 0;  // mutations at the front of queue_ being written
  bool group_running_ = false;
  TimerSlot kick_;
  // Completions check this before touching the object: it may be destroyed
  // by a callback, or while a sync is in flight.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal
