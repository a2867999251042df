// The byte forms of the session commands, reads and answers of the KV group
// (kv_command.h); kv_command.cc hands session writes and listings here.
// Internal to engine/shard.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_command.h"

namespace shoal::kv::session_codec {

// Write tags 10..16 (after the lock writes' 5..9).
inline constexpr uint8_t kFirstTag = 10;
inline constexpr uint8_t kLastTag = 16;

// REQUIRES: is_session_write(write).
void write(Writer& w, const Write& write);
// REQUIRES: kFirstTag <= tag <= kLastTag. The caller checks r.ok() after.
Write read(uint8_t tag, Reader& r);
// REQUIRES: is_session_write(write).
absl::Status check(const Write& write);
std::string describe(const Write& write);

void write_info(Writer& w, const SessionInfo& s);
SessionInfo read_info(Reader& r);
void write_stats(Writer& w, const SessionStats& s);
SessionStats read_stats(Reader& r);
absl::Status check_info(const SessionInfo& s);
absl::Status check_name(const char* what, const std::string& name);

}  // namespace shoal::kv::session_codec
