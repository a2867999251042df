#include "engine/shard/txn_table.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/random.h"
#include "engine/shard/kv_txn_codec.h"

namespace shoal::kv {
namespace {

constexpr uint64_t kIntentSeed = 0x7478'696e'7400'0001;    // "txint"
constexpr uint64_t kRecordSeed = 0x7478'7265'6300'0002;    // "txrec"
constexpr uint64_t kResolvedSeed = 0x7478'7265'7300'0003;  // "txres"

uint64_t hash_bytes(const std::string& s, uint64_t seed) { return stable_hash(s.data(), s.size(), seed); }

uint64_t intent_hash(const std::string& key, const Intent& i) {
  uint64_t h = hash_combine(hash_bytes(key, kIntentSeed), hash_bytes(i.txn, kIntentSeed + 1));
  h = hash_combine(h, i.record_group);
  if (!i.write) return hash_combine(h, 0);
  h = hash_combine(h, static_cast<uint64_t>(i.write->kind));
  return hash_combine(h, hash_bytes(i.write->value, kIntentSeed + 2));
}

uint64_t record_hash(const std::string& txn, const TxnRecord& r) {
  return hash_combine(hash_combine(hash_bytes(txn, kRecordSeed), static_cast<uint64_t>(r.status)), r.index);
}

uint64_t resolved_hash(const std::string& txn, bool committed, uint64_t index) {
  return hash_combine(hash_combine(hash_bytes(txn, kResolvedSeed), committed ? 1 : 2), index);
}

absl::Status loss(const std::string& what) { return absl::DataLossError(absl::StrCat("kv snapshot: ", what)); }

}  // namespace

const Intent* TxnTable::intent(const std::string& key) const {
  auto it = intents_.find(key);
  return it == intents_.end() ? nullptr : &it->second;
}

void TxnTable::place(const std::string& key, Intent intent) {
  SHOAL_ASSERT(!intent.write || intent.write->key == key);
  auto it = intents_.find(key);
  if (it != intents_.end()) {
    SHOAL_ASSERT(it->second.txn == intent.txn);
    hash_ -= intent_hash(key, it->second);
    it->second = std::move(intent);
  } else {
    by_txn_.emplace(intent.txn, key);
    it = intents_.emplace(key, std::move(intent)).first;
  }
  hash_ += intent_hash(key, it->second);
}

bool TxnTable::remove(const std::string& key) {
  auto it = intents_.find(key);
  if (it == intents_.end()) return false;
  hash_ -= intent_hash(key, it->second);
  by_txn_.erase({it->second.txn, key});
  intents_.erase(it);
  return true;
}

std::vector<std::string> TxnTable::keys_of(const std::string& txn) const {
  std::vector<std::string> keys;
  for (auto it = by_txn_.lower_bound({txn, std::string()}); it != by_txn_.end() && it->first == txn; ++it) {
    keys.push_back(it->second);
  }
  return keys;
}

const TxnRecord* TxnTable::record(const std::string& txn) const {
  auto it = records_.find(txn);
  return it == records_.end() ? nullptr : &it->second;
}

void TxnTable::set_record(const std::string& txn, TxnRecord record) {
  auto it = records_.find(txn);
  if (it == records_.end()) {
    SHOAL_ASSERT(records_.size() < kMaxTxnRecords);
    it = records_.emplace(txn, record).first;
  } else {
    // A decided record never changes again.
    SHOAL_ASSERT(it->second.status == TxnStatus::kPending);
    hash_ -= record_hash(txn, it->second);
    it->second = record;
  }
  hash_ += record_hash(txn, it->second);
}

bool TxnTable::forget_record(const std::string& txn) {
  auto it = records_.find(txn);
  if (it == records_.end() || it->second.status == TxnStatus::kPending) return false;
  hash_ -= record_hash(txn, it->second);
  records_.erase(it);
  return true;
}

std::optional<bool> TxnTable::resolved(const std::string& txn) const {
  auto it = resolved_.find(txn);
  if (it == resolved_.end()) return std::nullopt;
  return it->second.committed;
}

void TxnTable::note_resolved(const std::string& txn, bool committed, uint64_t index) {
  SHOAL_ASSERT(resolved_by_index_.empty() || resolved_by_index_.rbegin()->first < index);
  if (resolved_.contains(txn)) return;
  resolved_.emplace(txn, Resolution{committed, index});
  resolved_by_index_.emplace(index, txn);
  hash_ += resolved_hash(txn, committed, index);
  while (resolved_.size() > kMaxResolvedTxns) {
    auto oldest = resolved_by_index_.begin();
    auto it = resolved_.find(oldest->second);
    hash_ -= resolved_hash(it->first, it->second.committed, it->second.index);
    resolved_.erase(it);
    resolved_by_index_.erase(oldest);
  }
}

uint64_t TxnTable::hash() const {
  uint64_t h = hash_combine(hash_, intents_.size());
  h = hash_combine(h, records_.size());
  return hash_combine(h, resolved_.size());
}

absl::Status TxnTable::check(uint64_t applied_index) const {
  auto broken = [](const std::string& what) {
    return absl::InternalError(absl::StrCat("kv txn table invariant broken: ", what));
  };
  uint64_t h = 0;
  for (const auto& [key, i] : intents_) {
    if (i.write && i.write->key != key) return broken("an intent's write names another key");
    if (!by_txn_.contains({i.txn, key})) return broken("an intent is missing from the by-txn index");
    h += intent_hash(key, i);
  }
  if (by_txn_.size() != intents_.size()) return broken("the by-txn index lists intents that do not exist");
  if (records_.size() > kMaxTxnRecords) return broken("too many txn records");
  for (const auto& [txn, r] : records_) {
    if (r.index == 0 || r.index > applied_index) return broken("a txn record has an impossible index");
    h += record_hash(txn, r);
  }
  if (resolved_.size() > kMaxResolvedTxns || resolved_.size() != resolved_by_index_.size()) {
    return broken("the resolved txns and their index disagree");
  }
  for (const auto& [txn, r] : resolved_) {
    auto it = resolved_by_index_.find(r.index);
    if (r.index == 0 || r.index > applied_index || it == resolved_by_index_.end() || it->second != txn) {
      return broken("a resolved txn has an impossible index");
    }
    h += resolved_hash(txn, r.committed, r.index);
  }
  if (h != hash_) return broken("the txn hash does not match the table");
  return absl::OkStatus();
}

// Layout: varint n  n x (bytes key  bytes txn  varint record_group  bool has_write  [txn write])
//         varint n  n x (bytes txn  u8 status  varint index)
//         varint n  n x (bytes txn  bool committed  varint index)
void TxnTable::encode(Writer& w) const {
  w.varint(intents_.size());
  for (const auto& [key, i] : intents_) {
    w.bytes(key);
    w.bytes(i.txn);
    w.varint(i.record_group);
    w.boolean(i.write.has_value());
    if (i.write) txn_codec::write_txn_write(w, *i.write);
  }
  w.varint(records_.size());
  for (const auto& [txn, r] : records_) {
    w.bytes(txn);
    w.u8(static_cast<uint8_t>(r.status));
    w.varint(r.index);
  }
  w.varint(resolved_.size());
  for (const auto& [txn, r] : resolved_) {
    w.bytes(txn);
    w.boolean(r.committed);
    w.varint(r.index);
  }
}

absl::Status TxnTable::decode(Reader& r, uint64_t applied_index, TxnTable* out) {
  TxnTable t;
  const uint64_t intents = r.varint();
  for (uint64_t n = 0; n < intents && r.ok(); ++n) {
    std::string key = r.bytes();
    Intent i;
    i.txn = r.bytes();
    const uint64_t group = r.varint();
    if (r.boolean()) i.write = txn_codec::read_txn_write(r);
    if (!r.ok()) break;
    if (key.empty() || key.size() > kMaxKeyBytes || !txn_codec::check_txn_id(i.txn).ok() || group > UINT32_MAX ||
        (i.write && (!txn_codec::check_txn_write(*i.write).ok() || i.write->key != key)) || t.intents_.contains(key)) {
      return loss("an intent is malformed");
    }
    i.record_group = static_cast<uint32_t>(group);
    t.place(key, std::move(i));
  }
  const uint64_t records = r.varint();
  if (records > kMaxTxnRecords) return loss("too many txn records");
  for (uint64_t n = 0; n < records && r.ok(); ++n) {
    std::string txn = r.bytes();
    const uint8_t status = r.u8();
    const uint64_t index = r.varint();
    if (!r.ok()) break;
    if (!txn_codec::check_txn_id(txn).ok() || status < 1 || status > 3 || index == 0 || index > applied_index ||
        t.records_.contains(txn)) {
      return loss("a txn record is malformed");
    }
    t.records_.emplace(txn, TxnRecord{static_cast<TxnStatus>(status), index});
    t.hash_ += record_hash(txn, TxnRecord{static_cast<TxnStatus>(status), index});
  }
  const uint64_t resolved = r.varint();
  if (resolved > kMaxResolvedTxns) return loss("too many resolved txns");
  for (uint64_t n = 0; n < resolved && r.ok(); ++n) {
    std::string txn = r.bytes();
    const bool committed = r.boolean();
    const uint64_t index = r.varint();
    if (!r.ok()) break;
    if (!txn_codec::check_txn_id(txn).ok() || index == 0 || index > applied_index || t.resolved_.contains(txn) ||
        t.resolved_by_index_.contains(index)) {
      return loss("a resolved txn is malformed");
    }
    t.resolved_.emplace(txn, Resolution{committed, index});
    t.resolved_by_index_.emplace(index, txn);
    t.hash_ += resolved_hash(txn, committed, index);
  }
  if (!r.ok()) return loss("the txn section is cut short");
  *out = std::move(t);
  return absl::OkStatus();
}

}  // namespace shoal::kv
