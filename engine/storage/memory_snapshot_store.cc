#include "engine/storage/memory_snapshot_store.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"

namespace shoal {
namespace {
namespace sf = snapshot_format;
}  // namespace

MemorySnapshotStore::MemorySnapshotStore(Clock& clock, uint64_t chunk_bytes)
    : clock_(clock), chunk_bytes_(chunk_bytes) {
  SHOAL_ASSERT(chunk_bytes > 0 && chunk_bytes <= kMaxSnapshotChunkBytes);
}

absl::StatusOr<Snapshot> MemorySnapshotStore::load() {
  if (!latest_) return absl::NotFoundError("no snapshot");
  return sf::decode_image(latest_image_);
}

absl::StatusOr<std::string> MemorySnapshotStore::read_chunk(uint64_t chunk) {
  if (!latest_ || chunk >= latest_->chunk_count) {
    return absl::OutOfRangeError(absl::StrCat("no chunk ", chunk, " in the latest snapshot"));
  }
  return latest_image_.substr(chunk * latest_chunk_bytes_, latest_chunk_bytes_);
}

absl::Status MemorySnapshotStore::save(SnapshotMeta meta, std::string state, StorageCallback done) {
  if (saving_) return absl::UnavailableError("a snapshot save is already in progress");
  if (latest_ && meta.index <= latest_->meta.index) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot at ", meta.index, " is not newer than the latest, at ", latest_->meta.index));
  }
  if (meta.config.size() > kMaxSnapshotConfigBytes) {
    return absl::InvalidArgumentError("snapshot config exceeds kMaxSnapshotConfigBytes");
  }
  std::string image = sf::encode_image(meta, state);
  if (image.size() > kMaxSnapshotBytes) {
    return absl::ResourceExhaustedError("snapshot image exceeds kMaxSnapshotBytes");
  }
  saving_ = true;
  SnapshotInfo info{std::move(meta), image.size(), sf::chunk_count(image.size(), chunk_bytes_)};
  commit(std::move(image), std::move(info), chunk_bytes_, &saving_, std::move(done));
  return absl::OkStatus();
}

void MemorySnapshotStore::commit(std::string image, SnapshotInfo info, uint64_t chunk_bytes,
                                 bool* busy, StorageCallback done) {
  std::weak_ptr<bool> alive = alive_;
  clock_.after(Duration(0), [this, alive, image = std::move(image), info = std::move(info),
                             chunk_bytes, busy, done = std::move(done)]() mutable {
    if (alive.expired()) return;
    *busy = false;
    absl::Status outcome;
    if (latest_ && info.meta.index <= latest_->meta.index) {
      outcome = absl::FailedPreconditionError(absl::StrCat(
          "snapshot at ", info.meta.index, " was overtaken by one at ", latest_->meta.index));
    } else {
      latest_image_ = std::move(image);
      latest_ = std::move(info);
      latest_chunk_bytes_ = chunk_bytes;
    }
    if (done) done(outcome);
  });
}

absl::Status MemorySnapshotStore::begin_install(uint64_t index, uint64_t term,
                                                uint64_t chunk_count) {
  if (latest_ && index <= latest_->meta.index) {
    return absl::FailedPreconditionError(
        absl::StrCat("install at ", index, " is stale: latest is ", latest_->meta.index));
  }
  if (chunk_count == 0 || chunk_count > kMaxSnapshotChunks) {
    return absl::InvalidArgumentError(absl::StrCat("install of ", chunk_count, " chunks"));
  }
  if (install_committing_) {
    return absl::UnavailableError("the previous install is still being made durable");
  }
  install_.emplace(Install{sf::ChunkAssembly(index, term, chunk_count), {}});
  return absl::OkStatus();
}

absl::Status MemorySnapshotStore::install_chunk(uint64_t chunk, std::string_view data) {
  if (!install_) return absl::FailedPreconditionError("no snapshot install is open");
  auto verdict = install_->assembly.check(chunk, data);
  if (!verdict.ok()) return verdict.status();
  if (*verdict == sf::ChunkAssembly::Verdict::kRepeat) return absl::OkStatus();
  install_->image.append(data);
  install_->assembly.took(data.size());
  return absl::OkStatus();
}

absl::Status MemorySnapshotStore::finish_install(StorageCallback done) {
  if (!install_) return absl::FailedPreconditionError("no snapshot install is open");
  if (!install_->assembly.complete()) {
    return absl::FailedPreconditionError(
        absl::StrCat("install is missing chunks from ", install_->assembly.next()));
  }
  auto meta = sf::decode_image_meta(install_->image);
  absl::Status verified = meta.status();
  if (verified.ok()) verified = install_->assembly.matches(*meta);
  if (!verified.ok()) {
    install_.reset();
    return verified;
  }
  Install received = std::move(*install_);
  install_.reset();
  const uint64_t chunk_count = received.assembly.next();
  const uint64_t image_bytes = received.image.size();
  // Chunks are served again the way they arrived: the sender's chunk size.
  const uint64_t chunk_bytes = received.assembly.chunk_bytes();
  install_committing_ = true;
  commit(std::move(received.image), SnapshotInfo{std::move(*meta), image_bytes, chunk_count},
         chunk_bytes, &install_committing_, std::move(done));
  return absl::OkStatus();
}

}  // namespace shoal
