#include "engine/storage/snapshot_format.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/checksum.h"
#include "engine/core/codec.h"

namespace shoal::snapshot_format {
namespace {

constexpr uint32_t kImageMagic = 0x4e534853;  // "SHSN"
constexpr uint8_t kImageVersion = 1;
constexpr uint64_t kImageTrailerBytes = 4;

// Reads the header fields; leaves `r` at the state bytes.
absl::StatusOr<SnapshotMeta> read_header(Reader& r, uint64_t* state_bytes) {
  const uint32_t magic = r.u32();
  const uint8_t version = r.u8();
  SnapshotMeta meta;
  meta.index = r.u64();
  meta.term = r.u64();
  std::string_view config;
  r.bytes_view(&config);
  *state_bytes = r.u64();
  if (!r.ok()) return absl::DataLossError("snapshot image header is cut short");
  if (magic != kImageMagic) return absl::DataLossError("snapshot image has a bad magic number");
  if (version != kImageVersion) {
    return absl::DataLossError(absl::StrCat("snapshot image has unknown version ", version));
  }
  meta.config.assign(config);
  return meta;
}

absl::Status check_trailer(std::string_view image) {
  if (image.size() < kImageTrailerBytes) return absl::DataLossError("snapshot image is too short");
  const std::string_view body = image.substr(0, image.size() - kImageTrailerBytes);
  Reader t(image.substr(body.size()));
  if (t.u32() != crc32c(body)) return absl::DataLossError("snapshot image checksum mismatch");
  return absl::OkStatus();
}

}  // namespace

std::string encode_image(const SnapshotMeta& meta, std::string_view state) {
  std::string out;
  out.reserve(state.size() + meta.config.size() + 64);
  Writer w(&out);
  w.u32(kImageMagic);
  w.u8(kImageVersion);
  w.u64(meta.index);
  w.u64(meta.term);
  w.bytes(meta.config);
  w.u64(state.size());
  w.raw(state);
  w.u32(crc32c(out));
  return out;
}

absl::StatusOr<Snapshot> decode_image(std::string_view image) {
  if (auto st = check_trailer(image); !st.ok()) return st;
  Reader r(image.substr(0, image.size() - kImageTrailerBytes));
  uint64_t state_bytes = 0;
  auto meta = read_header(r, &state_bytes);
  if (!meta.ok()) return meta.status();
  std::string_view state;
  if (!r.raw(state_bytes, &state) || !r.finished_ok()) {
    return absl::DataLossError("snapshot image state length does not match the image");
  }
  return Snapshot{std::move(*meta), std::string(state)};
}

absl::StatusOr<SnapshotMeta> decode_image_meta(std::string_view image) {
  if (auto st = check_trailer(image); !st.ok()) return st;
  Reader r(image.substr(0, image.size() - kImageTrailerBytes));
  uint64_t state_bytes = 0;
  auto meta = read_header(r, &state_bytes);
  if (meta.ok() && r.remaining() != state_bytes) {
    return absl::DataLossError("snapshot image state length does not match the image");
  }
  return meta;
}

uint64_t chunk_count(uint64_t image_bytes, uint64_t chunk_bytes) {
  return (image_bytes + chunk_bytes - 1) / chunk_bytes;
}

void append_frame(std::string* out, std::string_view chunk) {
  Writer w(out);
  w.u32(static_cast<uint32_t>(chunk.size()));
  w.u32(crc32c(chunk));
  w.raw(chunk);
}

std::string frame_image(std::string_view image, uint64_t chunk_bytes) {
  SHOAL_ASSERT(chunk_bytes > 0 && chunk_bytes <= kMaxSnapshotChunkBytes);
  std::string out;
  out.reserve(image.size() + chunk_count(image.size(), chunk_bytes) * kFrameHeaderBytes);
  for (uint64_t at = 0; at < image.size(); at += chunk_bytes) {
    append_frame(&out, image.substr(at, chunk_bytes));
  }
  return out;
}

bool parse_frame(std::string_view bytes, uint64_t expected_len, std::string_view* chunk) {
  Reader r(bytes);
  const uint32_t len = r.u32();
  const uint32_t crc = r.u32();
  std::string_view data;
  if (!r.ok() || len != expected_len || !r.raw(len, &data)) return false;
  if (crc32c(data) != crc) return false;
  *chunk = data;
  return true;
}

Unframed unframe(std::string_view file) {
  Unframed u;
  uint64_t offset = 0;
  auto damage = [&](std::string reason) {
    u.damage_offset = offset;
    u.reason = std::move(reason);
    return u;
  };
  bool short_frame_seen = false;
  while (offset < file.size()) {
    Reader r(file.substr(offset));
    const uint64_t len = r.u32();
    if (!r.ok()) return damage("chunk frame header cut short");
    if (len == 0 || len > kMaxSnapshotChunkBytes)
      return damage("chunk frame has an impossible length");
    if (u.chunk_bytes == 0) u.chunk_bytes = len;
    // Only the last frame may be shorter than the first, and none longer.
    if (len > u.chunk_bytes || short_frame_seen) return damage("chunk frames of unequal sizes");
    short_frame_seen = len < u.chunk_bytes;
    std::string_view chunk;
    if (!parse_frame(file.substr(offset), len, &chunk)) return damage("chunk checksum mismatch");
    u.image.append(chunk);
    ++u.chunk_count;
    offset += kFrameHeaderBytes + len;
  }
  if (u.chunk_count == 0) return damage("empty snapshot file");
  offset = 0;
  if (auto meta = decode_image_meta(u.image); !meta.ok()) {
    return damage(std::string(meta.status().message()));
  }
  u.ok = true;
  return u;
}

absl::StatusOr<ChunkAssembly::Verdict> ChunkAssembly::check(uint64_t chunk,
                                                            std::string_view data) const {
  if (chunk < next_) return Verdict::kRepeat;
  if (chunk > next_) {
    return absl::OutOfRangeError(absl::StrCat("chunk ", chunk, " arrived; expected ", next_));
  }
  if (complete()) return absl::OutOfRangeError("every chunk was received already");
  if (data.empty() || data.size() > kMaxSnapshotChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat("chunk of ", data.size(), " bytes"));
  }
  const bool last = chunk + 1 == chunk_count_;
  if (chunk > 0 && (data.size() > chunk_bytes_ || (!last && data.size() != chunk_bytes_))) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk ", chunk, " has ", data.size(), " bytes; chunks hold ", chunk_bytes_));
  }
  if (image_bytes_ + data.size() > kMaxSnapshotBytes) {
    return absl::ResourceExhaustedError("snapshot image exceeds kMaxSnapshotBytes");
  }
  return Verdict::kTake;
}

void ChunkAssembly::took(uint64_t bytes) {
  if (next_ == 0) chunk_bytes_ = bytes;
  image_bytes_ += bytes;
  ++next_;
}

absl::Status ChunkAssembly::matches(const SnapshotMeta& meta) const {
  if (meta.index != index_ || meta.term != term_) {
    return absl::DataLossError(absl::StrCat("received image covers (", meta.index, ", ", meta.term,
                                            ") but the install began for (", index_, ", ", term_,
                                            ")"));
  }
  return absl::OkStatus();
}

}  // namespace shoal::snapshot_format
