// DiskLog's mutations and its write pipeline. Recovery is in
// disk_log_recovery.cc.
#include "engine/storage/disk_log.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/env/buggify.h"
#include "engine/storage/hard_state_file.h"
#include "engine/storage/wal_format.h"

namespace shoal {
namespace {

std::string as_directory(std::string dir) {
  if (!dir.empty() && dir.back() != '/') dir.push_back('/');
  return dir;
}

}  // namespace

DiskLog::DiskLog(Env& env, std::string dir, DiskLogOptions options)
    : env_(env), dir_(as_directory(std::move(dir))), options_(options), kick_(env.clock()) {}

DiskLog::~DiskLog() = default;

std::string DiskLog::segment_path(uint64_t first_index) const {
  return absl::StrCat(dir_, "wal/", wal::segment_name(first_index));
}

std::vector<std::string> DiskLog::segment_files() const {
  std::vector<std::string> out;
  for (const Segment& s : segments_) out.push_back(s.path);
  return out;
}

// ---- mutations: change the in-memory view now, queue the disk step ----------

absl::Status DiskLog::admit(uint64_t bytes) const {
  if (!status_.ok()) return status_;
  if (queue_.size() >= kMaxPendingMutations) {
    return absl::ResourceExhaustedError("kMaxPendingMutations mutations already pending");
  }
  if (queued_bytes_ + bytes > kMaxPendingBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("append of ", bytes, " bytes would exceed kMaxPendingBytes"));
  }
  return absl::OkStatus();
}

void DiskLog::enqueue(Mutation m) {
  queued_bytes_ += m.bytes;
  queue_.push_back(std::move(m));
  // The group starts on a later turn of the loop, so that everything issued
  // in this turn shares its fsync and no completion runs inside a call.
  if (!group_running_ && !kick_.armed()) kick_.arm(Duration(0), [this] { start_group(); });
}

absl::Status DiskLog::save_hard_state(const HardState& hs, StorageCallback done) {
  if (auto st = admit(0); !st.ok()) return st;
  if (auto st = check_hard_state_transition(hard_state_, hs); !st.ok()) return st;
  hard_state_ = hs;
  Mutation m;
  m.kind = Mutation::Kind::kHardState;
  m.hard_state = hs;
  m.done = std::move(done);
  enqueue(std::move(m));
  return absl::OkStatus();
}

absl::Status DiskLog::append(std::vector<LogEntry> entries, StorageCallback done) {
  uint64_t bytes = 0;
  for (const LogEntry& e : entries) bytes += e.data.size() + wal::kEntryOverheadBytes;
  if (auto st = admit(bytes); !st.ok()) return st;
  if (auto st = table_.check_append(entries); !st.ok()) return st;
  Mutation m;
  m.kind = Mutation::Kind::kAppend;
  m.keep_index = entries.empty() ? table_.last_index() : entries.front().index - 1;
  m.keep_term = *table_.term(m.keep_index);
  m.last_term = entries.empty() ? m.keep_term : entries.back().term;
  m.frames.reserve(bytes);
  for (const LogEntry& e : entries) {
    m.frame_offsets.push_back(m.frames.size());
    wal::append_entry(&m.frames, e);
  }
  m.bytes = bytes;
  m.done = std::move(done);
  table_.append(std::move(entries));
  enqueue(std::move(m));
  return absl::OkStatus();
}

absl::Status DiskLog::truncate_after(uint64_t index, StorageCallback done) {
  if (auto st = admit(0); !st.ok()) return st;
  if (auto st = table_.check_truncate_after(index); !st.ok()) return st;
  Mutation m;
  m.kind = Mutation::Kind::kTruncate;
  m.keep_index = index;
  m.keep_term = *table_.term(index);
  m.done = std::move(done);
  table_.truncate_after(index);
  enqueue(std::move(m));
  return absl::OkStatus();
}

