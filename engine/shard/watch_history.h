// WatchHistory: the recent changes a KV replica can answer watches from.
//
// Every change a replica applies (a put, a CAS that matched, an append, a
// delete of a key that existed) is recorded under its revision, the log
// index that made it. The history is a cache of the log, not replicated
// state: it is not in snapshots or fingerprints, and replicas may hold
// different spans of it. What a replica holds is always contiguous — every
// change after compacted_through() up to its applied index — so an answer
// never has a gap; a watch from before that span is answered kCompacted.
// The span starts where the replica's state started (0, or the index of a
// snapshot it restored) and its oldest changes are dropped beyond
// kWatchHistoryEventsMax events or kWatchHistoryBytesMax bytes, a whole
// revision at a time. One revision may hold several changes (a transaction's
// keys); an answer always lists a revision's matching changes together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "engine/shard/kv_command.h"

namespace shoal::kv {

inline constexpr size_t kWatchHistoryEventsMax = 10'000;
inline constexpr size_t kWatchHistoryBytesMax = 8 << 20;

class WatchHistory {
 public:
  // REQUIRES: e.revision at least every recorded revision, and above compacted_through().
  void record(WatchEvent e);
  // Forgets everything: changes up to `revision` can no longer be answered.
  void reset(uint64_t revision);
  uint64_t compacted_through() const { return compacted_through_; }
  size_t size() const { return events_.size(); }

  // The answer to `watch` from a replica that has applied through `applied`
  // (kv_command.h, Watch).
  Result answer(const Watch& watch, uint64_t applied) const;
  // Whether answer(watch, applied) would report something — kCompacted, or
  // at least one change — without building the answer. REQUIRES: no change
  // `watch` covers lies in (watch.after_revision, quiet_through], and
  // watch.after_revision <= quiet_through. A watch parked with nothing to
  // report asks this on every apply with the revision it has looked through
  // (its empty answer's index, then each applied index it found nothing
  // at), so only the changes after that are looked at, newest first. It is
  // exact because kCompacted is judged on watch.after_revision itself, and
  // while that is not compacted every change after it is still held.
  bool would_report(const Watch& watch, uint64_t quiet_through) const;

 private:
  void drop_oldest();

  std::deque<WatchEvent> events_;  // non-descending revisions
  size_t bytes_ = 0;
  uint64_t compacted_through_ = 0;
};

}  // namespace shoal::kv
