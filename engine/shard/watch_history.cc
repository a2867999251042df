#include "engine/shard/watch_history.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/shard/kv_state_machine.h"

namespace shoal::kv {
namespace {

constexpr size_t kEventOverheadBytes = 48;

size_t event_bytes(const WatchEvent& e) { return kEventOverheadBytes + e.key.size() + e.value.size(); }

bool matches(const Watch& w, const std::string& key) {
  return w.prefix ? key.compare(0, w.key.size(), w.key) == 0 : key == w.key;
}

}  // namespace

void WatchHistory::record(WatchEvent e) {
  SHOAL_ASSERT(e.revision > compacted_through_);
  SHOAL_ASSERT(events_.empty() || e.revision >= events_.back().revision);
  bytes_ += event_bytes(e);
  events_.push_back(std::move(e));
  while (events_.size() > kWatchHistoryEventsMax || bytes_ > kWatchHistoryBytesMax) drop_oldest();
}

void WatchHistory::drop_oldest() {
  SHOAL_ASSERT(!events_.empty());
  // A revision goes whole: a watch from just before it could not be answered
  // with only part of it.
  compacted_through_ = events_.front().revision;
  while (!events_.empty() && events_.front().revision == compacted_through_) {
    bytes_ -= event_bytes(events_.front());
    events_.pop_front();
  }
}

void WatchHistory::reset(uint64_t revision) {
  events_.clear();
  bytes_ = 0;
  compacted_through_ = revision;
}

Result WatchHistory::answer(const Watch& watch, uint64_t applied) const {
  if (watch.after_revision < compacted_through_) {
    return make_result(Code::kCompacted, compacted_through_,
                       absl::StrCat("changes up to revision ", compacted_through_,
                                    " are compacted on this replica; the watch asked after ", watch.after_revision));
  }
  Result r = make_result(Code::kOk, std::max(applied, watch.after_revision));
  auto it = std::upper_bound(events_.begin(), events_.end(), watch.after_revision,
                             [](uint64_t revision, const WatchEvent& e) { return revision < e.revision; });
  size_t bytes = 0;
  for (; it != events_.end(); ++it) {
    if (!matches(watch, it->key)) continue;
    const bool same_revision = !r.events.empty() && r.events.back().revision == it->revision;
    if (!same_revision && !r.events.empty() &&
        (r.events.size() >= watch.limit || bytes + event_bytes(*it) > kMaxWatchAnswerBytes)) {
      // Cut short: complete only through the last revision it lists. A
      // revision is never split, so the first one is listed whole even past
      // the limit (a txn's changes in one group are bounded: kMaxTxnKeys).
      r.index = r.events.back().revision;
      return r;
    }
    bytes += event_bytes(*it);
    r.events.push_back(*it);
  }
  return r;
}

bool WatchHistory::would_report(const Watch& watch, uint64_t quiet_through) const {
  SHOAL_ASSERT(watch.after_revision <= quiet_through);
  if (watch.after_revision < compacted_through_) return true;
  for (auto it = events_.rbegin(); it != events_.rend() && it->revision > quiet_through; ++it) {
    if (matches(watch, it->key)) return true;
  }
  return false;
}

}  // namespace shoal::kv