absl::Status DiskLog::compact(uint64_t index, uint64_t term, StorageCallback done) {
  if (auto st = admit(0); !st.ok()) return st;
  if (auto st = table_.check_compact(index); !st.ok()) return st;
  Mutation m;
  m.kind = Mutation::Kind::kCompact;
  m.keep_index = index;
  m.keep_term = term;
  m.discard_all = table_.compact(index, term);
  m.done = std::move(done);
  enqueue(std::move(m));
  return absl::OkStatus();
}

// ---- the pipeline: one group at a time, completions in issue order ----------

void DiskLog::start_group() {
  kick_.cancel();
  if (group_running_ || queue_.empty() || !status_.ok()) return;
  group_running_ = true;
  if (queue_.front().kind == Mutation::Kind::kHardState) return start_hard_state_group();
  uint64_t bytes = 0;
  group_size_ = 0;
  while (group_size_ < queue_.size()) {
    const Mutation& m = queue_[group_size_];
    // A hard-state save waits for the log group before it and goes alone.
    if (m.kind == Mutation::Kind::kHardState) break;
    if (group_size_ > 0 && bytes + m.frames.size() > options_.group_bytes) break;
    ++group_size_;
    bytes += m.frames.size();
    if (auto st = apply(m); !st.ok()) return fail(st);
  }
  // A group of removals only (compaction) is durable already.
  if (!tail_unsynced_) return finish_group(absl::OkStatus());
  std::weak_ptr<bool> alive = alive_;
  segments_.back().file->sync([this, alive](absl::Status synced) {
    if (alive.expired()) return;
    if (synced.ok()) tail_unsynced_ = false;
    finish_group(std::move(synced));
  });
}

void DiskLog::start_hard_state_group() {
  group_size_ = 1;
  std::weak_ptr<bool> alive = alive_;
  // Temporary file, sync, rename: the file in place is always whole, so a
  // crash leaves the old hard state or the new one, and a bad file in place
  // is corruption.
  write_file_atomically(env_.disk(), hard_state_path(),
                        encode_hard_state(queue_.front().hard_state),
                        [this, alive](absl::Status done) {
                          if (!alive.expired()) finish_group(std::move(done));
                        });
}

void DiskLog::finish_group(absl::Status synced) {
  if (!synced.ok()) return fail(std::move(synced));
  SHOAL_ASSERT(group_running_);
  SHOAL_ASSERT(group_size_ <= queue_.size());
  std::vector<StorageCallback> completions;
  for (size_t i = 0; i < group_size_; ++i) {
    queued_bytes_ -= queue_.front().bytes;
    completions.push_back(std::move(queue_.front().done));
    queue_.pop_front();
  }
  group_running_ = false;
  group_size_ = 0;
  std::weak_ptr<bool> alive = alive_;
  for (StorageCallback& done : completions) {
    if (done) done(absl::OkStatus());
    if (alive.expired()) return;  // a completion destroyed the log
  }
  start_group();
}

void DiskLog::fail(absl::Status status) {
  SHOAL_ASSERT(!status.ok());
  if (status_.ok()) {
    status_ = status;
    env_.log(LogLevel::kError, "storage",
             absl::StrCat("log in ", dir_, " failed and stops: ", status.ToString()));
  }
  std::deque<Mutation> failed;
  failed.swap(queue_);
  queued_bytes_ = 0;
  group_running_ = false;
  group_size_ = 0;
  std::weak_ptr<bool> alive = alive_;
  const absl::Status outcome = status_;
  for (Mutation& m : failed) {
    if (m.done) m.done(outcome);
    if (alive.expired()) return;
  }
}

// ---- disk steps ----------------------------------------------------------------

absl::Status DiskLog::apply(const Mutation& m) {
  switch (m.kind) {
    case Mutation::Kind::kAppend:
      return write_entries(m);
    case Mutation::Kind::kTruncate:
      return cut_after(m.keep_index, m.keep_term);
    case Mutation::Kind::kCompact:
      return compact_files(m);
    case Mutation::Kind::kHardState:
      break;
  }
  SHOAL_ASSERT(false && "hard-state saves are groups of their own");
  return absl::InternalError("hard-state save inside a log group");
}

