// Shared by the lock tests of the KV state machine: short constructors for
// lock commands, fenced writes, locks and results, and a machine wrapper that applies through
// the byte encoding (as Raft does) and checks the invariants after every step.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state_machine.h"

namespace shoal::kv::lock_test {

inline Command plain(Write w) { return Command{std::nullopt, std::move(w), std::nullopt}; }
inline Command in_session(uint64_t client, uint64_t seq, Write w) {
  return Command{Session{client, seq}, std::move(w), std::nullopt};
}
inline Command fenced(const std::string& resource, uint64_t token, Write w) {
  return Command{std::nullopt, std::move(w), Fence{resource, token}};
}
inline Command fenced_in_session(uint64_t client, uint64_t seq, const std::string& resource, uint64_t token,
                                 Write w) {
  return Command{Session{client, seq}, std::move(w), Fence{resource, token}};
}

inline Command acquire(const std::string& resource, const std::string& holder, uint64_t ttl_ms = 1000) {
  return plain(LockAcquire{resource, holder, ttl_ms});
}
inline Command release(const std::string& resource, uint64_t token) { return plain(LockRelease{resource, token}); }
inline Command extend(const std::string& resource, uint64_t token, uint64_t ttl_ms = 1000) {
  return plain(LockExtend{resource, token, ttl_ms});
}
inline Command force_release(const std::string& resource) { return plain(LockForceRelease{resource}); }
inline Command expire(const std::string& resource, uint64_t token, uint64_t lease_index) {
  return plain(LockExpire{resource, token, lease_index, 0});
}

inline LockInfo lock_info(const std::string& resource, const std::string& holder, uint64_t token,
                          uint64_t ttl_ms, uint64_t lease_index) {
  return LockInfo{resource, holder, token, ttl_ms, lease_index};
}
inline Result with_locks(Code code, uint64_t index, std::string message, std::vector<LockInfo> locks) {
  return Result{code, std::nullopt, index, std::move(message), std::move(locks)};
}

// A machine driven through apply()'s bytes; every apply must give a result
// that decodes, and leave a state that passes check_invariants.
class LockMachine {
 public:
  Result at(uint64_t index, const Command& c) {
    absl::StatusOr<Result> r = decode_result(m_.apply(index, encode_command(c)));
    EXPECT_TRUE(r.ok()) << describe(c) << ": " << r.status();
    const absl::Status invariants = m_.check_invariants();
    EXPECT_TRUE(invariants.ok()) << "after " << describe(c) << ": " << invariants;
    return r.ok() ? *std::move(r) : Result{};
  }
  Result read(const Query& q) const {
    absl::StatusOr<Result> r = decode_result(m_.query(encode_query(q)));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : Result{};
  }
  const LockInfo* lock(const std::string& resource) const { return m_.state().lock(resource); }
  const std::string* value(const std::string& key) const { return m_.state().find(key); }
  KvStateMachine& machine() { return m_; }
  const KvStateMachine& machine() const { return m_; }

 private:
  KvStateMachine m_;
};

}  // namespace shoal::kv::lock_test
