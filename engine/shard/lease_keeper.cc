#include "engine/shard/lease_keeper.h"

#include "engine/core/planted.h"

namespace shoal::kv {

std::vector<LockExpire> LeaseKeeper::due(const KvState& state, TimePoint now) {
  std::vector<LockExpire> out;
  // Leases that ended (released, expired, forced) are forgotten.
  for (auto it = seen_.begin(); it != seen_.end();) {
    const LockInfo* lock = state.lock(it->first);
    if (lock == nullptr || lock->token != it->second.token) {
      it = seen_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [resource, lock] : state.locks()) {
    Seen& seen = seen_[resource];
    if (seen.token != lock.token || seen.lease_index != lock.lease_index) {
      // A lease this leader has not timed yet (new, renewed, or inherited
      // from an earlier leader): its time starts now.
      seen = Seen{lock.token, lock.lease_index, now, {}, false};
      continue;
    }
    Duration ttl = milliseconds(static_cast<int64_t>(lock.ttl_ms));
    if (planted_bug() == PlantedBug::kLockExpiresEarly) ttl = ttl / 2;
    if (now - seen.first_seen < ttl) continue;
    if (seen.proposed && now - seen.proposed_at < kExpiryRetryInterval) continue;
    if (out.size() >= kMaxExpiriesPerLook) continue;
    seen.proposed = true;
    seen.proposed_at = now;
    out.push_back(LockExpire{resource, lock.token, lock.lease_index, static_cast<uint64_t>(to_ms(now.time_since_epoch()))});
  }
  return out;
}

}  // namespace shoal::kv
