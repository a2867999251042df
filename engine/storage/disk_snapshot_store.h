// DiskSnapshotStore: SnapshotStore in files under one directory (the same one
// a DiskLog uses; the names do not collide):
//
//   <dir>snapshot            the latest snapshot, framed (snapshot_format.h)
//   <dir>snapshot.save.tmp   a local save being written
//   <dir>snapshot.recv.tmp   an install being received
//
// Every new snapshot is written to its temporary, synced, verified and renamed
// over "snapshot", so the file in place is always whole: recovery removes
// temporaries (unfinished writes nobody was promised) and treats any damage
// in "snapshot" as corruption — the open fails with DataLoss naming the file
// and the offset of the bad chunk.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/env/env.h"
#include "engine/storage/recovery_report.h"
#include "engine/storage/snapshot_format.h"
#include "engine/storage/snapshot_store.h"

namespace shoal {

struct DiskSnapshotOptions {
  // The chunk size of snapshots saved here.
  // REQUIRES: 0 < chunk_bytes <= kMaxSnapshotChunkBytes.
  uint64_t chunk_bytes = kDefaultSnapshotChunkBytes;
};

class DiskSnapshotStore final : public SnapshotStore {
 public:
  // Opens the store in `dir` ("" or a prefix ending in "/"), verifying the
  // snapshot in place. `report`, when given, is overwritten with what was
  // found. REQUIRES: env outlives the store.
  static absl::StatusOr<std::unique_ptr<DiskSnapshotStore>> open_dir(Env& env, std::string dir,
                                                                 DiskSnapshotOptions options = {},
                                                                 RecoveryReport* report = nullptr);
  ~DiskSnapshotStore() override;
  DiskSnapshotStore(const DiskSnapshotStore&) = delete;
  DiskSnapshotStore& operator=(const DiskSnapshotStore&) = delete;

  absl::Status status() const override { return status_; }
  const std::optional<SnapshotInfo>& latest() const override { return latest_; }
  absl::StatusOr<Snapshot> load() override;
  absl::StatusOr<std::string> read_chunk(uint64_t chunk) override;

  absl::Status save(SnapshotMeta meta, std::string state, StorageCallback done) override;

  absl::Status begin_install(uint64_t index, uint64_t term, uint64_t chunk_count) override;
  absl::Status install_chunk(uint64_t chunk, std::string_view data) override;
  uint64_t next_install_chunk() const override { return install_ ? install_->assembly.next() : 0; }
  bool installing() const override { return install_.has_value(); }
  absl::Status finish_install(StorageCallback done) override;
  void abort_install() override;

  std::string snapshot_path() const { return dir_ + "snapshot"; }

 private:
  // Where the chunks of the file in place are.
  struct Layout {
    uint64_t chunk_bytes = 0;
    uint64_t file_bytes = 0;
  };
  struct Install {
    snapshot_format::ChunkAssembly assembly;
    std::unique_ptr<File> file;
  };

  DiskSnapshotStore(Env& env, std::string dir, DiskSnapshotOptions options);
  absl::Status recover(RecoveryReport& report);
  // Reads a whole snapshot file and unframes it; Unframed::ok says whether it
  // verified, and where it is damaged when not.
  absl::StatusOr<snapshot_format::Unframed> read_verified(const File& file, const std::string& path,
                                                          uint64_t* rereads);
  // Syncs a written temporary, then renames it in place unless a snapshot at
  // least as new landed meanwhile; clears *busy and calls done with the outcome.
  void commit(std::shared_ptr<File> file, std::string tmp, bool* busy, SnapshotInfo info,
              Layout layout, StorageCallback done);
  absl::Status replace_latest(const std::string& tmp, SnapshotInfo info, Layout layout);
  absl::Status fail_corrupt(Corruption c);
  std::string save_tmp_path() const { return dir_ + "snapshot.save.tmp"; }
  std::string recv_tmp_path() const { return dir_ + "snapshot.recv.tmp"; }

  Env& env_;
  const std::string dir_;
  const DiskSnapshotOptions options_;
  absl::Status status_;
  std::optional<SnapshotInfo> latest_;
  Layout layout_;
  std::unique_ptr<File> latest_file_;
  std::optional<Install> install_;
  // A temporary is being synced and renamed; its name may not be reused yet.
  bool saving_ = false;
  bool install_committing_ = false;
  uint64_t rereads_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal
