// `watch-delivery`: every watcher receives exactly the committed changes it
// asked for, in revision order, with no gaps (DESIGN.md §5: "watches on a key
// or prefix from a revision, in order, no gaps").
//
// `committed` is the store's change history: one event per revision that
// changed a key, revisions strictly increasing (they are Raft log indexes, so
// gaps between them are normal). It must reach at least as far as every
// watch's observed_through. Each WatchLog is what one watch delivered, in the
// order the watcher received it. Per watch, the checker judges:
// * order: revisions strictly increase; a revision delivered twice is a
//   "duplicate", one below an earlier delivery is "out-of-order";
// * content: the revision was committed ("not-committed" otherwise), the
//   event equals the committed one in key, kind and value ("wrong-content"),
//   its key is one the watch covers ("not-watched"), and its revision is at or
//   above start_revision ("before-start");
// * completeness: every committed event the watch covers with
//   start_revision <= revision <= observed_through was delivered ("gap"; one
//   violation per run of consecutive missing events).
// A watch that ended with a compacted error is judged by this rule: its
// resume point, the revision it needed next (one past its last delivered
// revision, or start_revision when nothing was delivered), must be below
// compacted_at, or the error is "bad-compacted". The store compacts
// revisions, not keys, so the error is allowed even when no event the watch
// covers lies between the resume point and compacted_at. Such a watch owes
// no events at or past its resume point, but everything it covers from
// start_revision up to its last delivered revision must have arrived ("gap").
// A committed history whose revisions do not strictly increase cannot be
// judged and is reported as "bad-history". Every violation's text starts with
// its kind and a colon. Pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

struct KeyEvent {
  enum class Kind { kPut, kDelete };
  uint64_t revision = 0;
  std::string key;
  Kind kind = Kind::kPut;
  std::optional<std::string> value;  // none for a delete
};

struct WatchSpec {
  size_t watcher = 0;
  std::string key_or_prefix;
  bool prefix = false;  // true: every key starting with key_or_prefix ("" covers all keys)
  uint64_t start_revision = 0;
};

struct DeliveredEvent {
  uint64_t revision = 0;
  std::string key;
  KeyEvent::Kind kind = KeyEvent::Kind::kPut;
  std::optional<std::string> value;
  int64_t at_ns = 0;  // when the watcher received it, for the report
};

struct WatchLog {
  WatchSpec spec;
  std::vector<DeliveredEvent> delivered;  // in the order received
  // The watch ended with a typed "compacted" error: the store could no
  // longer serve events below compacted_at.
  bool compacted_error = false;
  uint64_t compacted_at = 0;
  // The highest revision the watcher knows the store had reached when it
  // stopped (e.g. the store's revision at the end of the run); without a
  // compacted error, every covered event up to it must have been delivered.
  uint64_t observed_through = 0;
};

// Whether `spec` covers `key`.
bool watch_covers(const WatchSpec& spec, const std::string& key);

// The message counts the watches and the delivered events judged, so a
// caller can require more than zero of each.
CheckResult check_watch_delivery(const std::vector<KeyEvent>& committed, const std::vector<WatchLog>& watches);

}  // namespace shoal::check
