#include "engine/txn/txn_client.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/planted.h"
#include "engine/core/random.h"

namespace shoal::txn {
namespace {

// Each incarnation's sessions get client ids of their own (a new session
// must never reuse an old one's sequence numbers).
constexpr uint64_t kIncarnationStride = uint64_t{1} << 40;
constexpr uint64_t kGroupHashSeed = 0x7478'6e67'7270'0001;  // "txngrp"

// A buffered write: a put or delete (base), then appends on top.
struct Effect {
  enum class Base { kNone, kPut, kDelete } base = Base::kNone;
  std::string value;     // kPut: the value put
  std::string appended;  // every append since, in order
};

std::optional<std::string> apply_effect(const std::optional<std::string>& stored, const Effect& e) {
  std::optional<std::string> v = stored;
  if (e.base == Effect::Base::kPut) v = e.value;
  if (e.base == Effect::Base::kDelete) v.reset();
  if (!e.appended.empty()) v = v.value_or("") + e.appended;
  return v;
}

kv::TxnWrite to_write(const std::string& key, const Effect& e) {
  switch (e.base) {
    case Effect::Base::kPut: return {key, kv::TxnWriteKind::kPut, e.value + e.appended};
    case Effect::Base::kDelete:
      if (e.appended.empty()) return {key, kv::TxnWriteKind::kDelete, ""};
      return {key, kv::TxnWriteKind::kPut, e.appended};
    case Effect::Base::kNone: return {key, kv::TxnWriteKind::kAppend, e.appended};
  }
  SHOAL_ASSERT(false);
  return {};
}

}  // namespace

const char* to_string(TxnOp::Kind kind) {
  switch (kind) {
    case TxnOp::Kind::kGet: return "get";
    case TxnOp::Kind::kPut: return "put";
    case TxnOp::Kind::kDelete: return "delete";
    case TxnOp::Kind::kAppend: return "append";
  }
  return "?";
}

const char* to_string(TxnOutcome outcome) {
  switch (outcome) {
    case TxnOutcome::kCommitted: return "committed";
    case TxnOutcome::kAborted: return "aborted";
    case TxnOutcome::kUnknown: return "unknown";
  }
  return "?";
}

const char* to_string(TxnError error) {
  switch (error) {
    case TxnError::kNone: return "none";
    case TxnError::kConflict: return "conflict";
    case TxnError::kStale: return "stale_read";
    case TxnError::kPushedAside: return "pushed_aside";
    case TxnError::kUnavailable: return "unavailable";
    case TxnError::kBadRequest: return "bad_request";
  }
  return "?";
}

uint32_t group_of(std::string_view key, const std::vector<uint32_t>& groups) {
  SHOAL_ASSERT(!groups.empty());
  return groups[stable_hash(key.data(), key.size(), kGroupHashSeed) % groups.size()];
}

// One running transaction.
struct TxnClient::Txn {
  std::string id;
  std::vector<TxnOp> ops;
  TxnCallback done;
  TimePoint deadline;
  std::map<std::string, std::optional<std::string>> read;  // store values read, by key
  std::map<std::string, Effect> effects;                   // buffered writes, by key
  std::vector<std::optional<std::string>> answers;         // per op
  uint32_t record_group = 0;
  std::vector<uint32_t> order;     // the groups it touches, the record's first
  std::vector<Prepare> prepares;   // per group of `order`: how its prepare went
  size_t waiting = 0;              // commands in flight that a join waits for
  bool commit_asked = false;
  bool decided = false;            // the record is decided (by this coordinator's command)
  bool all_resolved = true;        // every resolve sent was applied
};

TxnClient::TxnClient(Env& env, TxnClientOptions options)
    : env_(env), options_(std::move(options)), rpc_(std::make_unique<Rpc>(env)),
      alive_(std::make_shared<char>(0)), timer_(env.clock()) {
  SHOAL_ASSERT(!options_.groups.empty());
  SHOAL_ASSERT(std::set<uint32_t>(options_.groups.begin(), options_.groups.end()).size() == options_.groups.size());
  SHOAL_ASSERT(options_.client_id != kv::kNoClient);
}

TxnClient::~TxnClient() = default;

KvClient& TxnClient::kv(uint32_t group) {
  auto it = kvs_.find(group);
  if (it != kvs_.end()) return *it->second;
  KvClientOptions o;
  o.nodes = options_.nodes;
  o.group = group;
  o.client_id = options_.client_id + incarnation_ * kIncarnationStride;
  if (o.client_id == kv::kNoClient) o.client_id = 1;
  o.attempt_timeout = options_.attempt_timeout;
  o.operation_timeout = options_.operation_timeout;
  return *kvs_.emplace(group, std::make_unique<KvClient>(env_, o, *rpc_)).first->second;
}

void TxnClient::write(uint32_t group, kv::Write w, std::function<void(const KvOpResult&)> next) {
  std::weak_ptr<const void> alive = alive_;
  kv(group).write(std::move(w), [alive, next = std::move(next)](const KvOpResult& r) {
    if (!alive.expired()) next(r);
  });
}

void TxnClient::query(uint32_t group, kv::Query q, std::function<void(const KvOpResult&)> next) {
  std::weak_ptr<const void> alive = alive_;
  kv(group).query(std::move(q), [alive, next = std::move(next)](const KvOpResult& r) {
    if (!alive.expired()) next(r);
  });
}

void TxnClient::crash() {
  txn_.reset();
  kvs_.clear();  // their pending calls are never heard of again
  timer_.cancel();
  alive_ = std::make_shared<char>(0);
  first_met_.clear();
  ++incarnation_;
}

void TxnClient::run(std::vector<TxnOp> ops, TxnCallback done) {
  SHOAL_ASSERT(!busy());
  txn_ = std::make_unique<Txn>();
  txn_->id = absl::StrCat("t", options_.client_id, ".", incarnation_, ".", ++txn_count_);
  txn_->ops = std::move(ops);
  txn_->done = std::move(done);
  txn_->deadline = env_.clock().now() + options_.operation_timeout;
  txn_->answers.resize(txn_->ops.size());
  std::weak_ptr<const void> alive = alive_;
  timer_.arm(Duration(0), [this, alive] {
    if (alive.expired()) return;
    for (size_t i = 0; i < txn_->ops.size(); ++i) {
      const TxnOp& o = txn_->ops[i];
      if (o.key.empty() || o.key.size() > kv::kMaxKeyBytes || o.value.size() > kv::kMaxValueBytes) {
        return finish(TxnOutcome::kAborted, TxnError::kBadRequest, "operation " + std::to_string(i) + " has a bad key or value");
      }
    }
    step(0);
  });
}

bool TxnClient::past_deadline() const { return env_.clock().now() >= txn_->deadline; }

// Runs the operations from `op` on: writes are buffered, gets read the store
// once per key.
void TxnClient::step(size_t op) {
  for (; op < txn_->ops.size(); ++op) {
    const TxnOp& o = txn_->ops[op];
    Effect& e = txn_->effects[o.key];
    switch (o.kind) {
      case TxnOp::Kind::kPut: e = Effect{Effect::Base::kPut, o.value, ""}; continue;
      case TxnOp::Kind::kDelete: e = Effect{Effect::Base::kDelete, "", ""}; continue;
      case TxnOp::Kind::kAppend: e.appended += o.value; continue;
      case TxnOp::Kind::kGet: break;
    }
    const bool has_base = e.base != Effect::Base::kNone;
    if (!has_base && e.appended.empty()) txn_->effects.erase(o.key);  // `e` is gone from here on
    const bool known = has_base || txn_->read.contains(o.key);
    if (!known) {
      // The store's value is needed (a get, or a get after appends only).
      return read_key(o.key, [this, op] { step(op); });
    }
    auto it = txn_->effects.find(o.key);
    const std::optional<std::string> stored = txn_->read.contains(o.key) ? txn_->read[o.key] : std::nullopt;
    txn_->answers[op] = it == txn_->effects.end() ? stored : apply_effect(stored, it->second);
  }
  commit();
}

void TxnClient::read_key(const std::string& key, Then then) {
  if (past_deadline()) return finish(TxnOutcome::kAborted, TxnError::kUnavailable, "the txn's reads ran out of time");
  const uint32_t group = group_of(key, options_.groups);
  query(group, kv::Get{key, 0}, [this, key, group, then](const KvOpResult& r) {
    if (r.outcome != OpOutcome::kOk) {
      return finish(TxnOutcome::kAborted, TxnError::kUnavailable, "reading " + key + ": " + r.error);
    }
    switch (r.result.code) {
      case kv::Code::kOk: txn_->read[key] = r.result.value; return then();
      case kv::Code::kNotFound: txn_->read[key] = std::nullopt; return then();
      case kv::Code::kTxnIntent: {
        auto ref = kv::decode_intent_ref(r.result.value.value_or(""));
        SHOAL_ASSERT(ref.ok());  // the group's own answer
        ++stats_.intents_met;
        return resolve_blocker(*ref, group, [this, key, then] { read_key(key, then); });
      }
      default:
        return finish(TxnOutcome::kAborted, TxnError::kBadRequest,
                      absl::StrCat("reading ", key, ": ", kv::describe(r.result)));
    }
  });
}

std::map<uint32_t, TxnClient::Part> TxnClient::parts() const {
  std::map<uint32_t, Part> parts;
  for (const auto& [key, value] : txn_->read) {
    std::optional<uint64_t> hash;
    if (value) hash = kv::txn_value_hash(*value);
    parts[group_of(key, options_.groups)].reads.push_back(kv::TxnRead{key, hash});
  }
  for (const auto& [key, effect] : txn_->effects) {
    parts[group_of(key, options_.groups)].writes.push_back(to_write(key, effect));
  }
  return parts;
}

void TxnClient::commit() {
  std::map<uint32_t, Part> by_group = parts();
  if (by_group.empty()) return finish(TxnOutcome::kCommitted, TxnError::kNone, "");
  if (by_group.size() == 1) {
    auto& [group, part] = *by_group.begin();
    txn_->order = {group};
    kv::TxnCommitLocal local{std::move(part.reads), std::move(part.writes)};
    return write(group, std::move(local), [this, group](const KvOpResult& r) {
      if (r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kOk) {
        return finish(TxnOutcome::kCommitted, TxnError::kNone, "");
      }
      if (r.outcome == OpOutcome::kUnknown || r.outcome == OpOutcome::kAccepted) {
        return finish(TxnOutcome::kUnknown, TxnError::kUnavailable, "the commit was sent and not answered: " + r.error);
      }
      if (r.outcome == OpOutcome::kFail) return finish(TxnOutcome::kAborted, TxnError::kUnavailable, r.error);
      if (r.result.code == kv::Code::kTxnIntent) {
        auto ref = kv::decode_intent_ref(r.result.value.value_or(""));
        SHOAL_ASSERT(ref.ok());
        ++stats_.intents_met;
        // Help the holder along so the caller's retry finds the key free.
        return abort(TxnError::kConflict, "a key is held by txn " + ref->txn, Blocker{*ref, group});
      }
      return abort(r.result.code == kv::Code::kTxnStale ? TxnError::kStale : TxnError::kBadRequest,
                   kv::describe(r.result));
    });
  }
  txn_->record_group = group_of(txn_->ops.front().key, options_.groups);
  if (!by_group.contains(txn_->record_group)) txn_->record_group = by_group.begin()->first;
  txn_->order.push_back(txn_->record_group);
  for (const auto& [group, part] : by_group) {
    if (group != txn_->record_group) txn_->order.push_back(group);
  }
  prepare_all(std::move(by_group));
}

// Prepares in every group at once. The record's group need not come first:
// an intent met before its record exists is aborted at the record (which
// creates it ABORTED), and the coordinator's own prepare there then fails.
void TxnClient::prepare_all(std::map<uint32_t, Part> by_group) {
  txn_->prepares.assign(txn_->order.size(), Prepare{});
  txn_->waiting = txn_->order.size();
  for (size_t at = 0; at < txn_->order.size(); ++at) {
    const uint32_t group = txn_->order[at];
    Part& part = by_group[group];
    kv::TxnPrepare p{txn_->id, txn_->record_group, group == txn_->record_group, std::move(part.reads),
                     std::move(part.writes)};
    write(group, std::move(p), [this, at, group](const KvOpResult& r) {
      txn_->prepares[at] = prepare_outcome(group, r);
      if (--txn_->waiting == 0) prepared();
    });
  }
}

TxnClient::Prepare TxnClient::prepare_outcome(uint32_t group, const KvOpResult& r) {
  const std::string where = "preparing in group " + std::to_string(group) + ": ";
  if (r.outcome == OpOutcome::kFail) return {Prepare::kNotPlaced, TxnError::kUnavailable, where + r.error, {}};
  if (r.outcome != OpOutcome::kOk) return {Prepare::kMaybe, TxnError::kUnavailable, where + r.error, {}};
  switch (r.result.code) {
    case kv::Code::kOk: return {Prepare::kPlaced, TxnError::kNone, "", {}};
    case kv::Code::kTxnIntent: {
      auto ref = kv::decode_intent_ref(r.result.value.value_or(""));
      SHOAL_ASSERT(ref.ok());  // the group's own answer
      ++stats_.intents_met;
      return {Prepare::kNotPlaced, TxnError::kConflict, "a key is held by txn " + ref->txn, Blocker{*ref, group}};
    }
    case kv::Code::kTxnStale: return {Prepare::kNotPlaced, TxnError::kStale, r.result.message, {}};
    case kv::Code::kTxnDecided:
      return {Prepare::kNotPlaced, TxnError::kPushedAside, "the txn was aborted by another's recovery", {}};
    default: return {Prepare::kNotPlaced, TxnError::kBadRequest, kv::describe(r.result), {}};
  }
}

// Every prepare answered: commit if all placed their intents; otherwise give
// the txn up for the most telling reason (a refusal over a silence).
void TxnClient::prepared() {
  const Prepare* failed = nullptr;
  for (const Prepare& p : txn_->prepares) {
    if (p.state == Prepare::kPlaced) continue;
    if (failed == nullptr || (failed->error == TxnError::kUnavailable && p.error != TxnError::kUnavailable)) failed = &p;
  }
  if (failed == nullptr) return decide_commit();
  const Prepare reason = *failed;
  abort(reason.error, reason.message, reason.blocker);
}

bool TxnClient::any_placed() const {
  for (const Prepare& p : txn_->prepares) {
    if (p.state != Prepare::kNotPlaced) return true;
  }
  return false;
}

// Once this coordinator has decided not to commit, the txn can never commit:
// only its own TxnDecide(commit) could (a pusher only ever aborts). So the
// outcome is kAborted whatever the clean-up achieves; what it leaves behind
// the next txn to meet it resolves.
void TxnClient::abort(TxnError error, std::string message, std::optional<Blocker> blocker) {
  SHOAL_ASSERT(!txn_->commit_asked);
  auto finish_aborted = [this, error, message, blocker] {
    if (!blocker) return finish(TxnOutcome::kAborted, error, message);
    // Helps the holder along (it may have been abandoned), so the caller's
    // retry finds the key free; this txn holds nothing while it waits.
    resolve_blocker(blocker->ref, blocker->group,
                    [this, error, message] { finish(TxnOutcome::kAborted, error, message); });
  };
  if (!any_placed()) return finish_aborted();
  const uint32_t home = txn_->record_group;
  std::vector<std::string> forget = take_forget(home);
  write(home, kv::TxnDecide{txn_->id, false, forget}, [this, finish_aborted, home, forget](const KvOpResult& r) {
    if (r.outcome != OpOutcome::kOk) restore_forget(home, forget);
    txn_->decided = r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kOk;
    if (r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kTxnDecided &&
        r.result.value == kv::txn_status_name(kv::TxnStatus::kCommitted)) {
      // Only a recovery that rolls a pending txn forward (a bug) gets here.
      return finish(TxnOutcome::kUnknown, TxnError::kPushedAside, "the record says committed, but no commit was asked");
    }
    resolve_others(false, finish_aborted);
  });
}

void TxnClient::decide_commit() {
  txn_->commit_asked = true;
  const uint32_t home = txn_->record_group;
  std::vector<std::string> forget = take_forget(home);
  write(home, kv::TxnDecide{txn_->id, true, forget}, [this, home, forget](const KvOpResult& r) {
    if (r.outcome != OpOutcome::kOk) restore_forget(home, forget);
    txn_->decided = r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kOk;
    if (r.outcome != OpOutcome::kOk) {
      // The decision may have been applied; recovery resolves either way.
      return finish(TxnOutcome::kUnknown, TxnError::kUnavailable, "the commit was sent and not answered: " + r.error);
    }
    if (r.result.code == kv::Code::kOk) {
      return resolve_others(true, [this] { finish(TxnOutcome::kCommitted, TxnError::kNone, ""); });
    }
    if (r.result.code == kv::Code::kTxnDecided) {
      // Another txn's recovery aborted this one first (it looked abandoned).
      return resolve_others(false, [this] {
        finish(TxnOutcome::kAborted, TxnError::kPushedAside, "the txn was aborted by another's recovery");
      });
    }
    finish(TxnOutcome::kUnknown, TxnError::kBadRequest, kv::describe(r.result));
  });
}

// Resolves the txn's intents in every other group that may hold some, all at
// once, best effort: one that does not take is left for whoever meets it.
void TxnClient::resolve_others(bool commit, Then then) {
  std::vector<uint32_t> groups;
  for (size_t at = 0; at < txn_->order.size(); ++at) {
    if (txn_->order[at] != txn_->record_group && txn_->prepares[at].state != Prepare::kNotPlaced) {
      groups.push_back(txn_->order[at]);
    }
  }
  if (groups.empty()) return then();
  txn_->waiting = groups.size();
  for (uint32_t group : groups) {
    write(group, kv::TxnResolve{txn_->id, commit}, [this, then](const KvOpResult& r) {
      if (r.outcome != OpOutcome::kOk || r.result.code != kv::Code::kOk) txn_->all_resolved = false;
      if (--txn_->waiting == 0) then();
    });
  }
}

std::vector<std::string> TxnClient::take_forget(uint32_t group) {
  auto it = forget_.find(group);
  if (it == forget_.end()) return {};
  std::vector<std::string> out = std::move(it->second);
  forget_.erase(it);
  return out;
}

void TxnClient::restore_forget(uint32_t group, std::vector<std::string> txns) {
  std::vector<std::string>& list = forget_[group];
  list.insert(list.end(), txns.begin(), txns.end());
  // Bounded: beyond it the oldest records are left behind (kept for ever,
  // which is safe, only wasteful).
  if (list.size() > kv::kMaxTxnForget) list.erase(list.begin(), list.end() - kv::kMaxTxnForget);
}

void TxnClient::finish(TxnOutcome outcome, TxnError error, std::string message) {
  SHOAL_ASSERT(txn_ != nullptr);
  TxnResult r;
  r.outcome = outcome;
  r.error = error;
  r.message = std::move(message);
  r.txn = txn_->id;
  r.groups = txn_->order.size();
  if (outcome == TxnOutcome::kCommitted) r.reads = std::move(txn_->answers);
  if (txn_->decided && txn_->all_resolved) restore_forget(txn_->record_group, {txn_->id});
  (outcome == TxnOutcome::kCommitted ? stats_.committed
   : outcome == TxnOutcome::kAborted ? stats_.aborted
                                     : stats_.unknown)++;
  TxnCallback done = std::move(txn_->done);
  txn_.reset();
  done(r);
}

// Another txn's intent stood in `group`'s way: ask its record what became of it.
void TxnClient::resolve_blocker(const kv::IntentRef& ref, uint32_t group, Then then) {
  const TimePoint now = env_.clock().now();
  if (first_met_.size() >= kFirstMetMax) first_met_.clear();
  const TimePoint met = first_met_.emplace(ref.txn, now).first->second;
  query(ref.record_group, kv::TxnStatusQuery{ref.txn, 0}, [this, ref, group, then, met](const KvOpResult& r) {
    if (r.outcome != OpOutcome::kOk) return then();  // the caller asks again, or gives up at its deadline
    if (r.result.code == kv::Code::kNotFound) return push_blocker(ref, group, then);
    const std::optional<kv::TxnStatus> status = kv::parse_txn_status(r.result.value.value_or(""));
    if (r.result.code != kv::Code::kOk || !status) return then();
    if (*status != kv::TxnStatus::kPending) return resolve_as(ref, group, status, then);
    if (env_.clock().now() - met < options_.intent_patience) {
      // Its coordinator is probably finishing: look again shortly.
      std::weak_ptr<const void> alive = alive_;
      return timer_.arm(options_.resolve_backoff, [this, alive, ref, group, then] {
        if (!alive.expired()) resolve_blocker(ref, group, then);
      });
    }
    push_blocker(ref, group, then);
  });
}

// Decides an abandoned (or unrecorded) txn at its record: aborted, unless its
// coordinator's commit got there first.
void TxnClient::push_blocker(const kv::IntentRef& ref, uint32_t group, Then then) {
  ++stats_.pushed;
  // The planted bug rolls a pending txn forward instead: it assumes the
  // intents it met mean every participant prepared.
  const bool commit = planted_bug() == PlantedBug::kTxnRecoveryRollsForward;
  write(ref.record_group, kv::TxnDecide{ref.txn, commit}, [this, ref, group, then](const KvOpResult& r) {
    if (r.outcome != OpOutcome::kOk) return then();
    return resolve_as(ref, group, kv::parse_txn_status(r.result.value.value_or("")), then);
  });
}

void TxnClient::resolve_as(const kv::IntentRef& ref, uint32_t group, std::optional<kv::TxnStatus> status, Then then) {
  first_met_.erase(ref.txn);
  // The record's group resolved its own intents with the decision.
  if (!status || *status == kv::TxnStatus::kPending || group == ref.record_group) return then();
  ++stats_.resolved_for_others;
  write(group, kv::TxnResolve{ref.txn, *status == kv::TxnStatus::kCommitted},
        [then](const KvOpResult&) { then(); });
}

}  // namespace shoal::txn
