// Replies match the log: every result a client was given is the result the
// replicated state machine really produced. A store answers a write with a
// result (a CAS's comparison, "not found" for a delete) and the index of the
// log entry that carried it; the harness knows the committed log and what
// applying each entry gave. A reply is invented when
//   * the entry it names never committed, or holds another client's command
//     (the write was lost, yet reported done), or
//   * applying the entry gave another result than the client was told.
// Writes whose promise allows loss (leader-level writes the leader accepted
// before commit) may be lost without a violation — the loss is counted — but
// a result they report must still be the real one.
//
// This judges what no history checker can see: a history checker only sees
// what clients were told, so a result that is wrong but consistent with some
// order of events (a CAS reported applied whose write was later overwritten)
// passes it. Pure function.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

// What one reply told its client about a write.
struct ReplyClaim {
  size_t op = 0;         // the operation's index in the history
  uint64_t index = 0;    // the log entry the reply named
  uint64_t client = 0;   // who sent the write (its session id)
  // The result the client was given, in the state machine's own words;
  // nullopt when the reply carried none (accepted before apply).
  std::optional<std::string> result;
  bool may_be_lost = false;  // its level allows loss (counted, not failed)
};

// What the committed log holds at an index, and what applying it gave.
struct LogRecord {
  uint64_t client = 0;  // whose command the entry carries; 0 for none (a no-op)
  std::string result;   // the result of applying it, as ReplyClaim::result words it
};

struct ReplyAudit {
  CheckResult check;
  size_t claims = 0;      // replies judged
  size_t lost = 0;        // replies whose write was lost where loss is allowed
};

// `log_at(i)` is the committed entry at index i, or nullptr when nothing
// committed there (yet).
ReplyAudit check_replies_match_log(const History& history, const std::vector<ReplyClaim>& claims,
                                   const std::function<const LogRecord*(uint64_t)>& log_at);

}  // namespace shoal::check
