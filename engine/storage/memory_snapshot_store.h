// MemorySnapshotStore: the in-memory twin of DiskSnapshotStore (STYLE rule 3),
// for Raft unit tests that need no disk. Same image format, same chunking,
// same checks on incoming chunks (snapshot_format.h), same completion rules;
// a save or finished install becomes latest() when its completion runs, one
// turn of the clock later. Nothing survives the object.
#pragma once

#include <optional>
#include <string>

#include "engine/env/clock.h"
#include "engine/storage/snapshot_format.h"
#include "engine/storage/snapshot_store.h"

namespace shoal {

class MemorySnapshotStore final : public SnapshotStore {
 public:
  // REQUIRES: clock outlives the store; 0 < chunk_bytes <= kMaxSnapshotChunkBytes.
  explicit MemorySnapshotStore(Clock& clock, uint64_t chunk_bytes = kDefaultSnapshotChunkBytes);

  absl::Status status() const override { return absl::OkStatus(); }
  const std::optional<SnapshotInfo>& latest() const override { return latest_; }
  absl::StatusOr<Snapshot> load() override;
  absl::StatusOr<std::string> read_chunk(uint64_t chunk) override;

  absl::Status save(SnapshotMeta meta, std::string state, StorageCallback done) override;

  absl::Status begin_install(uint64_t index, uint64_t term, uint64_t chunk_count) override;
  absl::Status install_chunk(uint64_t chunk, std::string_view data) override;
  uint64_t next_install_chunk() const override { return install_ ? install_->assembly.next() : 0; }
  bool installing() const override { return install_.has_value(); }
  absl::Status finish_install(StorageCallback done) override;
  void abort_install() override { install_.reset(); }

 private:
  struct Install {
    snapshot_format::ChunkAssembly assembly;
    std::string image;
  };
  // Makes `image` the latest one turn later, unless a newer one landed first.
  void commit(std::string image, SnapshotInfo info, uint64_t chunk_bytes, bool* busy,
              StorageCallback done);

  Clock& clock_;
  const uint64_t chunk_bytes_;
  std::optional<SnapshotInfo> latest_;
  std::string latest_image_;
  uint64_t latest_chunk_bytes_ = 0;
  std::optional<Install> install_;
  bool saving_ = false;
  bool install_committing_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal
