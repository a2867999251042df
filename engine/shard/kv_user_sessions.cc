// The user-session commands and reads of KvStateMachine (kv_command.h has
// their contract).
//
// A session lives from its create until a delete (by id or by user) or the
// leader's expiry of its current lease reaches the log; every touch, update
// or extension renews the lease (lease_index = that command's index). As for
// locks, nothing here reads a clock: an expiry names the lease it ends and
// applies only if that lease is still current, so a renewal that reached the
// log first wins, and a session that ended is gone — a later touch finds
// nothing to bring back.
#include <map>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/planted.h"
#include "engine/shard/kv_state_machine.h"

namespace shoal::kv {
namespace {

Result with_session(Result r, const SessionInfo& s) {
  r.sessions.push_back(s);
  return r;
}

// `into` with `changes` merged in (a key given replaces the old value);
// nullopt when the result would be over the limits.
std::optional<SessionData> merged(const SessionData& into, const SessionData& changes) {
  std::map<std::string, std::string> m(into.begin(), into.end());
  for (const auto& [k, v] : changes) m[k] = v;
  if (m.size() > kMaxSessionDataEntries) return std::nullopt;
  size_t bytes = 0;
  for (const auto& [k, v] : m) bytes += k.size() + v.size();
  if (bytes > kMaxSessionDataBytes) return std::nullopt;
  return SessionData(m.begin(), m.end());
}

}  // namespace

Result KvStateMachine::apply_session(uint64_t index, const Write& write) {
  return std::visit(
      [this, index](const auto& op) -> Result {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, SessionCreate>) {
          return create_session(index, op);
        } else if constexpr (std::is_same_v<T, SessionDeleteByUser>) {
          Result r = make_result(Code::kOk, index);
          for (const std::string& id : state_.user_session_ids(op.user)) {
            r.sessions.push_back(*state_.user_session(id));
            state_.erase_user_session(id);
          }
          KvState::Counters c = state_.counters();
          c.deleted += r.sessions.size();
          state_.set_counters(c);
          return r;
        } else if constexpr (std::is_same_v<T, SessionTouch> || std::is_same_v<T, SessionUpdate> ||
                             std::is_same_v<T, SessionExtend> || std::is_same_v<T, SessionDelete> ||
                             std::is_same_v<T, SessionExpire>) {
          const SessionInfo* live = state_.user_session(op.id);
          if constexpr (std::is_same_v<T, SessionTouch>) {
            if (live == nullptr && planted_bug() == PlantedBug::kSessionTouchResurrects) {
              SessionInfo back{op.id, "?", {}, 1000, index, index};
              state_.set_user_session(back);
              return with_session(make_result(Code::kOk, index), back);
            }
          }
          if (live == nullptr) {
            return make_result(std::is_same_v<T, SessionExpire> ? Code::kNotHolder : Code::kNotFound, index,
                               absl::StrCat("no live session ", op.id));
          }
          return change_session(index, *live, op);
        } else {
          SHOAL_ASSERT(false);  // apply_guarded sends only session writes here
          return make_result(Code::kError, index);
        }
      },
      write);
}

Result KvStateMachine::create_session(uint64_t index, const SessionCreate& op) {
  if (const SessionInfo* live = state_.user_session(op.id)) {
    return with_session(make_result(Code::kExists, index, absl::StrCat("session ", op.id, " is live")), *live);
  }
  if (state_.user_session_count(op.user) >= kMaxSessionsPerUser) {
    return make_result(Code::kError, index, absl::StrCat("user ", op.user, " has ", kMaxSessionsPerUser,
                                                         " live sessions, the limit"));
  }
  if (state_.user_sessions().size() >= kMaxUserSessions) {
    return make_result(Code::kError, index, absl::StrCat("the group holds ", kMaxUserSessions, " sessions, the limit"));
  }
  SessionInfo s{op.id, op.user, op.data, op.ttl_ms, index, index};
  state_.set_user_session(s);
  KvState::Counters c = state_.counters();
  ++c.created;
  state_.set_counters(c);
  return with_session(make_result(Code::kOk, index), s);
}

template <typename T>
Result KvStateMachine::change_session(uint64_t index, const SessionInfo& live, const T& op) {
  SessionInfo s = live;
  KvState::Counters c = state_.counters();
  if constexpr (std::is_same_v<T, SessionDelete>) {
    state_.erase_user_session(op.id);
    ++c.deleted;
    state_.set_counters(c);
    return with_session(make_result(Code::kOk, index), s);
  } else if constexpr (std::is_same_v<T, SessionExpire>) {
    if (s.lease_index != op.lease_index) {
      return make_result(Code::kNotHolder, index, "the session's lease was renewed before it expired");
    }
    if (op.leader_time_ms < c.last_expiry_ms) {
      return make_result(Code::kError, index,
                         absl::StrCat("expiry time ", op.leader_time_ms, " ms is before the last, ", c.last_expiry_ms));
    }
    state_.erase_user_session(op.id);
    ++c.expired;
    c.last_expiry_ms = op.leader_time_ms;
    state_.set_counters(c);
    return make_result(Code::kOk, index);
  } else {
    if constexpr (std::is_same_v<T, SessionUpdate>) {
      auto data = merged(s.data, op.data);
      if (!data) return make_result(Code::kError, index, "the merged session data would be over its limits");
      s.data = std::move(*data);
      if (op.ttl_ms != 0) s.ttl_ms = op.ttl_ms;
    } else if constexpr (std::is_same_v<T, SessionExtend>) {
      s.ttl_ms = op.ttl_ms;
    }
    s.lease_index = index;  // touch, update and extend all renew the lease
    state_.set_user_session(s);
    return with_session(make_result(Code::kOk, index), s);
  }
}

Result KvStateMachine::read_user_sessions(const Query& query) const {
  const uint64_t applied = state_.applied_index();
  if (const auto* get = std::get_if<SessionGet>(&query)) {
    const SessionInfo* s = state_.user_session(get->id);
    if (s == nullptr) return make_result(Code::kNotFound, applied, absl::StrCat("no live session ", get->id));
    return with_session(make_result(Code::kOk, applied), *s);
  }
  Result r = make_result(Code::kOk, applied);
  if (const auto* by = std::get_if<SessionsByUser>(&query)) {
    for (const std::string& id : state_.user_session_ids(by->user)) r.sessions.push_back(*state_.user_session(id));
    return r;
  }
  SessionStats stats;
  const KvState::Counters& c = state_.counters();
  stats.active = state_.user_sessions().size();
  stats.created = c.created;
  stats.expired = c.expired;
  stats.deleted = c.deleted;
  stats.users = state_.session_users();
  std::map<uint64_t, uint64_t> histogram;
  for (const auto& [user, n] : state_.sessions_per_user()) ++histogram[n];
  stats.per_user.assign(histogram.begin(), histogram.end());
  r.stats = std::move(stats);
  return r;
}

}  // namespace shoal::kv
