// The snapshot format of MetadataStateMachine, and its strict reader.
//
// Layout (integers little-endian; "bytes" is a varint length then the bytes):
//
//   u32 magic "SHMD"  u8 version (1)  varint applied_index
//   bytes encode_shard_map(map)
//   u32 CRC32C of every byte before it
//
// The map's encoding is canonical, so the bytes are a function of the state
// alone. The reader checks the checksum first, then the map's every rule
// (decode_shard_map), and only then replaces the state: a damaged snapshot is
// an error and never a half-restored machine.
#include "absl/strings/str_cat.h"
#include "engine/cluster/metadata_state_machine.h"
#include "engine/core/checksum.h"
#include "engine/core/codec.h"

namespace shoal::cluster {
namespace {

constexpr uint32_t kSnapshotMagic = 0x444d4853;  // "SHMD"
constexpr uint8_t kSnapshotVersion = 1;
constexpr size_t kTrailerBytes = 4;

absl::Status loss(const std::string& what) { return absl::DataLossError(absl::StrCat("metadata snapshot: ", what)); }

}  // namespace

std::string MetadataStateMachine::snapshot() const {
  std::string out;
  Writer w(&out);
  w.u32(kSnapshotMagic);
  w.u8(kSnapshotVersion);
  w.varint(applied_index_);
  w.bytes(encode_shard_map(map_));
  w.u32(crc32c(out));
  return out;
}

absl::Status MetadataStateMachine::restore(std::string_view bytes) {
  if (bytes.size() < kTrailerBytes) return loss("too short to hold a checksum");
  const std::string_view body = bytes.substr(0, bytes.size() - kTrailerBytes);
  Reader trailer(bytes.substr(body.size()));
  if (trailer.u32() != crc32c(body)) return loss("checksum mismatch");
  Reader r(body);
  const uint32_t magic = r.u32();
  const uint8_t version = r.u8();
  const uint64_t applied_index = r.varint();
  std::string_view map_bytes;
  r.bytes_view(&map_bytes);
  if (!r.finished_ok()) return loss("cut short or trailing bytes");
  if (magic != kSnapshotMagic) return loss("bad magic number");
  if (version != kSnapshotVersion) return loss(absl::StrCat("unknown version ", version));
  absl::StatusOr<ShardMap> map = decode_shard_map(map_bytes);
  if (!map.ok()) return loss(std::string(map.status().message()));
  applied_index_ = applied_index;
  map_ = *std::move(map);
  return absl::OkStatus();
}

}  // namespace shoal::cluster
