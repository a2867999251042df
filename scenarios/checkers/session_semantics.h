// `session-semantics`: the TTL session store behaves like one session table
// that applies commands in Raft log order (DESIGN.md §5: TTLs expire because
// a leader proposed an expiry with a timestamp, never by a replica's clock).
//
// `events` are the commands as the state machine first applied them (the
// simulator's first-apply observer), in log order with strictly increasing
// indexes; `applied` says whether the state machine accepted the command
// (false: refused, e.g. a touch of an absent session; a refused command
// changes nothing and is not judged). The checker replays the accepted ones
// through a model (id -> owner, live or how it ended) and judges:
// * lifecycle: a create of a live id is "create-of-live"; an expiry of a
//   session that had already expired is "double-expiry", of one that was
//   deleted is "expire-after-delete"; a touch, update, extend or expiry of an
//   id never created is "applied-to-absent"; a touch, update or extend of a
//   session that expired or was deleted (at a lower index, and not created
//   again since) is "resurrection";
// * expiry order: accepted expiries carry non-decreasing leader_time_ms in
//   log order ("expiry-out-of-order");
// * reads: each read is judged against the model at its served_index (the
//   events with index <= served_index), not at its real time, so a stale
//   follower read is judged at the point it claims to reflect; whether that
//   point was fresh enough is the read-level checkers' concern. get and
//   exists find the id iff it is live ("read-disagrees", or "resurrection"
//   when it found a session that had ended); by_user lists exactly the live
//   sessions of that user: one missing is "by-user-incomplete", a session of
//   another user or an unknown id is "by-user-foreign" (isolation), one of the
//   user's ended sessions is "resurrection", an id listed twice is
//   "read-disagrees"; count equals the live sessions ("read-disagrees"),
//   and a count read's counters equal the model's: creates, expiries and
//   sessions deleted so far, users with a live session and the per-user
//   distribution ("stats-disagrees").
// A delete (by id or by user) ends what is live and is otherwise lenient:
// deleting an absent id changes nothing. Event indexes that do not strictly
// increase cannot be judged and are "bad-history". Every violation's text
// starts with its kind and a colon. Pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

struct SessionEvent {
  enum class Kind { kCreate, kTouch, kUpdate, kDelete, kExpire, kDeleteByUser, kExtend };
  uint64_t index = 0;  // the command's Raft log index
  Kind kind = Kind::kCreate;
  std::string id;              // empty for kDeleteByUser
  std::string user;            // kCreate: the owner; kDeleteByUser: whose sessions; otherwise unused
  int64_t leader_time_ms = 0;  // kExpire: the timestamp the leader proposed it with
  bool applied = true;         // false when the state machine refused the command
};

struct SessionRead {
  enum class Kind { kGet, kExists, kByUser, kCount };
  size_t client = 0;
  int64_t invoke_ns = 0;
  int64_t complete_ns = 0;
  uint64_t served_index = 0;  // the state machine's applied index the read was served at
  Kind kind = Kind::kGet;
  std::string id_or_user;        // kGet, kExists: the id; kByUser: the user; kCount: unused
  bool found = false;            // kGet, kExists
  std::vector<std::string> ids;  // kByUser
  uint64_t count = 0;            // kCount
  // kCount, when the read reported them: the group's counts since it began
  // (creates, expiries, sessions ended by a delete or a logout), the users
  // with a live session, and (live sessions per user, users with that many)
  // ascending.
  struct Counters {
    uint64_t created = 0, expired = 0, deleted = 0, users = 0;
    std::vector<std::pair<uint64_t, uint64_t>> per_user;
  };
  std::optional<Counters> counters;
};

// The message counts the events and the reads judged, so a caller can
// require more than zero of each.
CheckResult check_session_semantics(const std::vector<SessionEvent>& events, const std::vector<SessionRead>& reads);

}  // namespace shoal::check
