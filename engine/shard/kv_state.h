// KvState: everything a KvStateMachine replica holds — its applied index, the
// ordered key-value map, the client-session table and the held locks — plus the bookkeeping
// that keeps the fingerprint and the session accounting up to date as the
// state changes, so fingerprint() costs O(1) and check_invariants() can
// recompute all of it from scratch and compare.
//
// KvStateMachine decides *what* changes (the command semantics and the
// exactly-once rules); KvState only stores and accounts. It is a value type:
// restore() builds a whole new KvState and swaps it in, which is how a failed
// restore leaves the old state untouched.
//
// Session expiry. The table holds at most KvOptions::max_sessions sessions
// whose remembered results take at most KvOptions::max_session_bytes (as
// counted by session_cost()). remember() evicts the least recently *applied*
// session — the one whose last sequence applied at the lowest log index —
// until both limits hold. Recency is measured in log indexes, never by a
// clock, so every replica evicts the same sessions at the same entry.
//
// Everything iterated is an ordered (btree) map, so the order in which a
// snapshot lists keys and sessions depends only on their values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/shard/kv_command.h"
#include "engine/shard/txn_table.h"

namespace shoal::kv {

// Each remembered session costs its result's value and message bytes plus
// this much for the entry itself.
inline constexpr size_t kSessionOverheadBytes = 64;
// ...and each lock a result lists, its resource and holder bytes plus this.
inline constexpr size_t kLockOverheadBytes = 32;
// The most one session can cost; a table must be able to hold at least one.
// (A result carries a value or locks, never both: a refused acquire's one
// lock is far below a value's limit.)
inline constexpr size_t kMaxSessionCostBytes = kSessionOverheadBytes + kMaxValueBytes + kMaxMessageBytes;
inline constexpr size_t kDefaultMaxSessions = 16384;
inline constexpr size_t kDefaultMaxSessionBytes = 64 << 20;

// Every replica of one group must be built with equal options: they decide
// which sessions are evicted, and so what state the replicas converge to.
struct KvOptions {
  size_t max_sessions = kDefaultMaxSessions;           // REQUIRES >= 1
  size_t max_session_bytes = kDefaultMaxSessionBytes;  // REQUIRES >= kMaxSessionCostBytes
};

// What a session remembers: its last applied sequence and the result that
// sequence got. result.index is the log index at which it applied, which is
// also the session's recency for eviction.
struct SessionEntry {
  uint64_t sequence = 0;
  Result result;
  bool operator==(const SessionEntry&) const = default;
};

size_t session_cost(const SessionEntry& entry);

class KvState {
 public:
  using Data = absl::btree_map<std::string, std::string>;
  using Sessions = absl::btree_map<uint64_t, SessionEntry>;
  using Locks = absl::btree_map<std::string, LockInfo>;  // by resource
  using UserSessions = absl::btree_map<std::string, SessionInfo>;  // by id

  uint64_t applied_index() const { return applied_index_; }
  // REQUIRES: index >= applied_index().
  void set_applied_index(uint64_t index);

  const Data& data() const { return data_; }
  const Sessions& sessions() const { return sessions_; }
  size_t session_bytes() const { return session_bytes_; }

  // nullptr when the key is absent.
  const std::string* find(const std::string& key) const;
  void put(const std::string& key, std::string value);
  // PROMISES: true when the key existed.
  bool erase(const std::string& key);

  // nullptr when the client has no session.
  const SessionEntry* session(uint64_t client_id) const;
  // Makes `entry` the client's session and then evicts least recently applied
  // sessions until the table is within `options`' limits.
  // REQUIRES: entry.result.index == applied_index(), above every remembered
  // session's index; the options obey KvOptions' requirements.
  // PROMISES: the client's new session is never the one evicted.
  void remember(uint64_t client_id, SessionEntry entry, const KvOptions& options);
  // Adds a session as read from a snapshot, without eviction.
  // PROMISES: false (changing nothing) if the client already has a session or
  // another session applied at the same index.
  bool insert_session(uint64_t client_id, SessionEntry entry);

  const Locks& locks() const { return locks_; }
  // nullptr when the resource's lock is free.
  const LockInfo* lock(const std::string& resource) const;
  // Makes `lock` the lock of lock.resource (granting or renewing it).
  void set_lock(LockInfo lock);
  // PROMISES: true when the lock was held.
  bool erase_lock(const std::string& resource);

  // User sessions (kv_user_sessions.cc), with an index by user.
  const UserSessions& user_sessions() const { return user_sessions_; }
  // nullptr when no live session has that id.
  const SessionInfo* user_session(const std::string& id) const;
  // Makes `session` the live session of session.id (created or renewed).
  // REQUIRES: an existing session of that id belongs to the same user.
  void set_user_session(SessionInfo session);
  // PROMISES: true when the session was live.
  bool erase_user_session(const std::string& id);
  // The live sessions' ids of `user`, ascending.
  std::vector<std::string> user_session_ids(const std::string& user) const;
  size_t user_session_count(const std::string& user) const;
  size_t session_users() const { return users_.size(); }
  const absl::btree_map<std::string, uint64_t>& sessions_per_user() const { return users_; }
  // Counts since the group began, and the leader time of the last expiry
  // (locks' and sessions'): expiries apply with non-decreasing times.
  struct Counters {
    uint64_t created = 0, expired = 0, deleted = 0, last_expiry_ms = 0;
    bool operator==(const Counters&) const = default;
  };
  const Counters& counters() const { return counters_; }
  void set_counters(const Counters& c) { counters_ = c; }

  // Transactions: intents, records, resolutions (txn_table.h; kv_txn.cc).
  const TxnTable& txns() const { return txns_; }
  TxnTable& txns() { return txns_; }

  // A stable hash of the whole state (applied index, data, sessions, locks,
  // user sessions, counters and txns).
  uint64_t fingerprint() const;

  // Recomputes every derived quantity from scratch and checks it and the
  // limits: the invariants checker the simulator may run after each step.
  // Costs time proportional to the state's bytes.
  absl::Status check_invariants(const KvOptions& options) const;

 private:
  absl::Status check_locks() const;
  absl::Status check_user_sessions() const;
  void link_session(uint64_t client_id, SessionEntry entry);
  void unlink_session(Sessions::iterator it);

  uint64_t applied_index_ = 0;
  Data data_;
  Sessions sessions_;
  // Session recency: the log index of each session's last applied sequence,
  // to its client id. The lowest entry is the next to be evicted.
  absl::btree_map<uint64_t, uint64_t> session_by_index_;
  // Sums (mod 2^64) of per-entry hashes: a multiset hash that updates in O(1)
  // per change and does not depend on the order changes were made in.
  uint64_t data_hash_ = 0;
  uint64_t session_hash_ = 0;
  size_t session_bytes_ = 0;
  Locks locks_;
  uint64_t lock_hash_ = 0;
  UserSessions user_sessions_;
  absl::btree_set<std::pair<std::string, std::string>> by_user_;  // (user, id)
  absl::btree_map<std::string, uint64_t> users_;                   // user -> live sessions
  uint64_t user_session_hash_ = 0;
  Counters counters_;
  TxnTable txns_;
};

// The snapshot bytes of a state (kv_snapshot.cc has the layout). Equal states
// give equal bytes.
std::string encode_snapshot(const KvState& state);
// PROMISES: an error (DataLoss) unless `bytes` are a snapshot, intact, of a
// state that satisfies check_invariants(options).
absl::StatusOr<KvState> decode_snapshot(std::string_view bytes, const KvOptions& options);

}  // namespace shoal::kv
