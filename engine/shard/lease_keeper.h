// LeaseKeeper: the group leader's timer for lock and session leases.
//
// A lease must end at the same log index on every replica, so no replica
// frees a lock by reading its clock; the leader times leases and proposes an
// expiry (kv::LockExpire) for each that ran out, and the lock is freed when
// that command applies. The keeper is the leader's memory of when it first
// saw each lease — the (token, lease_index) the lock table holds — by its own
// clock: a lease is due ttl_ms after that moment. First sight is never
// earlier than the command that started the lease reached the log, which is
// after the holder sent it, so a holder that times its lease from its send,
// shortened by the clock-drift bound, stops using it before the store frees
// it. A new leader sees every lease for the first time when it takes over,
// so a failover only lengthens leases, never shortens them.
//
// Not replicated state: each replica's keeper is reset when it is not leader.
// Single-threaded, on the replica's event loop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "engine/core/time.h"
#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state.h"

namespace shoal::kv {

// At most this many expiries are proposed per look; the rest wait a tick.
inline constexpr size_t kMaxExpiriesPerLook = 64;
// An expiry proposed but not yet applied is proposed again after this long
// (its proposal may have been lost with a leadership change).
inline constexpr Duration kExpiryRetryInterval = milliseconds(500);

class LeaseKeeper {
 public:
  // The expiries (LockExpire, SessionExpire) due at local time `now` for
  // the locks and sessions `state` holds, remembering first sight of every
  // lease it has not seen before. An expiry carries the leader's time, or
  // the last applied expiry's if that is later (expiry times never go back
  // in log order).
  std::vector<Write> due(const KvState& state, TimePoint now);
  // Forgets every first sighting (this replica stopped or started leading).
  void reset() {
    locks_.clear();
    sessions_.clear();
  }
  size_t watched() const { return locks_.size() + sessions_.size(); }

 private:
  struct Seen {
    uint64_t token = 0;
    uint64_t lease_index = 0;
    TimePoint first_seen{};
    TimePoint proposed_at{};
    bool proposed = false;
  };
  // Whether to propose the expiry of the lease (token, lease_index) now
  // (never when !may_propose); starts timing it if it is new. A session's
  // token is its created index.
  static bool look(Seen& seen, uint64_t token, uint64_t lease_index, uint64_t ttl_ms, TimePoint now,
                   bool may_propose);

  absl::btree_map<std::string, Seen> locks_;     // by resource
  absl::btree_map<std::string, Seen> sessions_;  // by session id
};

}  // namespace shoal::kv
