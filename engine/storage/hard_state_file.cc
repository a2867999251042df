#include "engine/storage/hard_state_file.h"

#include "engine/core/checksum.h"
#include "engine/core/codec.h"

namespace shoal {
namespace {

constexpr uint32_t kHardStateMagic = 0x53484853;  // "SHHS"
constexpr uint8_t kHardStateVersion = 2;

}  // namespace

std::string encode_hard_state(const HardState& hs) {
  Writer w;
  w.u32(kHardStateMagic);
  w.u8(kHardStateVersion);
  w.u64(hs.term);
  w.u32(hs.vote);
  w.u64(hs.vote_floor);
  w.u32(crc32c(w.buffer()));
  return w.take();
}

bool decode_hard_state(std::string_view bytes, HardState* out) {
  if (bytes.size() != kHardStateFileBytes && bytes.size() != kHardStateFileBytesV1) return false;
  Reader r(bytes);
  const uint32_t magic = r.u32();
  const uint8_t version = r.u8();
  const uint8_t want_version = bytes.size() == kHardStateFileBytes ? kHardStateVersion : 1;
  HardState hs;
  hs.term = r.u64();
  hs.vote = r.u32();
  if (want_version == kHardStateVersion) hs.vote_floor = r.u64();
  const uint32_t crc = r.u32();
  if (!r.finished_ok() || magic != kHardStateMagic || version != want_version) return false;
  if (crc != crc32c(bytes.substr(0, bytes.size() - 4))) return false;
  *out = hs;
  return true;
}

}  // namespace shoal
