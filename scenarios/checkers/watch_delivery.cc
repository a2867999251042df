#include "scenarios/checkers/watch_delivery.h"

#include <algorithm>
#include <map>
#include <set>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::str_cat;

// The committed history, looked up by revision and by key.
class Committed {
 public:
  explicit Committed(const std::vector<KeyEvent>& events) : events_(events) {
    for (const KeyEvent& e : events_) by_key_[e.key].push_back(e.revision);
  }

  // The event committed at `revision`, or null. REQUIRES: revisions strictly increase.
  const KeyEvent* at(uint64_t revision) const {
    auto it = std::lower_bound(events_.begin(), events_.end(), revision,
                               [](const KeyEvent& e, uint64_t r) { return e.revision < r; });
    return it != events_.end() && it->revision == revision ? &*it : nullptr;
  }

  // The revisions in [lo, hi] of the events `spec` covers, ascending.
  std::vector<uint64_t> covered(const WatchSpec& spec, uint64_t lo, uint64_t hi) const {
    std::vector<uint64_t> out;
    if (lo > hi) return out;
    auto add_key = [&](const std::vector<uint64_t>& revisions) {
      auto first = std::lower_bound(revisions.begin(), revisions.end(), lo);
      auto last = std::upper_bound(revisions.begin(), revisions.end(), hi);
      out.insert(out.end(), first, last);
    };
    if (!spec.prefix) {
      auto it = by_key_.find(spec.key_or_prefix);
      if (it != by_key_.end()) add_key(it->second);
      return out;
    }
    // Keys sharing a prefix are contiguous in the map's order.
    for (auto it = by_key_.lower_bound(spec.key_or_prefix);
         it != by_key_.end() && it->first.starts_with(spec.key_or_prefix); ++it) {
      add_key(it->second);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  const std::vector<KeyEvent>& events_;
  std::map<std::string, std::vector<uint64_t>> by_key_;  // key -> its revisions, ascending
};

const char* kind_name(KeyEvent::Kind kind) { return kind == KeyEvent::Kind::kPut ? "put" : "delete"; }

std::string describe_value(const std::optional<std::string>& value) {
  return value ? str_cat("\"", internal::snippet(*value), "\"") : std::string("none");
}

std::string describe_watch(size_t w, const WatchSpec& spec) {
  return str_cat("watch #", w, " (watcher ", spec.watcher, ", ", spec.prefix ? "prefix" : "key", " \"",
                 internal::snippet(spec.key_or_prefix), "\" from ", spec.start_revision, ")");
}

// Reports the first place where revisions do not strictly increase.
bool history_ordered(const std::vector<KeyEvent>& committed, CheckResult& r) {
  for (size_t i = 1; i < committed.size(); ++i) {
    if (committed[i].revision > committed[i - 1].revision) continue;
    r.add({str_cat("bad-history: committed event #", i, " has revision ", committed[i].revision,
                   ", not above the previous event's ", committed[i - 1].revision),
           {}});
    return false;
  }
  return true;
}

// Judges one delivered event against the committed one at its revision.
void judge_content(const std::string& watch, const WatchSpec& spec, const DeliveredEvent& d,
                   const Committed& committed, CheckResult& r) {
  const std::string at = str_cat(watch, " revision ", d.revision, " at ", d.at_ns, "ns");
  if (d.revision < spec.start_revision) r.add({str_cat("before-start: ", at, " is below the start revision"), {}});
  if (!watch_covers(spec, d.key)) {
    r.add({str_cat("not-watched: ", at, " is on key \"", internal::snippet(d.key), "\", outside the watch"), {}});
  }
  const KeyEvent* c = committed.at(d.revision);
  if (c == nullptr) {
    r.add({str_cat("not-committed: ", at, " was never committed"), {}});
    return;
  }
  if (c->key == d.key && c->kind == d.kind && c->value == d.value) return;
  r.add({str_cat("wrong-content: ", at, " delivered ", kind_name(d.kind), " \"", internal::snippet(d.key), "\" ",
                 describe_value(d.value), " but committed ", kind_name(c->kind), " \"", internal::snippet(c->key),
                 "\" ", describe_value(c->value)),
         {}});
}

// Judges the order and content of one watch's deliveries; returns the
// revisions delivered.
std::set<uint64_t> judge_deliveries(const std::string& watch, const WatchLog& log, const Committed& committed,
                                    CheckResult& r) {
  std::set<uint64_t> delivered;
  uint64_t highest = 0;
  for (size_t i = 0; i < log.delivered.size(); ++i) {
    const DeliveredEvent& d = log.delivered[i];
    if (!delivered.insert(d.revision).second) {
      r.add({str_cat("duplicate: ", watch, " delivered revision ", d.revision, " again (delivery #", i, ")"), {}});
      continue;
    }
    if (i > 0 && d.revision < highest) {
      r.add({str_cat("out-of-order: ", watch, " delivered revision ", d.revision, " after revision ", highest,
                     " (delivery #", i, ")"),
             {}});
    }
    highest = std::max(highest, d.revision);
    judge_content(watch, log.spec, d, committed, r);
  }
  return delivered;
}

// The last revision the watch owes every covered event up to (it owes
// nothing when this is below start_revision), after judging its compacted
// error if it has one.
uint64_t owed_through(const std::string& watch, const WatchLog& log, const std::set<uint64_t>& delivered,
                      CheckResult& r) {
  if (!log.compacted_error) return log.observed_through;
  const uint64_t resume = delivered.empty() ? log.spec.start_revision : *delivered.rbegin() + 1;
  if (resume >= log.compacted_at) {
    r.add({str_cat("bad-compacted: ", watch, " ended compacted at ", log.compacted_at, " though it needed revision ",
                   resume, " next, which was not compacted"),
           {}});
  }
  // Everything before the resume point must have arrived; at or past it the
  // watch ended, so it owes nothing more.
  return resume == 0 ? 0 : resume - 1;
}

// Reports each run of consecutive covered events the watch did not deliver.
void judge_gaps(const std::string& watch, const WatchLog& log, const std::set<uint64_t>& delivered,
                const Committed& committed, CheckResult& r) {
  const uint64_t through = owed_through(watch, log, delivered, r);
  const std::vector<uint64_t> owed = committed.covered(log.spec, log.spec.start_revision, through);
  for (size_t i = 0; i < owed.size();) {
    if (delivered.count(owed[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end + 1 < owed.size() && !delivered.count(owed[end + 1])) ++end;
    r.add({str_cat("gap: ", watch, " missed ", end - i + 1, " committed event(s), revisions ", owed[i], "..",
                   owed[end], " (owed through ", through, ")"),
           {}});
    i = end + 1;
  }
}

}  // namespace

bool watch_covers(const WatchSpec& spec, const std::string& key) {
  return spec.prefix ? key.starts_with(spec.key_or_prefix) : key == spec.key_or_prefix;
}

CheckResult check_watch_delivery(const std::vector<KeyEvent>& committed, const std::vector<WatchLog>& watches) {
  CheckResult r;
  size_t judged = 0;
  size_t events = 0;
  if (history_ordered(committed, r)) {
    judged = watches.size();
    const Committed index(committed);
    for (size_t w = 0; w < watches.size(); ++w) {
      const std::string watch = describe_watch(w, watches[w].spec);
      const std::set<uint64_t> delivered = judge_deliveries(watch, watches[w], index, r);
      judge_gaps(watch, watches[w], delivered, index, r);
      events += watches[w].delivered.size();
    }
  }
  r.summarise("watch-delivery", judged, str_cat("watches, ", events, " delivered events"));
  r.name = "watch-delivery";
  return r;
}

}  // namespace shoal::check
