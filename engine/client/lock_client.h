// LockClient: distributed locks with fencing tokens, on a KV group's lock
// table (kv_command.h has the commands, kv_locks.cc their rules).
//
// acquire() asks for a lock and, while another holder has it, asks again
// after a short random pause until it is granted or `wait` runs out. A grant
// carries the fencing token (the log index that granted it) and the moment,
// by this client's clock, until which the lease is certainly still ours:
//
//   valid_until = start + ttl * (1 - drift_max) / (1 + drift_max)
//
// where `start` is when this client sent the acquire (or extend) that began
// the lease. The store frees a lock only when its leader has seen the lease
// for ttl by its own clock, and it first saw it after we sent the request;
// with both clocks within the drift bound, ttl of the leader's time is at
// least ttl*(1-drift)/(1+drift) of ours. So a holder that stops using the
// lock at valid_until never overlaps the next holder — unless it is paused
// between checking valid() and acting, which is why every write a holder
// makes under the lock should carry the fence (fenced_write): the store
// refuses it (kFenced) once the token no longer holds the lock.
//
// Each operation ends with an outcome as KvClient's do (kOk: the store
// answered, see `code`; kFail: it certainly did not happen; kUnknown: it may
// have). `done` runs later on the event loop, exactly once. One operation at
// a time, on a KvClient that is not busy.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/client/kv_client.h"
#include "engine/env/env.h"
#include "engine/shard/kv_command.h"

namespace shoal {

struct LockGrant {
  std::string resource;
  uint64_t token = 0;
  Duration ttl{0};
  TimePoint valid_until{};  // this client's clock
};

struct LockClientOptions {
  double clock_drift_max = 0.05;  // the cluster's bound (RaftOptions::clock_drift_max)
  Duration retry_min = milliseconds(20), retry_max = milliseconds(200);  // while the lock is held
};

struct LockResult {
  OpOutcome outcome = OpOutcome::kFail;
  kv::Code code = kv::Code::kOk;        // outcome kOk: the store's answer
  std::optional<LockGrant> grant;       // acquire / extend granted
  std::vector<kv::LockInfo> locks;      // status, active; acquire refused: the holder
  uint64_t index = 0;                   // the log index of the command's entry; a read's: the index it was served at
  std::string error;                    // kFail / kUnknown, or the store's message
  int attempts = 0;                     // acquire: how many times it asked
};
using LockCallback = std::function<void(const LockResult&)>;

class LockClient {
 public:
  // `holder` names this client in the lock table (1..kMaxHolderBytes bytes).
  LockClient(Env& env, KvClient& kv, std::string holder, LockClientOptions options = {});
  ~LockClient();
  LockClient(const LockClient&) = delete;
  LockClient& operator=(const LockClient&) = delete;

  // REQUIRES: ttl of 1 ms .. kv::kMaxLockTtlMs; !busy().
  void acquire(std::string resource, Duration ttl, Duration wait, LockCallback done);
  void release(const LockGrant& grant, LockCallback done);
  // A new lease of `ttl` from now; the grant's token stays.
  void extend(const LockGrant& grant, Duration ttl, LockCallback done);
  void status(std::string resource, LockCallback done);
  // Every held lock (up to kv::kMaxLocksListed).
  void active(LockCallback done);
  // An administrator frees a lock whoever holds it (code kNotFound if free).
  void force_release(std::string resource, LockCallback done);
  // A data write that applies only while `grant` holds its lock.
  void fenced_write(const LockGrant& grant, kv::Write write, KvCallback done);
  // Acquires, runs `body` with the grant, and releases when the body calls
  // `finished` — and on every path: if acquiring fails, `body` never runs
  // and `done` gets the refusal; otherwise `done` gets the release's answer.
  // REQUIRES: body calls finished exactly once (later calls do nothing).
  using Body = std::function<void(const LockGrant&, std::function<void()> finished)>;
  void with_lock(std::string resource, Duration ttl, Duration wait, Body body, LockCallback done);

  // Whether the lease is certainly still this client's (see above).
  bool valid(const LockGrant& grant) const { return env_.now() < grant.valid_until; }
  bool busy() const { return kv_.busy() || waiting_.armed(); }
  const std::string& holder() const { return holder_; }

 private:
  struct Acquiring {
    std::string resource;
    Duration ttl{0};
    TimePoint give_up_at{};
    int attempts = 0;
    LockCallback done;
  };
  void try_acquire(std::shared_ptr<Acquiring> a);
  TimePoint valid_until(TimePoint start, Duration ttl) const;
  // Turns a KV answer into a LockResult (grant when the store granted).
  LockResult result_of(const KvOpResult& r, TimePoint start, Duration ttl) const;
  void write(kv::Write w, Duration ttl, LockCallback done);
  void read(kv::Query q, LockCallback done);

  Env& env_;
  KvClient& kv_;
  std::string holder_;
  LockClientOptions options_;
  TimerSlot waiting_;
};

}  // namespace shoal
