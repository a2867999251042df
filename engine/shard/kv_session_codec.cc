#include "engine/shard/kv_session_codec.h"

#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"

namespace shoal::kv::session_codec {
namespace {

// Layouts (after the write's tag byte):
//   10 create  bytes id  bytes user  data  varint ttl_ms
//   11 touch   bytes id
//   12 update  bytes id  data  varint ttl_ms
//   13 extend  bytes id  varint ttl_ms
//   14 delete  bytes id
//   15 delete by user  bytes user
//   16 expire  bytes id  varint lease_index  varint leader_time_ms
//   data := varint count  count x (bytes key  bytes value)
//   info := bytes id  bytes user  data  varint ttl_ms  varint created_index  varint lease_index
//   stats := varint active created expired deleted users  varint n  n x (varint sessions  varint users)
constexpr uint8_t kCreate = 10, kTouch = 11, kUpdate = 12, kExtend = 13, kDelete = 14, kDeleteByUser = 15,
                  kExpire = 16;
static_assert(kExpire == kLastTag);

absl::Status invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

void write_data(Writer& w, const SessionData& data) {
  w.varint(data.size());
  for (const auto& [k, v] : data) {
    w.bytes(k);
    w.bytes(v);
  }
}

SessionData read_data(Reader& r) {
  SessionData data;
  const uint64_t n = r.varint();
  for (uint64_t i = 0; i < n && i <= kMaxSessionDataEntries && r.ok(); ++i) {
    std::string k = r.bytes();
    data.emplace_back(std::move(k), r.bytes());
  }
  return data;
}

absl::Status check_data(const SessionData& data) {
  if (data.size() > kMaxSessionDataEntries) {
    return invalid(absl::StrCat("session data has ", data.size(), " entries, more than ", kMaxSessionDataEntries));
  }
  size_t bytes = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i].first.empty()) return invalid("session data has an empty key");
    if (i > 0 && data[i].first <= data[i - 1].first) return invalid("session data keys are not ascending and unique");
    bytes += data[i].first.size() + data[i].second.size();
  }
  if (bytes > kMaxSessionDataBytes) {
    return invalid(absl::StrCat("session data has ", bytes, " bytes, more than ", kMaxSessionDataBytes));
  }
  return absl::OkStatus();
}

