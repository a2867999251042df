// The byte format of the hard-state file ("<dir>hardstate").
//
//   u32 magic "SHHS", u8 version (2), u64 term, u32 vote, u64 vote floor,
//   u32 CRC32C of the bytes before
// Version 1 files (no vote floor: it reads as 0) are still read.
//
// The file is replaced whole by write-temporary, sync, rename, so the file in
// place was complete and synced when it was renamed: any mismatch in it is
// corruption, never a torn write.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/storage/log_storage.h"

namespace shoal {

inline constexpr uint64_t kHardStateFileBytes = 4 + 1 + 8 + 4 + 8 + 4;
inline constexpr uint64_t kHardStateFileBytesV1 = 4 + 1 + 8 + 4 + 4;

std::string encode_hard_state(const HardState& hs);
// False unless `bytes` is exactly one well-formed record with a valid checksum.
bool decode_hard_state(std::string_view bytes, HardState* out);

}  // namespace shoal
