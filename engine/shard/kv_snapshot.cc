// The snapshot format of KvState, and its strict reader.
//
// Layout (integers little-endian; "bytes" is a varint length then the bytes):
//
//   u32 magic "SHKV"  u8 version (4)  varint applied_index
//   varint key_count      key_count x (bytes key  bytes value), keys ascending
//   varint session_count  session_count x (u64 client_id  varint sequence
//                                          bytes encode_result(result)),
//                         client ids ascending
//   varint lock_count     lock_count x (bytes resource  bytes holder  varint token
//                                       varint ttl_ms  varint lease_index),
//                         resources ascending (version 2; a version 1
//                         snapshot has no lock section and holds no locks)
//   varint user_session_count  user_session_count x session info (kv_session_codec.cc),
//                         ids ascending; then varint created, expired, deleted,
//                         last_expiry_ms (version 3; earlier versions have
//                         neither: no user sessions, zero counts)
//   txn section           intents, records, resolved txns (txn_table.cc; version
//                         4; earlier versions hold no txn state)
//   u32 CRC32C of every byte before it
//
// Both maps are ordered, so the bytes are a function of the state alone. The
// reader checks the checksum first, then every structural rule (order, no
// duplicates, limits, the session table's invariants) and builds a fresh
// KvState, so a damaged snapshot is an error and never a half-restored state.
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/core/checksum.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_session_codec.h"
#include "engine/shard/kv_state.h"

namespace shoal::kv {
namespace {

constexpr uint32_t kSnapshotMagic = 0x564b4853;  // "SHKV"
constexpr uint8_t kSnapshotVersion = 4;
constexpr uint8_t kSnapshotVersionWithoutTxns = 3;
constexpr uint8_t kSnapshotVersionWithoutSessions = 2;
constexpr uint8_t kSnapshotVersionWithoutLocks = 1;
constexpr size_t kTrailerBytes = 4;

absl::Status loss(const std::string& what) {
  return absl::DataLossError(absl::StrCat("kv snapshot: ", what));
}

absl::Status read_data(Reader& r, KvState& state) {
  const uint64_t count = r.varint();
  std::string previous;
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    std::string key = r.bytes();
    std::string value = r.bytes();
    if (!r.ok()) break;
    if (i > 0 && key <= previous) return loss("keys are not in ascending order");
    state.put(key, std::move(value));
    previous = std::move(key);
  }
  if (!r.ok()) return loss("the data section is cut short");
  return absl::OkStatus();
}

absl::Status read_sessions(Reader& r, KvState& state) {
  const uint64_t count = r.varint();
  uint64_t previous = 0;
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    const uint64_t client_id = r.u64();
    SessionEntry entry;
    entry.sequence = r.varint();
    std::string_view result_bytes;
    if (!r.bytes_view(&result_bytes)) break;
    if (i > 0 && client_id <= previous) return loss("sessions are not in ascending client order");
    absl::StatusOr<Result> result = decode_result(result_bytes);
    if (!result.ok())
      return loss(absl::StrCat("a session's result: ", std::string(result.status().message())));
    entry.result = *std::move(result);
    if (!state.insert_session(client_id, std::move(entry))) {
      return loss("two sessions applied at the same log index");
    }
    previous = client_id;
  }
  if (!r.ok()) return loss("the session section is cut short");
  return absl::OkStatus();
}

absl::Status read_locks(Reader& r, KvState& state) {
  const uint64_t count = r.varint();
  std::string previous;
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    LockInfo l = read_lock_info(r);
    if (!r.ok()) break;
    if (i > 0 && l.resource <= previous) return loss("locks are not in ascending resource order");
    // set_lock asserts what a lock must be; a snapshot is outside input, so
    // it is checked here first and refused, never asserted on.
    if (l.token == 0 || l.lease_index < l.token || l.lease_index > state.applied_index() || l.resource.empty()) {
      return loss(absl::StrCat("lock ", l.resource, " has impossible indexes"));
    }
    previous = l.resource;
    state.set_lock(std::move(l));
  }
  if (!r.ok()) return loss("the lock section is cut short");
  return absl::OkStatus();
}

