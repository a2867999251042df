// The KV group's transaction commands (kv_command.h, "Transactions"):
// prepare, decide, resolve and the one-group commit, and the intents that
// hold keys for a txn against every other writer.
//
// Rules, each judged at apply in log order, so every replica decides alike:
//   * A prepare places nothing unless it can place everything: no key it
//     names is held by another txn (kTxnIntent names that txn), every read
//     still holds (kTxnStale), every append fits. A prepare of a txn this
//     group already resolved places nothing (a late duplicate).
//   * A record is created PENDING by the prepare of the record's group and
//     decided once; the decision resolves this group's own intents in the
//     same entry. A decision the other way answers kTxnDecided with the
//     record's status; an abort of a txn with no record creates it ABORTED,
//     so a late prepare of it can never commit.
//   * A resolve applies (commit) or drops (abort) the txn's intents here. It
//     is refused when this group holds the txn's record and the record does
//     not say so: an outcome is never made up where it is recorded.
//   * Data writes refuse a key held by an intent (kTxnIntent); a read of a
//     key a txn may write answers kTxnIntent too, since the value may already
//     be committed elsewhere: the reader resolves the txn and asks again.
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/shard/kv_state_machine.h"

namespace shoal::kv {
namespace {

Result with_value(Result r, std::string value) {
  r.value = std::move(value);
  return r;
}

Result status_result(Code code, uint64_t index, TxnStatus status) {
  return with_value(make_result(code, index), std::string(txn_status_name(status)));
}

}  // namespace

Result intent_refusal(uint64_t index, const std::string& key, const Intent& intent) {
  return with_value(make_result(Code::kTxnIntent, index, absl::StrCat("key ", key, " is held by txn ", intent.txn)),
                    encode_intent_ref(IntentRef{intent.txn, intent.record_group}));
}

std::optional<Result> KvStateMachine::refuse_by_intent(uint64_t index, const std::string& key,
                                                       const std::string& txn) const {
  const Intent* held = state_.txns().intent(key);
  if (held == nullptr || held->txn == txn) return std::nullopt;
  return intent_refusal(index, key, *held);
}

std::optional<Result> KvStateMachine::check_txn_keys(uint64_t index, const std::string& txn,
                                                     const std::vector<TxnRead>& reads,
                                                     const std::vector<TxnWrite>& writes) const {
  for (const TxnRead& r : reads) {
    if (auto held = refuse_by_intent(index, r.key, txn)) return held;
  }
  for (const TxnWrite& w : writes) {
    if (auto held = refuse_by_intent(index, w.key, txn)) return held;
  }
  for (const TxnRead& r : reads) {
    const std::string* current = state_.find(r.key);
    const std::optional<uint64_t> now =
        current == nullptr ? std::nullopt : std::optional<uint64_t>(txn_value_hash(*current));
    if (now != r.value_hash) return make_result(Code::kTxnStale, index, "key " + r.key + " changed since it was read");
  }
  for (const TxnWrite& w : writes) {
    const std::string* current = state_.find(w.key);
    const size_t bytes = w.kind == TxnWriteKind::kAppend && current != nullptr ? current->size() : 0;
    if (bytes + w.value.size() > kMaxValueBytes) {
      return make_result(Code::kError, index, "a txn write would make the value of " + w.key + " too long");
    }
  }
  return std::nullopt;
}

Result KvStateMachine::apply_txn(uint64_t index, const Write& write) {
  TxnTable& table = state_.txns();
  if (const auto* p = std::get_if<TxnPrepare>(&write)) return prepare_txn(index, *p);
  if (const auto* d = std::get_if<TxnDecide>(&write)) return decide_txn(index, *d);
  if (const auto* res = std::get_if<TxnResolve>(&write)) {
    if (const TxnRecord* rec = table.record(res->txn)) {
      const TxnStatus want = res->commit ? TxnStatus::kCommitted : TxnStatus::kAborted;
      if (rec->status == TxnStatus::kPending) {
        return make_result(Code::kError, index, "txn " + res->txn + " is not decided: its record here is pending");
      }
      if (rec->status != want) return status_result(Code::kTxnDecided, index, rec->status);
    }
    resolve_intents(index, res->txn, res->commit);
    return make_result(Code::kOk, index);
  }
  const auto& local = std::get<TxnCommitLocal>(write);
  if (auto refused = check_txn_keys(index, std::string(), local.reads, local.writes)) return *std::move(refused);
  for (const TxnWrite& w : local.writes) apply_txn_write(index, w);
  return make_result(Code::kOk, index);
}

Result KvStateMachine::prepare_txn(uint64_t index, const TxnPrepare& p) {
  TxnTable& table = state_.txns();
  if (std::optional<bool> done = table.resolved(p.txn)) {
    // A late duplicate: the txn was resolved here, so nothing is placed.
    return *done ? make_result(Code::kOk, index) : status_result(Code::kTxnDecided, index, TxnStatus::kAborted);
  }
  const TxnRecord* record = p.holds_record ? table.record(p.txn) : nullptr;
  if (record != nullptr && record->status != TxnStatus::kPending) {
    return record->status == TxnStatus::kCommitted ? make_result(Code::kOk, index)
                                                   : status_result(Code::kTxnDecided, index, record->status);
  }
  if (auto refused = check_txn_keys(index, p.txn, p.reads, p.writes)) return *std::move(refused);
  if (p.holds_record && record == nullptr && table.record_count() >= kMaxTxnRecords) {
    return make_result(Code::kError, index, absl::StrCat("this group holds ", kMaxTxnRecords, " txn records already"));
  }
  std::set<std::string> written;
  for (const TxnWrite& w : p.writes) {
    written.insert(w.key);
    table.place(w.key, Intent{p.txn, p.record_group, w});
  }
  for (const TxnRead& r : p.reads) {
    if (!written.contains(r.key)) table.place(r.key, Intent{p.txn, p.record_group, std::nullopt});
  }
  if (p.holds_record && record == nullptr) table.set_record(p.txn, TxnRecord{TxnStatus::kPending, index});
  return make_result(Code::kOk, index);
}

Result KvStateMachine::decide_txn(uint64_t index, const TxnDecide& d) {
  TxnTable& table = state_.txns();
  // Garbage collection first, whatever this decision finds: the forgotten
  // txns were resolved everywhere. A late duplicate intent of one of them is
  // then resolved as unrecorded — aborted — which is right: its effects
  // were applied (or dropped) by the real resolve.
  for (const std::string& t : d.forget) {
    if (t != d.txn) table.forget_record(t);
  }
  const TxnStatus want = d.commit ? TxnStatus::kCommitted : TxnStatus::kAborted;
  const TxnRecord* record = table.record(d.txn);
  if (record == nullptr) {
    // Only a prepare creates a record to commit; an abort may come first
    // (from whoever met an intent of a txn whose record is gone or never
    // was) and then no later prepare of that txn can commit it.
    if (d.commit) return make_result(Code::kNotFound, index, "txn " + d.txn + " has no record here");
    if (table.record_count() >= kMaxTxnRecords) {
      return make_result(Code::kError, index, absl::StrCat("this group holds ", kMaxTxnRecords, " txn records already"));
    }
  } else if (record->status == want) {
    return status_result(Code::kOk, index, want);
  } else if (record->status != TxnStatus::kPending) {
    return status_result(Code::kTxnDecided, index, record->status);
  }
  table.set_record(d.txn, TxnRecord{want, index});
  resolve_intents(index, d.txn, d.commit);
  return status_result(Code::kOk, index, want);
}

void KvStateMachine::resolve_intents(uint64_t index, const std::string& txn, bool commit) {
  TxnTable& table = state_.txns();
  for (const std::string& key : table.keys_of(txn)) {
    const Intent* intent = table.intent(key);
    SHOAL_ASSERT(intent != nullptr && intent->txn == txn);
    const std::optional<TxnWrite> write = intent->write;
    table.remove(key);
    if (commit && write) apply_txn_write(index, *write);
  }
  table.note_resolved(txn, commit, index);
}

void KvStateMachine::apply_txn_write(uint64_t index, const TxnWrite& w) {
  switch (w.kind) {
    case TxnWriteKind::kPut:
      state_.put(w.key, w.value);
      return changed(index, w.key, false);
    case TxnWriteKind::kDelete:
      if (state_.erase(w.key)) changed(index, w.key, true);
      return;
    case TxnWriteKind::kAppend: {
      const std::string* current = state_.find(w.key);
      std::string value = current == nullptr ? std::string() : *current;
      // The prepare (or the one-group commit) checked that it fits, and the
      // intent kept every other writer away since.
      SHOAL_ASSERT(value.size() + w.value.size() <= kMaxValueBytes);
      value.append(w.value);
      state_.put(w.key, std::move(value));
      return changed(index, w.key, false);
    }
  }
  SHOAL_ASSERT(false);
}

Result KvStateMachine::read_txn_status(const TxnStatusQuery& q) const {
  const uint64_t applied = state_.applied_index();
  const TxnRecord* record = state_.txns().record(q.txn);
  if (record == nullptr) return make_result(Code::kNotFound, applied, "txn " + q.txn + " has no record here");
  return status_result(Code::kOk, applied, record->status);
}

}  // namespace shoal::kv
