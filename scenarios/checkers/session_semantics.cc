#include "scenarios/checkers/session_semantics.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::snippet;
using internal::str_cat;
using EventKind = SessionEvent::Kind;
using ReadKind = SessionRead::Kind;

const char* event_name(EventKind kind) {
  switch (kind) {
    case EventKind::kCreate: return "create";
    case EventKind::kTouch: return "touch";
    case EventKind::kUpdate: return "update";
    case EventKind::kDelete: return "delete";
    case EventKind::kExpire: return "expire";
    case EventKind::kDeleteByUser: return "delete-by-user";
    case EventKind::kExtend: return "extend";
  }
  return "?";
}

const char* read_name(ReadKind kind) {
  switch (kind) {
    case ReadKind::kGet: return "get";
    case ReadKind::kExists: return "exists";
    case ReadKind::kByUser: return "by-user";
    case ReadKind::kCount: return "count";
  }
  return "?";
}

enum class End { kNone, kExpired, kDeleted };

// What the model knows of one id: its latest owner, and how its latest
// session ended if it did.
struct Session {
  std::string user;
  bool live = false;
  End end = End::kNone;
  uint64_t ended_at = 0;  // the index of the expiry or delete that ended it
};

std::string ending(const Session& s) {
  return str_cat(s.end == End::kExpired ? "expired" : "was deleted", " at index ", s.ended_at);
}

// The session table replayed in log order.
class SessionModel {
 public:
  // REQUIRES: events come in increasing index order and were accepted.
  void apply(const std::string& at, const SessionEvent& e, CheckResult& r);
  // Judges a read against the table as it stands (at the read's served_index).
  void judge(const std::string& at, const SessionRead& read, CheckResult& r) const;

 private:
  void create(const std::string& at, const SessionEvent& e, CheckResult& r);
  void change(const std::string& at, const SessionEvent& e, CheckResult& r);
  void expire(const std::string& at, const SessionEvent& e, CheckResult& r);
  // PROMISES: true when it ended a live session.
  bool end(const std::string& id, End how, uint64_t index);
  void judge_counters(const std::string& at, const SessionRead& read, CheckResult& r) const;
  void judge_found(const std::string& at, const SessionRead& read, CheckResult& r) const;
  void judge_by_user(const std::string& at, const SessionRead& read, CheckResult& r) const;

  std::map<std::string, Session> sessions_;                    // id -> session
  std::map<std::string, std::set<std::string>> live_by_user_;  // user -> live ids
  size_t live_ = 0;
  uint64_t created_ = 0, expired_ = 0, deleted_ = 0;
  const SessionEvent* last_expiry_ = nullptr;  // the latest accepted expiry, for its order
};

void SessionModel::apply(const std::string& at, const SessionEvent& e, CheckResult& r) {
  switch (e.kind) {
    case EventKind::kCreate: return create(at, e, r);
    case EventKind::kTouch:
    case EventKind::kUpdate:
    case EventKind::kExtend: return change(at, e, r);
    case EventKind::kExpire: return expire(at, e, r);
    case EventKind::kDelete: end(e.id, End::kDeleted, e.index); return;
    case EventKind::kDeleteByUser: {
      auto it = live_by_user_.find(e.user);
      if (it == live_by_user_.end()) return;
      const std::set<std::string> ids = it->second;  // a copy: end() edits the set
      for (const std::string& id : ids) end(id, End::kDeleted, e.index);
      return;
    }
  }
}

void SessionModel::create(const std::string& at, const SessionEvent& e, CheckResult& r) {
  Session& s = sessions_[e.id];
  if (s.live) {
    r.add({str_cat("create-of-live: ", at, " created a live session (owned by \"", snippet(s.user), "\")"), {}});
    live_by_user_[s.user].erase(e.id);
    --live_;
  }
  s = Session{e.user, true, End::kNone, 0};
  live_by_user_[e.user].insert(e.id);
  ++live_;
  ++created_;
}

