// The byte formats of snapshots, and the checks on chunks being received —
// shared by DiskSnapshotStore and MemorySnapshotStore so the twins agree.
//
// Image (what is sent, chunk by chunk; integers little-endian):
//   u32 magic "SHSN", u8 version, u64 index, u64 term,
//   varint config length, config, u64 state length, state,
//   u32 CRC32C of every byte before it
//
// Snapshot file (what DiskSnapshotStore keeps): the image's chunks, each as a
// frame  u32 length, u32 CRC32C(chunk), chunk . Every frame but the last holds
// the same number of bytes, so chunk i starts at i * (8 + chunk size) and a
// sender reads and checks one chunk without reading the rest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/storage/snapshot_store.h"

namespace shoal::snapshot_format {

inline constexpr uint64_t kFrameHeaderBytes = 8;

std::string encode_image(const SnapshotMeta& meta, std::string_view state);
// Decodes a whole image; DataLoss says what is wrong with it.
absl::StatusOr<Snapshot> decode_image(std::string_view image);
// Only the header: index, term and config, without copying the state.
absl::StatusOr<SnapshotMeta> decode_image_meta(std::string_view image);

uint64_t chunk_count(uint64_t image_bytes, uint64_t chunk_bytes);

void append_frame(std::string* out, std::string_view chunk);
// The whole image as a snapshot file. REQUIRES: 0 < chunk_bytes <= kMaxSnapshotChunkBytes.
std::string frame_image(std::string_view image, uint64_t chunk_bytes);
// Checks the frame at the start of `bytes` that must hold `expected_len`
// bytes of chunk; on success points *chunk at them.
bool parse_frame(std::string_view bytes, uint64_t expected_len, std::string_view* chunk);

// A snapshot file turned back into its image, or where it is damaged.
struct Unframed {
  bool ok = false;
  std::string image;
  uint64_t chunk_bytes = 0;
  uint64_t chunk_count = 0;
  uint64_t damage_offset = 0;
  std::string reason;
};
Unframed unframe(std::string_view file);

// The receiving side's bookkeeping: which chunk comes next and whether a
// chunk may be taken. Both stores keep one per open install.
class ChunkAssembly {
 public:
  ChunkAssembly(uint64_t index, uint64_t term, uint64_t chunk_count)
      : index_(index), term_(term), chunk_count_(chunk_count) {}

  enum class Verdict { kTake, kRepeat };
  // kTake: write it and call took(); kRepeat: an earlier chunk sent again.
  absl::StatusOr<Verdict> check(uint64_t chunk, std::string_view data) const;
  void took(uint64_t bytes);

  uint64_t index() const { return index_; }
  uint64_t term() const { return term_; }
  uint64_t next() const { return next_; }
  // The size of chunk 0, which every chunk but the last shares.
  uint64_t chunk_bytes() const { return chunk_bytes_; }
  bool complete() const { return next_ == chunk_count_; }
  // Checks a verified image's header against the install as begun.
  absl::Status matches(const SnapshotMeta& meta) const;

 private:
  uint64_t index_;
  uint64_t term_;
  uint64_t chunk_count_;
  uint64_t next_ = 0;
  uint64_t chunk_bytes_ = 0;  // the size of chunk 0
  uint64_t image_bytes_ = 0;
};

}  // namespace shoal::snapshot_format
