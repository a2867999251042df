// Shared by the KV state machine tests: a reference model written as plainly
// as possible (a std::map and a std::map of sessions, evicting by a linear
// scan), random command generators for RapidCheck, and printers so failures
// name the commands and results involved.
#pragma once

#include <rapidcheck.h>

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state_machine.h"

namespace shoal::kv {

inline std::ostream& operator<<(std::ostream& os, const Command& c) { return os << describe(c); }
inline std::ostream& operator<<(std::ostream& os, const Result& r) { return os << describe(r); }

namespace kv_test {

// The semantics of kv_state_machine.h, restated without any of its data
// structures: sessions evicted by count only (tests that use the model keep
// max_session_bytes at its default, far above what they remember).
class ModelKv {
 public:
  explicit ModelKv(size_t max_sessions) : max_sessions_(max_sessions) {}

  Result apply(uint64_t index, const Command& c) {
    applied_ = index;
    if (!c.session) return write(index, c.write);
    const uint64_t client = c.session->client_id;
    const uint64_t seq = c.session->sequence;
    auto it = sessions_.find(client);
    if (it != sessions_.end()) {
      if (seq == it->second.sequence) return it->second.result;
      if (seq < it->second.sequence) return Result{Code::kStaleSequence, std::nullopt, index, {}};
    } else if (seq != 1) {
      return Result{Code::kSessionExpired, std::nullopt, index, {}};
    }
    Result r = write(index, c.write);
    sessions_[client] = {seq, r};
    if (sessions_.size() > max_sessions_) {
      auto oldest = sessions_.begin();
      for (auto s = sessions_.begin(); s != sessions_.end(); ++s) {
        if (s->second.result.index < oldest->second.result.index) oldest = s;
      }
      sessions_.erase(oldest);
    }
    return r;
  }

  // A malformed entry: only the index moves.
  void skip(uint64_t index) { applied_ = index; }

  Result get(const std::string& key) const {
    auto it = data_.find(key);
    if (it == data_.end()) return Result{Code::kNotFound, std::nullopt, applied_, {}};
    return Result{Code::kOk, it->second, applied_, {}};
  }

  const std::map<std::string, std::string>& data() const { return data_; }
  size_t session_count() const { return sessions_.size(); }

 private:
  struct ModelSession {
    uint64_t sequence;
    Result result;
  };

  Result write(uint64_t index, const Write& w) {
    Result r{Code::kOk, std::nullopt, index, {}};
    if (const auto* put = std::get_if<Put>(&w)) {
      data_[put->key] = put->value;
    } else if (const auto* del = std::get_if<Delete>(&w)) {
      if (data_.erase(del->key) == 0) r.code = Code::kNotFound;
    } else if (const auto* cas = std::get_if<Cas>(&w)) {
      auto it = data_.find(cas->key);
      std::optional<std::string> current;
      if (it != data_.end()) current = it->second;
      if (current == cas->expected) {
        data_[cas->key] = cas->value;
      } else {
        r.code = Code::kCasFailed;
        r.value = current;
      }
    } else {
      const Append& app = std::get<Append>(w);
      data_[app.key] += app.suffix;
    }
    return r;
  }

  size_t max_sessions_;
  uint64_t applied_ = 0;
  std::map<std::string, std::string> data_;
  std::map<uint64_t, ModelSession> sessions_;
};

// Equal outcomes: everything but the wording of a message, which only has to
// be present when the code is one that explains itself.
inline bool same_outcome(const Result& a, const Result& b) {
  return a.code == b.code && a.value == b.value && a.index == b.index;
}

inline bool needs_message(Code code) {
  return code == Code::kError || code == Code::kStaleSequence || code == Code::kSessionExpired ||
         code == Code::kBehind;
}

// ---- Generators (call only inside a RapidCheck property) ---------------------

// Few keys and values, so that writes collide and CAS sometimes matches.
inline const std::vector<std::string>& keys() {
  static const std::vector<std::string> k = {"a", "b", "c", "key/d", std::string("\0e", 2)};
  return k;
}

inline std::string any_key() { return *rc::gen::elementOf(keys()); }

inline std::string any_value() {
  return *rc::gen::oneOf(rc::gen::element<std::string>("", "x", "y", "xy"),
                         rc::gen::container<std::string>(rc::gen::inRange<char>('a', 'e')));
}

inline Write any_write() {
  switch (*rc::gen::inRange(0, 4)) {
    case 0: return Put{any_key(), any_value()};
    case 1: return Delete{any_key()};
    case 2: {
      std::optional<std::string> expected;
      if (*rc::gen::inRange(0, 3) != 0) expected = any_value();
      return Cas{any_key(), expected, any_value()};
    }
    default: return Append{any_key(), any_value()};
  }
}

// Picks sessions that exercise every rule: mostly the client's next sequence,
// sometimes a retry of its last, sometimes anything (old, a gap, or a first
// sequence that is not 1), and sometimes no session at all.
class SessionPicker {
 public:
  explicit SessionPicker(uint64_t clients) : last_(clients + 1, 0) {}

  std::optional<Session> pick() {
    const uint64_t client = *rc::gen::inRange<uint64_t>(0, last_.size());
    if (client == 0) return std::nullopt;
    uint64_t seq = 0;
    switch (*rc::gen::inRange(0, 6)) {
      case 0: seq = last_[client] == 0 ? 1 : last_[client]; break;
      case 1: seq = *rc::gen::inRange<uint64_t>(1, 8); break;
      default: seq = last_[client] + 1; break;
    }
    last_[client] = std::max(last_[client], seq);
    return Session{client, seq};
  }

 private:
  std::vector<uint64_t> last_;  // by client id; 0 = no sequence sent yet
};

inline Command any_command(SessionPicker& sessions) { return Command{sessions.pick(), any_write()}; }

}  // namespace kv_test
}  // namespace shoal::kv
