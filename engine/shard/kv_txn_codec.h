// The byte forms of the transaction commands of the KV group (kv_command.h),
// and of the intents, records and resolutions a KvState snapshot holds;
// kv_command.cc hands txn writes here. Internal to engine/shard.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_command.h"

namespace shoal::kv::txn_codec {

// Write tags 17..20 (after the session writes' 10..16).
inline constexpr uint8_t kFirstTag = 17;
inline constexpr uint8_t kLastTag = 20;

// REQUIRES: is_txn_write(write).
void write(Writer& w, const Write& write);
// REQUIRES: kFirstTag <= tag <= kLastTag. The caller checks r.ok() after.
Write read(uint8_t tag, Reader& r);
// REQUIRES: is_txn_write(write).
absl::Status check(const Write& write);
std::string describe(const Write& write);

void write_txn_write(Writer& w, const TxnWrite& t);
// The caller checks r.ok() and check_txn_write after.
TxnWrite read_txn_write(Reader& r);
absl::Status check_txn_write(const TxnWrite& t);
absl::Status check_txn_id(const std::string& txn);

}  // namespace shoal::kv::txn_codec
