// DiskLog::open_dir: reading the hard state and the segments back, cutting a torn
// tail, and refusing anything else that is damaged.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/storage/disk_log.h"
#include "engine/storage/hard_state_file.h"
#include "engine/storage/wal_format.h"

namespace shoal {

absl::StatusOr<std::unique_ptr<DiskLog>> DiskLog::open_dir(Env& env, std::string dir,
                                                       DiskLogOptions options,
                                                       RecoveryReport* report) {
  RecoveryReport local;
  RecoveryReport& r = report != nullptr ? *report : local;
  r = RecoveryReport{};
  std::unique_ptr<DiskLog> log(new DiskLog(env, std::move(dir), options));
  if (auto st = log->recover(r); !st.ok()) {
    env.log(
        LogLevel::kError, "storage",
        absl::StrCat("log in ", log->dir(), " refused: ", st.ToString(), " (", r.summary(), ")"));
    return st;
  }
  env.log(r.torn_tails.empty() ? LogLevel::kInfo : LogLevel::kWarn, "storage",
          absl::StrCat("log in ", log->dir(), " opened: ", r.summary()));
  return log;
}

absl::Status DiskLog::recover(RecoveryReport& report) {
  if (auto st = recover_hard_state(report); !st.ok()) return st;
  return recover_segments(report);
}

absl::Status DiskLog::recover_hard_state(RecoveryReport& report) {
  Disk& disk = env_.disk();
  const std::string path = hard_state_path();
  // A temporary left by a crash was never renamed, so nothing vouched for it.
  const std::string tmp = path + ".tmp";
  if (disk.exists(tmp)) {
    if (auto st = disk.remove(tmp); !st.ok()) return st;
    report.removed_files.push_back(tmp);
  }
  if (!disk.exists(path)) return absl::OkStatus();
  auto opened = disk.open(path, /*create=*/false);
  if (!opened.ok()) return opened.status();
  const File& file = **opened;
  HardState hs;
  auto bytes = read_stably([&file] { return file.read_all(); },
                           [&hs](std::string_view b) { return decode_hard_state(b, &hs); }, path,
                           &report.rereads);
  if (!bytes.ok()) return bytes.status();
  if (!decode_hard_state(*bytes, &hs)) {
    report.corruption = Corruption{path, 0, "hard-state record fails its size, magic or checksum"};
    return corruption_error(*report.corruption);
  }
  hard_state_ = hs;
  return absl::OkStatus();
}

absl::Status DiskLog::recover_segments(RecoveryReport& report) {
  const std::string wal_dir = dir_ + "wal/";
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const std::string& path : env_.disk().list(wal_dir)) {
    uint64_t first = 0;
    if (!wal::parse_segment_name(std::string_view(path).substr(wal_dir.size()), &first) ||
        first == 0) {
      report.corruption = Corruption{path, 0, "unexpected file among the log segments"};
      return corruption_error(*report.corruption);
    }
    found.emplace_back(first, path);
  }
  std::sort(found.begin(), found.end());
  for (size_t i = 0; i < found.size(); ++i) {
    const bool newest = i + 1 == found.size();
    if (auto st = recover_segment(found[i].second, found[i].first, newest, report); !st.ok()) {
      return st;
    }
  }
  disk_last_index_ = table_.last_index();
  disk_last_term_ = table_.base_term();
  if (table_.size() > 0) disk_last_term_ = table_.at(table_.last_index()).term;
  report.segments = segments_.size();
  report.entries = table_.size();
  return absl::OkStatus();
}

absl::Status DiskLog::recover_segment(const std::string& path, uint64_t first_index, bool newest,
                                      RecoveryReport& report) {
  auto opened = env_.disk().open(path, /*create=*/false);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<File> file = std::move(*opened);
  // The clean check keeps its scan, which always belongs to the bytes returned.
  wal::SegmentScan scan;
  auto bytes = read_stably([&file] { return file->read_all(); },
                           [&scan, first_index](std::string_view b) {
                             scan = wal::scan_segment(b, first_index);
                             return scan.end == wal::SegmentScan::End::kClean;
                           },
                           path, &report.rereads);
  if (!bytes.ok()) return bytes.status();
  auto corrupt = [&](uint64_t offset, std::string reason) {
    report.corruption = Corruption{path, offset, std::move(reason)};
    return corruption_error(*report.corruption);
  };
  if (scan.end == wal::SegmentScan::End::kCorrupt) return corrupt(scan.damage_offset, scan.reason);
  if (scan.end == wal::SegmentScan::End::kTorn) {
    // Only the newest segment can have been written without a completed sync.
    if (!newest) {
      return corrupt(scan.damage_offset,
                     absl::StrCat(scan.reason, ", in a segment that is not the newest"));
    }
    report.torn_tails.push_back(TornTail{path, scan.valid_bytes, bytes->size() - scan.valid_bytes});
    // Without its header the file holds nothing a completion vouched for.
    if (!scan.has_header) return env_.disk().remove(path);
    if (auto st = file->truncate(scan.valid_bytes); !st.ok()) return st;
    // The cut is not durable yet; the newest segment must be synced before a
    // new one may start.
    tail_unsynced_ = true;
  }
  if (segments_.empty()) {
    table_.reset(first_index - 1, scan.header.prev_term);
  } else {
    const uint64_t last_term =
        table_.size() > 0 ? table_.at(table_.last_index()).term : table_.base_term();
    if (first_index != table_.last_index() + 1 || scan.header.prev_term != last_term) {
      return corrupt(0, absl::StrCat("segment starts at index ", first_index, " after term ",
                                     scan.header.prev_term, " but the log before it ends at ",
                                     table_.last_index(), " with term ", last_term));
    }
  }
  table_.append(std::move(scan.entries));
  segments_.push_back(Segment{first_index, path, std::move(file), std::move(scan.entry_offsets)});
  return absl::OkStatus();
}

}  // namespace shoal