void SessionModel::change(const std::string& at, const SessionEvent& e, CheckResult& r) {
  auto it = sessions_.find(e.id);
  if (it == sessions_.end()) {
    r.add({str_cat("applied-to-absent: ", at, " was accepted for a session never created"), {}});
  } else if (!it->second.live) {
    r.add({str_cat("resurrection: ", at, " was accepted though the session ", ending(it->second)), {}});
  }
}

void SessionModel::expire(const std::string& at, const SessionEvent& e, CheckResult& r) {
  if (last_expiry_ != nullptr && e.leader_time_ms < last_expiry_->leader_time_ms) {
    r.add({str_cat("expiry-out-of-order: ", at, " carries leader time ", e.leader_time_ms,
                   "ms, before the expiry at index ", last_expiry_->index, " (", last_expiry_->leader_time_ms, "ms)"),
           {}});
  }
  last_expiry_ = &e;
  auto it = sessions_.find(e.id);
  if (it == sessions_.end()) {
    r.add({str_cat("applied-to-absent: ", at, " was accepted for a session never created"), {}});
  } else if (it->second.end == End::kExpired) {
    r.add({str_cat("double-expiry: ", at, " expired a session that already ", ending(it->second)), {}});
  } else if (it->second.end == End::kDeleted) {
    r.add({str_cat("expire-after-delete: ", at, " expired a session that ", ending(it->second)), {}});
  }
  if (end(e.id, End::kExpired, e.index)) ++expired_;
}

bool SessionModel::end(const std::string& id, End how, uint64_t index) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || !it->second.live) return false;
  Session& s = it->second;
  s.live = false;
  s.end = how;
  s.ended_at = index;
  live_by_user_[s.user].erase(id);
  --live_;
  if (how == End::kDeleted) ++deleted_;
  return true;
}

void SessionModel::judge(const std::string& at, const SessionRead& read, CheckResult& r) const {
  switch (read.kind) {
    case ReadKind::kGet:
    case ReadKind::kExists: return judge_found(at, read, r);
    case ReadKind::kByUser: return judge_by_user(at, read, r);
    case ReadKind::kCount:
      judge_counters(at, read, r);
      if (read.count == live_) return;
      r.add({str_cat("read-disagrees: ", at, " counted ", read.count, " sessions, but ", live_, " were live"), {}});
      return;
  }
}

void SessionModel::judge_counters(const std::string& at, const SessionRead& read, CheckResult& r) const {
  if (!read.counters) return;
  const SessionRead::Counters& c = *read.counters;
  std::map<uint64_t, uint64_t> per_user;
  uint64_t users = 0;
  for (const auto& [user, ids] : live_by_user_) {
    if (ids.empty()) continue;
    ++users;
    ++per_user[ids.size()];
  }
  const std::vector<std::pair<uint64_t, uint64_t>> want(per_user.begin(), per_user.end());
  if (c.created != created_ || c.expired != expired_ || c.deleted != deleted_) {
    r.add({str_cat("stats-disagrees: ", at, " counted ", c.created, " created, ", c.expired, " expired, ", c.deleted,
                   " deleted; the log has ", created_, ", ", expired_, ", ", deleted_),
           {}});
  } else if (c.users != users || c.per_user != want) {
    r.add({str_cat("stats-disagrees: ", at, " counted ", c.users, " users with live sessions (", c.per_user.size(),
                   " sizes); the log has ", users, " (", want.size(), " sizes)"),
           {}});
  }
}

void SessionModel::judge_found(const std::string& at, const SessionRead& read, CheckResult& r) const {
  auto it = sessions_.find(read.id_or_user);
  const bool live = it != sessions_.end() && it->second.live;
  if (read.found == live) return;
  if (!read.found) {
    r.add({str_cat("read-disagrees: ", at, " did not find a live session"), {}});
  } else if (it != sessions_.end()) {
    r.add({str_cat("resurrection: ", at, " found a session that ", ending(it->second)), {}});
  } else {
    r.add({str_cat("read-disagrees: ", at, " found a session never created"), {}});
  }
}

