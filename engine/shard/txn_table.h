// TxnTable: the transaction state one KV group replicates (kv_command.h,
// "Transactions"): the intents its keys carry, the records of the txns whose
// first key it holds, and the txns it has resolved lately.
//
//   intents   key -> (txn, record group, the write if the txn writes the key;
//             none for a key it only read). A key holds at most one intent.
//   records   txn -> (status, the log index that last set it). At most
//             kMaxTxnRecords; a record, once decided, never changes again,
//             and is dropped when its coordinator saw all of its intents
//             resolved (TxnDecide::forget).
//   resolved  txn -> (committed?, index): the txns whose intents this group
//             resolved, so a prepare that arrives after its txn was resolved
//             (a late duplicate) places nothing. Bounded: beyond
//             kMaxResolvedTxns the one resolved at the lowest index is
//             forgotten (every replica forgets the same).
//
// Like KvState it only stores and accounts (an O(1) multiset hash kept as it
// changes, and check() recomputing everything); kv_txn.cc decides. Ordered
// maps, so a snapshot's bytes depend only on the state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_command.h"

namespace shoal::kv {

inline constexpr size_t kMaxTxnRecords = 1 << 20;
inline constexpr size_t kMaxResolvedTxns = 1 << 16;

struct Intent {
  std::string txn;
  uint32_t record_group = 0;
  std::optional<TxnWrite> write;  // its key is write's key
  bool operator==(const Intent&) const = default;
};

struct TxnRecord {
  TxnStatus status = TxnStatus::kPending;
  uint64_t index = 0;
  bool operator==(const TxnRecord&) const = default;
};

class TxnTable {
 public:
  const Intent* intent(const std::string& key) const;
  // REQUIRES: the key holds no intent of another txn.
  void place(const std::string& key, Intent intent);
  // PROMISES: true when the key held an intent.
  bool remove(const std::string& key);
  // The keys `txn` holds intents on, ascending.
  std::vector<std::string> keys_of(const std::string& txn) const;
  size_t intent_count() const { return intents_.size(); }

  const TxnRecord* record(const std::string& txn) const;
  // REQUIRES: room for a new record (record_count() < kMaxTxnRecords) or
  // an existing one that is pending.
  void set_record(const std::string& txn, TxnRecord record);
  size_t record_count() const { return records_.size(); }
  // Drops a decided record. PROMISES: false (changing nothing) when there is
  // none or it is pending.
  bool forget_record(const std::string& txn);

  // Whether this group resolved `txn`'s intents, and how (true: committed).
  std::optional<bool> resolved(const std::string& txn) const;
  // REQUIRES: index above every remembered resolution's.
  void note_resolved(const std::string& txn, bool committed, uint64_t index);
  size_t resolved_count() const { return resolved_.size(); }

  uint64_t hash() const;
  // Recomputes the hash and indexes and checks every entry against
  // `applied_index` (nothing is from the future).
  absl::Status check(uint64_t applied_index) const;

  // The snapshot section: intents, records, resolutions (keys ascending).
  void encode(Writer& w) const;
  // PROMISES: DataLoss naming the problem unless the section is well formed.
  static absl::Status decode(Reader& r, uint64_t applied_index, TxnTable* out);

 private:
  struct Resolution {
    bool committed = false;
    uint64_t index = 0;
  };
  absl::btree_map<std::string, Intent> intents_;
  absl::btree_set<std::pair<std::string, std::string>> by_txn_;  // (txn, key)
  absl::btree_map<std::string, TxnRecord> records_;
  absl::btree_map<std::string, Resolution> resolved_;
  absl::btree_map<uint64_t, std::string> resolved_by_index_;
  uint64_t hash_ = 0;  // a multiset hash: the sum of every entry's
};

}  // namespace shoal::kv
