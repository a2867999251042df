// Locks on KvStateMachine over random histories: random lock commands
// (grants, refusals, renewals, releases by right and wrong tokens, forced
// releases, fresh and stale expiries) mixed with fenced and unfenced data
// writes, in and out of sessions with retries, are answered exactly as a
// plain model answers them — a std::map of locks, a std::map of data, a
// std::map of sessions — on every result and every lock read; the final lock
// table is the model's; the invariants hold after every step; and a snapshot
// of the end state restores to an equal fingerprint.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state_machine.h"
#include "tests/shard/kv_test_util.h"

namespace shoal::kv {
namespace {

using kv_test::SessionPicker;

// The lock and fence rules of kv_command.h restated over plain maps. Sessions
// are never evicted: the histories stay far below the default table limits.
class LockModel {
 public:
  Result apply(uint64_t index, const Command& c) {
    if (c.fence && !is_data_write(c.write)) return outcome(Code::kError, index);
    if (!c.session) return guarded(index, c);
    auto it = sessions_.find(c.session->client_id);
    if (it != sessions_.end()) {
      if (c.session->sequence == it->second.first) return it->second.second;
      if (c.session->sequence < it->second.first) return outcome(Code::kStaleSequence, index);
    } else if (c.session->sequence != kFirstSequence) {
      return outcome(Code::kSessionExpired, index);
    }
    Result r = guarded(index, c);
    sessions_[c.session->client_id] = {c.session->sequence, r};
    return r;
  }

  Result status(uint64_t applied, const std::string& resource) const {
    auto it = locks_.find(resource);
    if (it == locks_.end()) return outcome(Code::kNotFound, applied);
    return outcome(Code::kOk, applied, {it->second});
  }

  Result active(uint64_t applied, const std::string& after) const {
    Result r = outcome(Code::kOk, applied);
    for (const auto& [resource, lock] : locks_) {
      if (after.empty() || resource > after) r.locks.push_back(lock);
    }
    return r;
  }

  const std::map<std::string, LockInfo>& locks() const { return locks_; }
  const std::map<std::string, std::string>& data() const { return data_; }

 private:
  static Result outcome(Code code, uint64_t index, std::vector<LockInfo> locks = {}) {
    return Result{code, std::nullopt, index, {}, std::move(locks)};
  }

  Result guarded(uint64_t index, const Command& c) {
    if (c.fence) {
      auto it = locks_.find(c.fence->resource);
      if (it == locks_.end() || it->second.token != c.fence->token) return outcome(Code::kFenced, index);
    }
    if (is_data_write(c.write)) return data_write(index, c.write);
    return lock_write(index, c.write);
  }

  Result data_write(uint64_t index, const Write& w) {
    Result r = outcome(Code::kOk, index);
    if (const auto* put = std::get_if<Put>(&w)) {
      data_[put->key] = put->value;
    } else if (const auto* del = std::get_if<Delete>(&w)) {
      if (data_.erase(del->key) == 0) r.code = Code::kNotFound;
    } else if (const auto* cas = std::get_if<Cas>(&w)) {
      std::optional<std::string> current;
      if (data_.contains(cas->key)) current = data_[cas->key];
      if (current == cas->expected) {
        data_[cas->key] = cas->value;
      } else {
        r.code = Code::kCasFailed;
        r.value = current;
      }
    } else {
      data_[std::get<Append>(w).key] += std::get<Append>(w).suffix;
    }
    return r;
  }

  Result lock_write(uint64_t index, const Write& w) {
    if (const auto* a = std::get_if<LockAcquire>(&w)) {
      auto it = locks_.find(a->resource);
      if (it != locks_.end() && it->second.holder != a->holder) return outcome(Code::kLocked, index, {it->second});
      const uint64_t token = it == locks_.end() ? index : it->second.token;
      locks_[a->resource] = LockInfo{a->resource, a->holder, token, a->ttl_ms, index};
      return outcome(Code::kOk, index, {locks_[a->resource]});
    }
    if (const auto* f = std::get_if<LockForceRelease>(&w)) {
      return outcome(locks_.erase(f->resource) == 1 ? Code::kOk : Code::kNotFound, index);
    }
    if (const auto* rel = std::get_if<LockRelease>(&w)) {
      if (!held_by(rel->resource, rel->token)) return outcome(Code::kNotHolder, index);
      locks_.erase(rel->resource);
      return outcome(Code::kOk, index);
    }
    if (const auto* ext = std::get_if<LockExtend>(&w)) {
      if (!held_by(ext->resource, ext->token)) return outcome(Code::kNotHolder, index);
      locks_[ext->resource].ttl_ms = ext->ttl_ms;
      locks_[ext->resource].lease_index = index;
      return outcome(Code::kOk, index, {locks_[ext->resource]});
    }
    const LockExpire& e = std::get<LockExpire>(w);
    if (!held_by(e.resource, e.token) || locks_[e.resource].lease_index != e.lease_index) {
      return outcome(Code::kNotHolder, index);
    }
    locks_.erase(e.resource);
    return outcome(Code::kOk, index);
  }

  bool held_by(const std::string& resource, uint64_t token) const {
    auto it = locks_.find(resource);
    return it != locks_.end() && it->second.token == token;
  }