absl::Status read_user_sessions(Reader& r, KvState& state) {
  const uint64_t count = r.varint();
  std::string previous;
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    SessionInfo u = session_codec::read_info(r);
    if (!r.ok()) break;
    if (i > 0 && u.id <= previous) return loss("user sessions are not in ascending id order");
    if (auto st = session_codec::check_info(u); !st.ok() || u.lease_index > state.applied_index()) {
      return loss(absl::StrCat("user session ", u.id, " is impossible"));
    }
    previous = u.id;
    state.set_user_session(std::move(u));
  }
  KvState::Counters c;
  for (uint64_t* v : {&c.created, &c.expired, &c.deleted, &c.last_expiry_ms}) *v = r.varint();
  if (!r.ok()) return loss("the user session section is cut short");
  state.set_counters(c);
  return absl::OkStatus();
}

}  // namespace

std::string encode_snapshot(const KvState& state) {
  std::string out;
  Writer w(&out);
  w.u32(kSnapshotMagic);
  w.u8(kSnapshotVersion);
  w.varint(state.applied_index());
  w.varint(state.data().size());
  for (const auto& [key, value] : state.data()) {
    w.bytes(key);
    w.bytes(value);
  }
  w.varint(state.sessions().size());
  for (const auto& [client_id, entry] : state.sessions()) {
    w.u64(client_id);
    w.varint(entry.sequence);
    w.bytes(encode_result(entry.result));
  }
  w.varint(state.locks().size());
  for (const auto& [resource, l] : state.locks()) write_lock_info(w, l);
  w.varint(state.user_sessions().size());
  for (const auto& [id, u] : state.user_sessions()) session_codec::write_info(w, u);
  const KvState::Counters& c = state.counters();
  for (uint64_t v : {c.created, c.expired, c.deleted, c.last_expiry_ms}) w.varint(v);
  state.txns().encode(w);
  w.u32(crc32c(out));
  return out;
}

absl::StatusOr<KvState> decode_snapshot(std::string_view bytes, const KvOptions& options) {
  if (bytes.size() < kTrailerBytes) return loss("too short to hold a checksum");
  const std::string_view body = bytes.substr(0, bytes.size() - kTrailerBytes);
  Reader trailer(bytes.substr(body.size()));
  if (trailer.u32() != crc32c(body)) return loss("checksum mismatch");

  Reader r(body);
  const uint32_t magic = r.u32();
  const uint8_t version = r.u8();
  KvState state;
  state.set_applied_index(r.varint());
  if (!r.ok()) return loss("the header is cut short");
  if (magic != kSnapshotMagic) return loss("bad magic number");
  if (version != kSnapshotVersion && version != kSnapshotVersionWithoutTxns &&
      version != kSnapshotVersionWithoutSessions && version != kSnapshotVersionWithoutLocks) {
    return loss(absl::StrCat("unknown version ", version));
  }
  if (auto st = read_data(r, state); !st.ok()) return st;
  if (auto st = read_sessions(r, state); !st.ok()) return st;
  if (version >= kSnapshotVersionWithoutSessions) {
    if (auto st = read_locks(r, state); !st.ok()) return st;
  }
  if (version >= kSnapshotVersionWithoutTxns) {
    if (auto st = read_user_sessions(r, state); !st.ok()) return st;
  }
  if (version >= kSnapshotVersion) {
    if (auto st = TxnTable::decode(r, state.applied_index(), &state.txns()); !st.ok()) return st;
  }
  if (!r.finished_ok()) return loss("trailing bytes after the last section");
  if (auto st = state.check_invariants(options); !st.ok()) {
    return loss(std::string(st.message()));
  }
  return state;
}

}  // namespace shoal::kv
