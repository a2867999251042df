#include "engine/client/lock_client.h"

#include <algorithm>
#include <memory>

#include "engine/core/assert.h"

namespace shoal {

LockClient::LockClient(Env& env, KvClient& kv, std::string holder, LockClientOptions options)
    : env_(env), kv_(kv), holder_(std::move(holder)), options_(options), waiting_(env.clock()) {
  SHOAL_ASSERT(!holder_.empty() && holder_.size() <= kv::kMaxHolderBytes);
  SHOAL_ASSERT(options_.clock_drift_max >= 0 && options_.clock_drift_max < 0.5);
}

LockClient::~LockClient() = default;

TimePoint LockClient::valid_until(TimePoint start, Duration ttl) const {
  const double rho = options_.clock_drift_max;
  const auto safe = Duration(static_cast<int64_t>(static_cast<double>(ttl.count()) * (1 - rho) / (1 + rho)));
  return start + safe;
}

LockResult LockClient::result_of(const KvOpResult& r, TimePoint start, Duration ttl) const {
  LockResult out;
  out.outcome = r.outcome == OpOutcome::kAccepted ? OpOutcome::kUnknown : r.outcome;
  out.error = r.error;
  out.index = r.index;
  if (r.outcome != OpOutcome::kOk) return out;
  if (out.index == 0) out.index = r.result.index;  // a read: the index it was served at
  out.code = r.result.code;
  out.locks = r.result.locks;
  if (!r.result.message.empty()) out.error = r.result.message;
  if (r.result.code == kv::Code::kError) out.outcome = OpOutcome::kFail;
  if (r.result.code == kv::Code::kOk && ttl > Duration(0) && r.result.locks.size() == 1) {
    const kv::LockInfo& l = r.result.locks.front();
    out.grant = LockGrant{l.resource, l.token, ttl, valid_until(start, ttl)};
  }
  return out;
}

void LockClient::write(kv::Write w, Duration ttl, LockCallback done) {
  const TimePoint start = env_.now();
  kv_.write(std::move(w), [this, start, ttl, done = std::move(done)](const KvOpResult& r) {
    done(result_of(r, start, ttl));
  });
}

void LockClient::read(kv::Query q, LockCallback done) {
  kv_.query(std::move(q), [this, done = std::move(done)](const KvOpResult& r) {
    done(result_of(r, env_.now(), Duration(0)));
  });
}

void LockClient::acquire(std::string resource, Duration ttl, Duration wait, LockCallback done) {
  SHOAL_ASSERT(!busy());
  SHOAL_ASSERT(ttl >= milliseconds(1) && ttl <= milliseconds(kv::kMaxLockTtlMs));
  auto a = std::make_shared<Acquiring>(Acquiring{std::move(resource), ttl, env_.now() + wait, 0, std::move(done)});
  try_acquire(std::move(a));
}

void LockClient::try_acquire(std::shared_ptr<Acquiring> a) {
  a->attempts++;
  const uint64_t ttl_ms = static_cast<uint64_t>(std::max<int64_t>(1, to_ms(a->ttl)));
  write(kv::LockAcquire{a->resource, holder_, ttl_ms}, a->ttl, [this, a](const LockResult& r) {
    LockResult out = r;
    out.attempts = a->attempts;
    // Held by another: ask again after a pause, while the wait lasts.
    if (r.outcome == OpOutcome::kOk && r.code == kv::Code::kLocked && env_.now() < a->give_up_at) {
      const Duration pause = std::min(env_.random().range(options_.retry_min, options_.retry_max),
                                      a->give_up_at - env_.now());
      waiting_.arm(pause, [this, a] { try_acquire(a); });
      return;
    }
    a->done(out);
  });
}

void LockClient::release(const LockGrant& grant, LockCallback done) {
  write(kv::LockRelease{grant.resource, grant.token}, Duration(0), std::move(done));
}

void LockClient::extend(const LockGrant& grant, Duration ttl, LockCallback done) {
  const uint64_t ttl_ms = static_cast<uint64_t>(std::max<int64_t>(1, to_ms(ttl)));
  write(kv::LockExtend{grant.resource, grant.token, ttl_ms}, ttl, std::move(done));
}

void LockClient::status(std::string resource, LockCallback done) {
  read(kv::LockStatus{std::move(resource), 0}, std::move(done));
}

void LockClient::active(LockCallback done) { read(kv::ActiveLocks{"", 0}, std::move(done)); }

void LockClient::force_release(std::string resource, LockCallback done) {
  write(kv::LockForceRelease{std::move(resource)}, Duration(0), std::move(done));
}

void LockClient::fenced_write(const LockGrant& grant, kv::Write write, KvCallback done) {
  kv_.write(std::move(write), kv::Fence{grant.resource, grant.token}, std::move(done));
}

void LockClient::with_lock(std::string resource, Duration ttl, Duration wait, Body body, LockCallback done) {
  acquire(std::move(resource), ttl, wait,
          [this, body = std::move(body), done = std::move(done)](const LockResult& r) mutable {
            if (!r.grant) return done(r);
            auto released = std::make_shared<bool>(false);
            const LockGrant grant = *r.grant;
            body(grant, [this, grant, released, done]() {
              if (*released) return;
              *released = true;
              release(grant, done);
            });
          });
}

}  // namespace shoal