  std::map<std::string, LockInfo> locks_;
  std::map<std::string, std::string> data_;
  std::map<uint64_t, std::pair<uint64_t, Result>> sessions_;  // client -> (sequence, result)
};

// ---- Generators (inside a property only) -------------------------------------------

// A uniform choice among 100 whatever the test case's size (inRange scales
// with size, so small cases would hold only the first kinds of command).
int percent() { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(0, 100)); }

const std::vector<std::string>& resources() {
  static const std::vector<std::string> r = {"r1", "r2", "r3"};
  return r;
}

// Commands built from what the history has granted so far, so that tokens
// and lease indexes are right often enough to exercise every rule.
class LockCommands {
 public:
  explicit LockCommands(const LockModel& model) : model_(model) {}

  Command next(uint64_t index, SessionPicker& sessions) {
    const int kind = percent();
    const std::string resource = *rc::gen::elementOf(resources());
    Command c{sessions.pick(), Put{}, std::nullopt};
    if (kind < 25) {
      c.write = LockAcquire{resource, *rc::gen::element<std::string>("ann", "bob", "cy"), ttl()};
    } else if (kind < 35) {
      c.write = LockRelease{resource, token(resource, index)};
    } else if (kind < 45) {
      c.write = LockExtend{resource, token(resource, index), ttl()};
    } else if (kind < 50) {
      c.write = LockForceRelease{resource};
    } else if (kind < 60) {
      c.write = expiry(resource, index);
    } else {
      c.write = kv_test::any_write();
      if (kind < 88) c.fence = Fence{resource, token(resource, index)};
    }
    // A fence on a lock command, now and then: an error that changes nothing.
    if (!is_data_write(c.write) && percent() < 4) c.fence = Fence{resource, token(resource, index)};
    return c;
  }

  void saw(const Result& r) {
    for (const LockInfo& l : r.locks) granted_.push_back(l.token);
  }

 private:
  static uint64_t ttl() { return *rc::gen::element<uint64_t>(1, 250, kMaxLockTtlMs); }

  // The holder's token most often, else one granted before, else any.
  uint64_t token(const std::string& resource, uint64_t index) {
    auto held = model_.locks().find(resource);
    const int pick = percent();
    if (pick < 50 && held != model_.locks().end()) return held->second.token;
    if (pick < 80 && !granted_.empty()) return *rc::gen::elementOf(granted_);
    return *rc::gen::inRange<uint64_t>(1, index + 2);
  }

  // The current lease most often, else a stale or never-started one.
  LockExpire expiry(const std::string& resource, uint64_t index) {
    auto held = model_.locks().find(resource);
    if (held != model_.locks().end() && percent() < 60) {
      return LockExpire{resource, held->second.token, held->second.lease_index, index * 10};
    }
    const uint64_t t = token(resource, index);
    return LockExpire{resource, t, t + *rc::gen::inRange<uint64_t>(0, 4), index * 10};
  }

  const LockModel& model_;
  std::vector<uint64_t> granted_;
};

bool same(const Result& machine, const Result& model) {
  if (!kv_test::same_outcome(machine, model) || machine.locks != model.locks) return false;
  // Every refusal explains itself.
  const bool explains = machine.code == Code::kLocked || machine.code == Code::kNotHolder ||
                        machine.code == Code::kFenced || kv_test::needs_message(machine.code);
  return !explains || !machine.message.empty();
}

Result decoded(const std::string& bytes) {
  absl::StatusOr<Result> r = decode_result(bytes);
  RC_ASSERT(r.ok());
  return *std::move(r);
}

void check_reads(const KvStateMachine& m, const LockModel& model) {
  const std::string resource = *rc::gen::elementOf(resources());
  const uint64_t applied = m.applied_index();
  RC_ASSERT(same(decoded(m.query(encode_query(LockStatus{resource, applied}))), model.status(applied, resource)));
  const std::string after = *rc::gen::element<std::string>("", "r1", "r2", "r25", "r3");
  RC_ASSERT(same(decoded(m.query(encode_query(ActiveLocks{after, 0}))), model.active(applied, after)));
  RC_ASSERT(decoded(m.query(encode_query(LockStatus{resource, applied + 1}))).code == Code::kBehind);
}

RC_GTEST_PROP(KvLockProperty, LocksAndFencesMatchAPlainModel, ()) {
  KvStateMachine m;
  LockModel model;
  LockCommands commands(model);
  SessionPicker sessions(3);
  const int steps = *rc::gen::inRange(1, 150);
  uint64_t index = 0;
  for (int i = 0; i < steps; ++i) {
    index += *rc::gen::inRange<uint64_t>(1, 3);
    const Command c = commands.next(index, sessions);
    const Result got = decoded(m.apply(index, encode_command(c)));
    const Result want = model.apply(index, c);
    RC_LOG() << "@" << index << " " << describe(c) << " -> " << describe(got) << "\n";
    RC_ASSERT(same(got, want));
    commands.saw(got);
    RC_ASSERT(m.check_invariants().ok());
    check_reads(m, model);
  }
  std::map<std::string, LockInfo> table(m.state().locks().begin(), m.state().locks().end());
  RC_ASSERT(table == model.locks());
  std::map<std::string, std::string> data(m.state().data().begin(), m.state().data().end());
  RC_ASSERT(data == model.data());

  KvStateMachine restored;
  RC_ASSERT(restored.restore(m.snapshot()).ok());
  RC_ASSERT(restored.fingerprint() == m.fingerprint());
  RC_ASSERT(restored.state().locks() == m.state().locks());
}

}  // namespace
}  // namespace shoal::kv
