// LogStorage: the persistent state of one Raft replica — its hard state (current
// term and vote) and its log of entries — behind one interface with two
// implementations: DiskLog (segmented write-ahead log on an Env's Disk) and
// MemoryLog (its in-memory twin, for Raft unit tests that need no disk).
//
// The model Raft relies on:
//  * Every mutation (append, truncate_after, compact, save_hard_state) changes
//    the in-memory view AT ONCE: later reads see it, so a leader may replicate
//    entries before they are durable on its own disk.
//  * A mutation that returns OK calls its `done` exactly once, LATER, on the
//    event loop — never inside the call. done(OK) means the change and every
//    change issued before it are durable. Completions run in the order the
//    mutations were issued, whatever their kind, so one completion vouches for
//    every earlier mutation.
//  * A mutation that returns an error changed nothing and never calls `done`
//    (bad arguments, a bound exceeded, or the storage already failed).
//  * After a crash the storage holds the state after some prefix of the issued
//    mutations that includes every completed one — with one relaxation: the
//    entries a truncation removed may come back (the log is then a prefix of
//    the log before that truncation, never a mix).
//  * A failure (disk full, a failed sync) makes the storage fail for good:
//    status() returns it, queued mutations complete with it, new ones are
//    rejected with it. The in-memory view may then hold changes that never
//    became durable; the owner must stop using the object and reopen the
//    storage from disk to continue.
//
// Destroying the object drops queued completions without calling them.
// Entry data are opaque bytes; the Raft layer encodes entry kinds inside them.
// Only the owning event loop may call these methods.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/core/ids.h"

namespace shoal {

// The largest data field of one entry: every entry must fit in one message.
inline constexpr uint64_t kMaxEntryDataBytes = 8u << 20;
// The most entries one append() may carry.
inline constexpr size_t kMaxEntriesPerAppend = 16384;
// The most mutations queued (issued, not yet completed) at once.
inline constexpr size_t kMaxPendingMutations = 4096;
// The most entry bytes queued (issued, not yet durable) at once.
inline constexpr uint64_t kMaxPendingBytes = 256u << 20;

struct LogEntry {
  uint64_t index = 0;
  uint64_t term = 0;
  std::string data;

  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// A vote floor meaning "this replica may not vote at all": it started with
// no durable state, so it cannot know whether it voted before (raft.h).
inline constexpr uint64_t kVotesSuspended = UINT64_MAX;

// Raft's "persistent state on all servers" other than the log, and the vote
// floor: the replica never votes (nor campaigns) in a term at or below it.
// 0 for a replica that has kept its state from its first start; set when a
// replica that lost its state has proven which terms it may have voted in.
struct HardState {
  uint64_t term = 0;
  NodeId vote = kNoNode;  // the candidate voted for in `term`, or kNoNode
  uint64_t vote_floor = 0;

  friend bool operator==(const HardState&, const HardState&) = default;
};

using StorageCallback = std::function<void(absl::Status)>;

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  // OK, or the failure that ended this object's usefulness (see above).
  virtual absl::Status status() const = 0;

  // ---- hard state

  // The hard state last passed to save_hard_state (durable or not), or the
  // recovered one; {0, kNoNode} for a fresh replica.
  virtual const HardState& hard_state() const = 0;
  // Saves term and vote. Raft answers a vote, or any message of a new term,
  // only from within done(OK).
  // REQUIRES: hs.term >= hard_state().term, and within one term the vote only
  // goes from kNoNode to a node and never changes after that (else
  // FailedPrecondition: the caller has a bug that would let it vote twice).
  virtual absl::Status save_hard_state(const HardState& hs, StorageCallback done) = 0;

  // ---- the log: entries first_index()..last_index(), preceded by a base
  // entry at first_index() - 1 whose term is known (0 for an empty log).

  virtual uint64_t first_index() const = 0;
  // first_index() - 1 when the log holds no entry.
  virtual uint64_t last_index() const = 0;
  // The term of entry `index` for first_index() - 1 <= index <= last_index();
  // OutOfRange otherwise.
  virtual absl::StatusOr<uint64_t> term(uint64_t index) const = 0;
  uint64_t last_term() const { return *term(last_index()); }
  // Entries lo..hi-1, stopping early once max_bytes of data are collected but
  // always returning at least one entry when lo < hi.
  // REQUIRES: first_index() <= lo <= hi <= last_index() + 1 (else OutOfRange).
  virtual absl::StatusOr<std::vector<LogEntry>> entries(uint64_t lo, uint64_t hi,
                                                        uint64_t max_bytes) const = 0;

  // Appends entries. When entries[0].index <= last_index(), the entries from
  // there on are replaced (Raft's "delete the existing entry and all that
  // follow it"); the caller skips entries that already match.
  // An empty vector is a barrier: done fires once everything before is durable.
  // REQUIRES (else InvalidArgument / OutOfRange / ResourceExhausted):
  //  * first_index() <= entries[0].index <= last_index() + 1;
  //  * indexes consecutive; terms non-decreasing and >= term(entries[0].index - 1);
  //  * data.size() <= kMaxEntryDataBytes, entries.size() <= kMaxEntriesPerAppend;
  //  * the pending bounds are not exceeded.
  virtual absl::Status append(std::vector<LogEntry> entries, StorageCallback done) = 0;

  // Removes every entry after `index`.
  // REQUIRES: first_index() - 1 <= index <= last_index().
  virtual absl::Status truncate_after(uint64_t index, StorageCallback done) = 0;

  // Discards the log prefix covered by a snapshot whose last entry is
  // (index, term), following Raft's InstallSnapshot rule: when the log holds
  // that entry, the entries after it are kept; otherwise the whole log is
  // discarded. Afterwards first_index() == index + 1 and term(index) == term.
  // REQUIRES: index >= first_index() - 1, and the snapshot is durable before
  // the call (the storage may drop the covered entries at once).
  // After a reopen, first_index() may be lower than the last compaction asked
  // (files are dropped whole); the owner calls compact() again with its
  // snapshot, and must do so when the log ends before the snapshot.
  virtual absl::Status compact(uint64_t index, uint64_t term, StorageCallback done) = 0;
};

}  // namespace shoal
