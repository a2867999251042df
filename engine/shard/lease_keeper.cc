#include "engine/shard/lease_keeper.h"

#include <algorithm>

#include "engine/core/planted.h"

namespace shoal::kv {
namespace {

// The leader time an expiry carries: its clock, but never before the last
// expiry applied, so expiries reach the log with non-decreasing times even
// when a new leader's clock is behind the old one's.
uint64_t expiry_time_ms(const KvState& state, TimePoint now) {
  const auto local = static_cast<uint64_t>(std::max<int64_t>(0, to_ms(now.time_since_epoch())));
  return std::max(local, state.counters().last_expiry_ms);
}

}  // namespace

bool LeaseKeeper::look(Seen& seen, uint64_t token, uint64_t lease_index, uint64_t ttl_ms, TimePoint now,
                       bool may_propose) {
  if (seen.token != token || seen.lease_index != lease_index) {
    // A lease this leader has not timed yet (new, renewed, or inherited
    // from an earlier leader): its time starts now.
    seen = Seen{token, lease_index, now, {}, false};
    return false;
  }
  Duration ttl = milliseconds(static_cast<int64_t>(ttl_ms));
  if (planted_bug() == PlantedBug::kLockExpiresEarly) ttl = ttl / 2;
  if (now - seen.first_seen < ttl) return false;
  if (seen.proposed && now - seen.proposed_at < kExpiryRetryInterval) return false;
  if (!may_propose) return false;  // due, but this look is full: the next one proposes it
  seen.proposed = true;
  seen.proposed_at = now;
  return true;
}

std::vector<Write> LeaseKeeper::due(const KvState& state, TimePoint now) {
  std::vector<Write> out;
  // Leases that ended (released, expired, deleted, forced) are forgotten.
  absl::erase_if(locks_, [&state](const auto& entry) {
    const LockInfo* lock = state.lock(entry.first);
    return lock == nullptr || lock->token != entry.second.token;
  });
  absl::erase_if(sessions_, [&state](const auto& entry) {
    const SessionInfo* s = state.user_session(entry.first);
    return s == nullptr || s->created_index != entry.second.token;
  });
  const uint64_t time_ms = expiry_time_ms(state, now);
  for (const auto& [resource, lock] : state.locks()) {
    if (look(locks_[resource], lock.token, lock.lease_index, lock.ttl_ms, now, out.size() < kMaxExpiriesPerLook)) {
      out.push_back(LockExpire{resource, lock.token, lock.lease_index, time_ms});
    }
  }
  for (const auto& [id, s] : state.user_sessions()) {
    if (look(sessions_[id], s.created_index, s.lease_index, s.ttl_ms, now, out.size() < kMaxExpiriesPerLook)) {
      out.push_back(SessionExpire{id, s.lease_index, time_ms});
    }
  }
  return out;
}

}  // namespace shoal::kv
