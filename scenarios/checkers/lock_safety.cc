#include "scenarios/checkers/lock_safety.h"

#include <algorithm>
#include <set>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::str_cat;

std::string ms(int64_t ns) { return str_cat(ns / 1'000'000, "ms"); }

// One lease: the grants of one token merged (a renewal by acquire-again
// keeps the token).
struct Lease {
  uint64_t token = 0;
  size_t client = 0;
  int64_t from = 0, until = 0;
  size_t first_record = 0;
};

std::map<std::string, std::vector<Lease>> leases_by_resource(const LockHistory& h) {
  std::map<std::string, std::map<uint64_t, Lease>> merged;
  for (size_t i = 0; i < h.leases.size(); ++i) {
    const LeaseRecord& r = h.leases[i];
    auto [it, fresh] = merged[r.resource].try_emplace(r.token, Lease{r.token, r.client, r.acquired_ns,
                                                                     r.held_until_ns, i});
    if (!fresh) {
      it->second.from = std::min(it->second.from, r.acquired_ns);
      it->second.until = std::max(it->second.until, r.held_until_ns);
    }
  }
  std::map<std::string, std::vector<Lease>> out;
  for (auto& [resource, by_token] : merged) {
    for (auto& [token, lease] : by_token) out[resource].push_back(lease);
  }
  return out;
}

}  // namespace

const char* to_string(FencedOutcome o) {
  switch (o) {
    case FencedOutcome::kOk: return "ok";
    case FencedOutcome::kFenced: return "fenced";
    case FencedOutcome::kFail: return "fail";
    case FencedOutcome::kUnknown: return "unknown";
  }
  return "?";
}

CheckResult check_lock_holders_disjoint(const LockHistory& h) {
  CheckResult r{"lock-holders-disjoint"};
  size_t judged = 0;
  for (auto& [resource, leases] : leases_by_resource(h)) {
    judged += leases.size();
    // In order of when each lease began, every lease must begin after the
    // latest end so far, and carry a higher token than the leases before.
    std::sort(leases.begin(), leases.end(), [](const Lease& a, const Lease& b) {
      return a.from != b.from ? a.from < b.from : a.token < b.token;
    });
    const Lease* reach = nullptr;  // the earlier lease that ends last
    for (const Lease& l : leases) {
      if (reach != nullptr && l.from <= reach->until) {
        r.add({str_cat("lock ", resource, ": client ", l.client, " held token ", l.token, " from ", ms(l.from),
                       " while client ", reach->client, " still held token ", reach->token, " (until ",
                       ms(reach->until), ")"),
               {}});
      } else if (reach != nullptr && l.token < reach->token) {
        r.add({str_cat("lock ", resource, ": token ", l.token, " (client ", l.client, ", from ", ms(l.from),
                       ") was held after token ", reach->token, ": tokens must grow as the lock changes hands"),
               {}});
      }
      if (reach == nullptr || l.until > reach->until) reach = &l;
    }
  }
  r.summarise("lock-holders-disjoint", judged, "leases");
  return r;
}

CheckResult check_stale_token_writes_refused(const LockHistory& h) {
  CheckResult r{"stale-token-writes-refused"};
  // Per resource, the acknowledgement times of grants in token order, so the
  // earliest acknowledged grant above a token is a suffix minimum.
  std::map<std::string, std::map<uint64_t, int64_t>> first_ack;
  for (const LeaseRecord& l : h.leases) {
    auto [it, fresh] = first_ack[l.resource].try_emplace(l.token, l.acquired_ns);
    if (!fresh) it->second = std::min(it->second, l.acquired_ns);
  }
  size_t judged = 0;
  for (const FencedWriteRecord& w : h.writes) {
    if (w.outcome != FencedOutcome::kOk) continue;
    ++judged;
    auto res = first_ack.find(w.resource);
    if (res == first_ack.end()) continue;
    for (auto it = res->second.upper_bound(w.token); it != res->second.end(); ++it) {
      if (it->second < w.invoke_ns) {
        r.add({str_cat("lock ", w.resource, ": client ", w.client, "'s write ", w.tag, " with token ", w.token,
                       " was sent at ", ms(w.invoke_ns), " and acknowledged ok, but token ", it->first,
                       " had been granted at ", ms(it->second)),
               {}});
        break;
      }
    }
  }
  r.summarise("stale-token-writes-refused", judged, "acknowledged fenced writes");
  return r;
}

CheckResult check_fenced_writes_in_token_order(const LockHistory& h) {
  CheckResult r{"fenced-writes-in-token-order"};
  std::map<std::string, const FencedWriteRecord*> by_tag;
  for (const FencedWriteRecord& w : h.writes) by_tag[w.tag] = &w;
  std::set<std::string> seen;
  size_t judged = 0;
  for (const auto& [resource, log] : h.final_logs) {
    uint64_t highest = 0;
    for (const FencedLogEntry& e : log) {
      ++judged;
      if (e.token < highest) {
        r.add({str_cat("lock ", resource, ": write ", e.tag, " with token ", e.token, " landed after a write with token ",
                       highest),
               {}});
      }
      highest = std::max(highest, e.token);
      auto w = by_tag.find(e.tag);
      if (w == by_tag.end() || w->second->resource != resource || w->second->token != e.token) {
        r.add({str_cat("lock ", resource, ": entry ", e.tag, " (token ", e.token, ") is no write made under that token"), {}});
      } else if (w->second->outcome == FencedOutcome::kFenced || w->second->outcome == FencedOutcome::kFail) {
        r.add({str_cat("lock ", resource, ": write ", e.tag, " was answered ", to_string(w->second->outcome),
                       " but is in the log"),
               {}});
      }
      if (!seen.insert(e.tag).second) r.add({str_cat("lock ", resource, ": write ", e.tag, " is in the log twice"), {}});
    }
  }
  for (const FencedWriteRecord& w : h.writes) {
    if (w.outcome == FencedOutcome::kOk && !seen.contains(w.tag)) {
      r.add({str_cat("lock ", w.resource, ": write ", w.tag, " with token ", w.token,
                     " was acknowledged ok but is not in the log"),
             {}});
    }
  }
  r.summarise("fenced-writes-in-token-order", judged, "log entries");
  return r;
}

std::vector<CheckResult> check_lock_safety(const LockHistory& h) {
  return {check_lock_holders_disjoint(h), check_stale_token_writes_refused(h), check_fenced_writes_in_token_order(h)};
}

std::string fenced_log_entry(uint64_t token, const std::string& tag) { return str_cat("t", token, ":", tag, ";"); }

bool parse_fenced_log(const std::string& text, std::vector<FencedLogEntry>* out, std::string* error) {
  size_t at = 0;
  while (at < text.size()) {
    const size_t colon = text.find(':', at), end = text.find(';', at);
    if (text[at] != 't' || colon == std::string::npos || end == std::string::npos || colon > end || colon == at + 1 ||
        end == colon + 1 || colon - at > 21) {
      *error = str_cat("malformed fenced-log entry at offset ", at);
      return false;
    }
    uint64_t token = 0;
    for (size_t i = at + 1; i < colon; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        *error = str_cat("malformed token at offset ", i);
        return false;
      }
      const auto digit = static_cast<uint64_t>(text[i] - '0');
      if (token > (UINT64_MAX - digit) / 10) {
        *error = str_cat("token too large at offset ", at);
        return false;
      }
      token = token * 10 + digit;
    }
    out->push_back({token, text.substr(colon + 1, end - colon - 1)});
    at = end + 1;
  }
  return true;
}

}  // namespace shoal::check