void SessionModel::judge_by_user(const std::string& at, const SessionRead& read, CheckResult& r) const {
  static const std::set<std::string> kNone;
  auto owned = live_by_user_.find(read.id_or_user);
  const std::set<std::string>& expected = owned == live_by_user_.end() ? kNone : owned->second;
  std::set<std::string> listed;
  for (const std::string& id : read.ids) {
    if (!listed.insert(id).second) {
      r.add({str_cat("read-disagrees: ", at, " lists \"", snippet(id), "\" twice"), {}});
    } else if (expected.count(id)) {
      continue;
    } else if (auto it = sessions_.find(id); it != sessions_.end() && it->second.user == read.id_or_user) {
      r.add({str_cat("resurrection: ", at, " lists \"", snippet(id), "\", which ", ending(it->second)), {}});
    } else {
      const std::string owner = it == sessions_.end() ? "no one" : str_cat("\"", snippet(it->second.user), "\"");
      r.add({str_cat("by-user-foreign: ", at, " lists \"", snippet(id), "\", a session of ", owner), {}});
    }
  }
  size_t missing = 0;
  const std::string* first = nullptr;
  for (const std::string& id : expected) {
    if (listed.count(id)) continue;
    if (missing++ == 0) first = &id;
  }
  if (missing == 0) return;
  r.add({str_cat("by-user-incomplete: ", at, " misses ", missing, " of ", expected.size(),
                 " live session(s), first \"", snippet(*first), "\""),
         {}});
}

std::string describe_event(size_t e, const SessionEvent& event) {
  const std::string subject = event.kind == EventKind::kDeleteByUser ? str_cat("user \"", snippet(event.user), "\"")
                                                                     : str_cat("\"", snippet(event.id), "\"");
  return str_cat("event #", e, " (index ", event.index, ") ", event_name(event.kind), " ", subject);
}

std::string describe_read(size_t i, const SessionRead& read) {
  const std::string subject = read.kind == ReadKind::kCount ? "" : str_cat(" \"", snippet(read.id_or_user), "\"");
  return str_cat("read #", i, " (client ", read.client, ", ", read_name(read.kind), subject, " served at index ",
                 read.served_index, ", completed at ", read.complete_ns, "ns)");
}

// Reports the first place where event indexes do not strictly increase.
bool indexes_increase(const std::vector<SessionEvent>& events, CheckResult& r) {
  for (size_t e = 1; e < events.size(); ++e) {
    if (events[e].index > events[e - 1].index) continue;
    r.add({str_cat("bad-history: ", describe_event(e, events[e]), " is not above the previous index ",
                   events[e - 1].index),
           {}});
    return false;
  }
  return true;
}

}  // namespace

CheckResult check_session_semantics(const std::vector<SessionEvent>& events, const std::vector<SessionRead>& reads) {
  CheckResult r;
  const bool judged = indexes_increase(events, r);
  if (judged) {
    // Reads in served_index order, so one replay serves them all.
    std::vector<size_t> order(reads.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return reads[a].served_index < reads[b].served_index; });
    SessionModel model;
    size_t e = 0;
    auto apply_through = [&](uint64_t index) {
      for (; e < events.size() && events[e].index <= index; ++e) {
        if (events[e].applied) model.apply(describe_event(e, events[e]), events[e], r);
      }
    };
    for (size_t i : order) {
      apply_through(reads[i].served_index);
      model.judge(describe_read(i, reads[i]), reads[i], r);
    }
    apply_through(UINT64_MAX);
  }
  const size_t reads_judged = judged ? reads.size() : 0;
  r.summarise("session-semantics", judged ? events.size() : 0, str_cat("events, ", reads_judged, " reads"));
  r.name = "session-semantics";
  return r;
}

}  // namespace shoal::check
