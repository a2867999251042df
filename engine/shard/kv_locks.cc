// The lock commands of KvStateMachine (kv_command.h has their contract).
//
// A lock's token is the log index of the acquire that granted it; its lease
// is (ttl_ms, lease_index), renewed by the holder's acquire-again or extend.
// Nothing here reads a clock: a lease ends only when the leader's expiry
// command for exactly that lease reaches the log (lease_keeper.h), or when
// the holder releases it, or an administrator forces it free. So every
// replica frees a lock at the same log index, and a fenced write is judged
// against the lock as of its own index.
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/planted.h"
#include "engine/shard/kv_state_machine.h"

namespace shoal::kv {
namespace {

Result with_lock(Result r, const LockInfo& lock) {
  r.locks.push_back(lock);
  return r;
}

std::string not_holding(const LockInfo* lock, uint64_t token) {
  if (lock == nullptr) return absl::StrCat("token ", token, " does not hold the lock: it is free");
  return absl::StrCat("token ", token, " does not hold the lock: token ", lock->token, " does");
}

}  // namespace

std::optional<Result> KvStateMachine::refuse_by_fence(uint64_t index, const Fence& fence) const {
  const LockInfo* lock = state_.lock(fence.resource);
  if (lock != nullptr && lock->token == fence.token) return std::nullopt;
  if (planted_bug() == PlantedBug::kFenceIgnored) return std::nullopt;
  return make_result(Code::kFenced, index,
                     absl::StrCat("fenced by lock ", fence.resource, ": ", not_holding(lock, fence.token)));
}

Result KvStateMachine::apply_lock(uint64_t index, const Write& write) {
  return std::visit(
      [this, index](const auto& op) -> Result {
        using T = std::decay_t<decltype(op)>;
        const LockInfo* lock = nullptr;
        if constexpr (std::is_same_v<T, LockAcquire> || std::is_same_v<T, LockRelease> ||
                      std::is_same_v<T, LockExtend> || std::is_same_v<T, LockForceRelease> ||
                      std::is_same_v<T, LockExpire>) {
          lock = state_.lock(op.resource);
        }
        if constexpr (std::is_same_v<T, LockAcquire>) {
          if (lock != nullptr && lock->holder != op.holder) {
            return with_lock(make_result(Code::kLocked, index, absl::StrCat("held by ", lock->holder)), *lock);
          }
          // A free lock is granted under this index; the holder's own acquire
          // renews its lease and keeps the token, so a client that lost the
          // answer to its acquire can ask again and learn it.
          LockInfo granted{op.resource, op.holder, lock ? lock->token : index, op.ttl_ms, index};
          state_.set_lock(granted);
          return with_lock(make_result(Code::kOk, index), granted);
        } else if constexpr (std::is_same_v<T, LockRelease>) {
          if (lock == nullptr || lock->token != op.token) {
            return make_result(Code::kNotHolder, index, not_holding(lock, op.token));
          }
          state_.erase_lock(op.resource);
          return make_result(Code::kOk, index);
        } else if constexpr (std::is_same_v<T, LockExtend>) {
          if (lock == nullptr || lock->token != op.token) {
            return make_result(Code::kNotHolder, index, not_holding(lock, op.token));
          }
          LockInfo renewed = *lock;
          renewed.ttl_ms = op.ttl_ms;
          renewed.lease_index = index;
          state_.set_lock(renewed);
          return with_lock(make_result(Code::kOk, index), renewed);
        } else if constexpr (std::is_same_v<T, LockForceRelease>) {
          return make_result(state_.erase_lock(op.resource) ? Code::kOk : Code::kNotFound, index);
        } else if constexpr (std::is_same_v<T, LockExpire>) {
          // Only the lease the leader timed may end: a renewal that reached
          // the log first started a new one, and this expiry is stale.
          if (lock == nullptr || lock->token != op.token || lock->lease_index != op.lease_index) {
            return make_result(Code::kNotHolder, index, "the lease was renewed or ended before it expired");
          }
          KvState::Counters c = state_.counters();
          if (op.leader_time_ms < c.last_expiry_ms) {
            return make_result(Code::kError, index, "an expiry's leader time is before the last expiry's");
          }
          c.last_expiry_ms = op.leader_time_ms;
          state_.set_counters(c);
          state_.erase_lock(op.resource);
          return make_result(Code::kOk, index);
        } else {
          SHOAL_ASSERT(false);  // data writes go to apply_write
          return make_result(Code::kError, index);
        }
      },
      write);
}

Result KvStateMachine::read_locks(const Query& query) const {
  const uint64_t applied = state_.applied_index();
  if (const auto* status = std::get_if<LockStatus>(&query)) {
    const LockInfo* lock = state_.lock(status->resource);
    if (lock == nullptr) return make_result(Code::kNotFound, applied);
    return with_lock(make_result(Code::kOk, applied), *lock);
  }
  const auto& active = std::get<ActiveLocks>(query);
  Result r = make_result(Code::kOk, applied);
  auto it = active.after.empty() ? state_.locks().begin() : state_.locks().upper_bound(active.after);
  for (; it != state_.locks().end() && r.locks.size() < kMaxLocksListed; ++it) r.locks.push_back(it->second);
  return r;
}

}  // namespace shoal::kv