absl::Status DiskLog::write_entries(const Mutation& m) {
  if (m.keep_index < disk_last_index_) {
    if (auto st = cut_after(m.keep_index, m.keep_term); !st.ok()) return st;
  }
  SHOAL_ASSERT(m.keep_index == disk_last_index_);
  if (m.frames.empty()) return absl::OkStatus();
  if (auto st = ensure_tail_segment(); !st.ok()) return st;
  Segment& s = segments_.back();
  const uint64_t start = s.file->size();
  if (auto st = s.file->append(m.frames); !st.ok()) return st;
  tail_unsynced_ = true;
  for (uint64_t offset : m.frame_offsets) s.entry_offsets.push_back(start + offset);
  disk_last_index_ += m.frame_offsets.size();
  disk_last_term_ = m.last_term;
  SHOAL_ASSERT(s.last_index() == disk_last_index_);
  return absl::OkStatus();
}

absl::Status DiskLog::ensure_tail_segment() {
  if (!segments_.empty()) {
    // A new segment may start only when the newest one is durable in full:
    // then a crash can tear only the newest segment, and damage anywhere
    // else is corruption.
    // BUGGIFY: a short segment (more rotations, more files to recover).
    const uint64_t size = segments_.back().file->size();
    const bool full = size >= options_.segment_bytes || (size > 0 && BUGGIFY(env_));
    if (!full || tail_unsynced_) return absl::OkStatus();
  }
  Segment s;
  s.first_index = disk_last_index_ + 1;
  s.path = segment_path(s.first_index);
  if (env_.disk().exists(s.path)) {
    return absl::InternalError(absl::StrCat("new segment ", s.path, " already exists"));
  }
  auto opened = env_.disk().open(s.path, /*create=*/true);
  if (!opened.ok()) return opened.status();
  s.file = std::move(*opened);
  segments_.push_back(std::move(s));
  std::string header;
  wal::append_segment_header(&header, {segments_.back().first_index, disk_last_term_});
  tail_unsynced_ = true;
  return segments_.back().file->append(header);
}

absl::Status DiskLog::remove_newest_segment() {
  if (auto st = env_.disk().remove(segments_.back().path); !st.ok()) return st;
  segments_.pop_back();
  // Every segment but the newest was synced in full before the next began.
  tail_unsynced_ = false;
  return absl::OkStatus();
}

absl::Status DiskLog::remove_oldest_segment() {
  if (auto st = env_.disk().remove(segments_.front().path); !st.ok()) return st;
  segments_.pop_front();
  return absl::OkStatus();
}

absl::Status DiskLog::cut_after(uint64_t index, uint64_t term) {
  // Later segments go first. Removal is durable at once, so a crash before
  // the cut below is synced leaves a prefix of the log as it was before the
  // truncation — never a log with a hole in it.
  while (!segments_.empty() && segments_.back().first_index > index) {
    if (auto st = remove_newest_segment(); !st.ok()) return st;
  }
  if (!segments_.empty() && segments_.back().last_index() > index) {
    Segment& s = segments_.back();
    const uint64_t keep = index + 1 - s.first_index;
    if (auto st = s.file->truncate(s.entry_offsets[keep]); !st.ok()) return st;
    s.entry_offsets.resize(keep);
    tail_unsynced_ = true;
  }
  disk_last_index_ = index;
  disk_last_term_ = term;
  return absl::OkStatus();
}

absl::Status DiskLog::compact_files(const Mutation& m) {
  if (m.discard_all) {
    while (!segments_.empty()) {
      if (auto st = remove_newest_segment(); !st.ok()) return st;
    }
    // The next segment's header carries the snapshot's (index, term) as its base.
    disk_last_index_ = m.keep_index;
    disk_last_term_ = m.keep_term;
    return absl::OkStatus();
  }
  // A segment holds only compacted entries when the next one starts at or
  // before index + 1. The newest segment always stays: appends go there.
  while (segments_.size() > 1 && segments_[1].first_index <= m.keep_index + 1) {
    if (auto st = remove_oldest_segment(); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace shoal