absl::Status check_ttl(uint64_t ttl_ms, bool zero_allowed) {
  if ((ttl_ms == 0 && !zero_allowed) || ttl_ms > kMaxSessionTtlMs) {
    return invalid(absl::StrCat("session ttl of ", ttl_ms, " ms is outside 1..", kMaxSessionTtlMs));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status check_name(const char* what, const std::string& name) {
  if (name.empty() || name.size() > kMaxSessionNameBytes) {
    return invalid(absl::StrCat("session ", what, " must have 1..", kMaxSessionNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

void write(Writer& w, const Write& write) {
  std::visit(
      [&w](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, SessionCreate>) {
          w.u8(kCreate);
          w.bytes(op.id);
          w.bytes(op.user);
          write_data(w, op.data);
          w.varint(op.ttl_ms);
        } else if constexpr (std::is_same_v<T, SessionTouch>) {
          w.u8(kTouch);
          w.bytes(op.id);
        } else if constexpr (std::is_same_v<T, SessionUpdate>) {
          w.u8(kUpdate);
          w.bytes(op.id);
          write_data(w, op.data);
          w.varint(op.ttl_ms);
        } else if constexpr (std::is_same_v<T, SessionExtend>) {
          w.u8(kExtend);
          w.bytes(op.id);
          w.varint(op.ttl_ms);
        } else if constexpr (std::is_same_v<T, SessionDelete>) {
          w.u8(kDelete);
          w.bytes(op.id);
        } else if constexpr (std::is_same_v<T, SessionDeleteByUser>) {
          w.u8(kDeleteByUser);
          w.bytes(op.user);
        } else if constexpr (std::is_same_v<T, SessionExpire>) {
          w.u8(kExpire);
          w.bytes(op.id);
          w.varint(op.lease_index);
          w.varint(op.leader_time_ms);
        } else {
          SHOAL_ASSERT(false);  // REQUIRES: a session write
        }
      },
      write);
}

Write read(uint8_t tag, Reader& r) {
  SHOAL_ASSERT(tag >= kFirstTag && tag <= kLastTag);
  std::string name = r.bytes();
  switch (tag) {
    case kCreate: {
      SessionCreate c{std::move(name), r.bytes(), {}, 0};
      c.data = read_data(r);
      c.ttl_ms = r.varint();
      return c;
    }
    case kTouch: return SessionTouch{std::move(name)};
    case kUpdate: {
      SessionUpdate u{std::move(name), read_data(r), 0};
      u.ttl_ms = r.varint();
      return u;
    }
    case kExtend: return SessionExtend{std::move(name), r.varint()};
    case kDelete: return SessionDelete{std::move(name)};
    case kDeleteByUser: return SessionDeleteByUser{std::move(name)};
    default: {
      SessionExpire e{std::move(name), r.varint(), 0};
      e.leader_time_ms = r.varint();
      return e;
    }
  }
}

absl::Status check(const Write& write) {
  return std::visit(
      [](const auto& op) -> absl::Status {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, SessionDeleteByUser>) {
          return check_name("user", op.user);
        } else if constexpr (std::is_same_v<T, SessionCreate>) {
          if (auto st = check_name("id", op.id); !st.ok()) return st;
          if (auto st = check_name("user", op.user); !st.ok()) return st;
          if (auto st = check_data(op.data); !st.ok()) return st;
          return check_ttl(op.ttl_ms, false);
        } else if constexpr (std::is_same_v<T, SessionUpdate>) {
          if (auto st = check_name("id", op.id); !st.ok()) return st;
          if (auto st = check_data(op.data); !st.ok()) return st;
          return check_ttl(op.ttl_ms, true);
        } else if constexpr (std::is_same_v<T, SessionExtend>) {
          if (auto st = check_name("id", op.id); !st.ok()) return st;
          return check_ttl(op.ttl_ms, false);
        } else if constexpr (std::is_same_v<T, SessionExpire>) {
          if (auto st = check_name("id", op.id); !st.ok()) return st;
          return op.lease_index == 0 ? invalid("session expiry of lease index 0") : absl::OkStatus();
        } else if constexpr (std::is_same_v<T, SessionTouch> || std::is_same_v<T, SessionDelete>) {
          return check_name("id", op.id);
        } else {
          SHOAL_ASSERT(false);  // REQUIRES: a session write
          return absl::OkStatus();
        }
      },
      write);
}

std::string describe(const Write& write) {
  return std::visit(
      [](const auto& op) -> std::string {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, SessionCreate>) {
          return absl::StrCat("session_create(", op.id, ", user ", op.user, ", ", op.data.size(), " entries, ",
                              op.ttl_ms, "ms)");
        } else if constexpr (std::is_same_v<T, SessionTouch>) {
          return absl::StrCat("session_touch(", op.id, ")");
        } else if constexpr (std::is_same_v<T, SessionUpdate>) {
          return absl::StrCat("session_update(", op.id, ", ", op.data.size(), " entries, ", op.ttl_ms, "ms)");
        } else if constexpr (std::is_same_v<T, SessionExtend>) {
          return absl::StrCat("session_extend(", op.id, ", ", op.ttl_ms, "ms)");
        } else if constexpr (std::is_same_v<T, SessionDelete>) {
          return absl::StrCat("session_delete(", op.id, ")");
        } else if constexpr (std::is_same_v<T, SessionDeleteByUser>) {
          return absl::StrCat("session_delete_by_user(", op.user, ")");
        } else if constexpr (std::is_same_v<T, SessionExpire>) {
          return absl::StrCat("session_expire(", op.id, ", lease @", op.lease_index, ", leader time ",
                              op.leader_time_ms, "ms)");
        } else {
          return "?";
        }
      },
      write);
}

void write_info(Writer& w, const SessionInfo& s) {
  w.bytes(s.id);
  w.bytes(s.user);
  write_data(w, s.data);
  w.varint(s.ttl_ms);
  w.varint(s.created_index);
  w.varint(s.lease_index);
}

SessionInfo read_info(Reader& r) {
  SessionInfo s;
  s.id = r.bytes();
  s.user = r.bytes();
  s.data = read_data(r);
  s.ttl_ms = r.varint();
  s.created_index = r.varint();
  s.lease_index = r.varint();
  return s;
}

absl::Status check_info(const SessionInfo& s) {
  if (auto st = check_name("id", s.id); !st.ok()) return st;
  if (auto st = check_name("user", s.user); !st.ok()) return st;
  if (auto st = check_data(s.data); !st.ok()) return st;
  if (s.created_index == 0 || s.lease_index < s.created_index) return invalid("session with impossible indexes");
  return check_ttl(s.ttl_ms, false);
}

void write_stats(Writer& w, const SessionStats& s) {
  for (uint64_t v : {s.active, s.created, s.expired, s.deleted, s.users}) w.varint(v);
  w.varint(s.per_user.size());
  for (const auto& [sessions, users] : s.per_user) {
    w.varint(sessions);
    w.varint(users);
  }
}

SessionStats read_stats(Reader& r) {
  SessionStats s;
  for (uint64_t* v : {&s.active, &s.created, &s.expired, &s.deleted, &s.users}) *v = r.varint();
  const uint64_t n = r.varint();
  for (uint64_t i = 0; i < n && i <= kMaxSessionsPerUser && r.ok(); ++i) {
    const uint64_t sessions = r.varint();
    s.per_user.emplace_back(sessions, r.varint());
  }
  return s;
}

}  // namespace shoal::kv::session_codec
