// CacheInvalidator: cache invalidations between applications, through a KV
// group and its watches.
//
// A channel is one KV key, "inv/<channel>". publish() writes an
// invalidation (invalidation.h) as a put of its encoding to that key; every
// put is a change with a revision of its own, so a watch on the key
// delivers each invalidation once, in revision order, and nothing grows in
// the store however many are published (each replaces the last; the watch
// history keeps the recent ones). subscribe() follows a channel with a
// WatchClient from a revision on and hands each invalidation to the
// application with its revision — the revision a cache compares its read
// revisions with (local_cache.h). Revisions are the group's log indexes,
// shared by every key, so an invalidation published after a data write
// acknowledged at index W has a revision above W.
//
// A change the subscriber cannot read as an invalidation — a delete of the
// channel key, bytes that do not decode — is delivered as the conservative
// Invalidation{"*", glob} (everything), and counted. When every node has
// compacted past the revision a subscription needs, the subscription ends
// and on_compacted(R) runs: invalidations up to R may have been missed, so
// the application treats everything read before R as invalid
// (LocalCache::invalidate_all) and subscribes again after R.
//
// Statistics per channel (at most kChannelStatsMax channels; publishes to
// further channels are counted under the name "").
//
// Callbacks run on the event loop, never inside the call that caused them.
// A callback may subscribe or unsubscribe (any channel): a subscription's
// WatchClient is destroyed only later, from a timer of its own. One publish
// at a time, on a KvClient that is not busy. Single-threaded.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "engine/client/invalidation.h"
#include "engine/client/kv_client.h"
#include "engine/client/watch_client.h"
#include "engine/env/env.h"

namespace shoal {

inline constexpr size_t kChannelBytesMax = 256;
inline constexpr std::string_view kChannelKeyPrefix = "inv/";
inline constexpr size_t kSubscriptionsMax = 64;
inline constexpr size_t kChannelStatsMax = 1024;

// The KV key of a channel.
std::string channel_key(std::string_view channel);

struct CacheInvalidatorOptions {
  std::vector<NodeId> nodes;  // the group's nodes, for subscriptions
  uint32_t group = 0;
  Duration watch_wait = seconds(1);             // how long a node may hold a poll
  Duration watch_retry_backoff = milliseconds(50);
};

struct ChannelStats {
  uint64_t sent = 0;         // publishes the store acknowledged (or a leader-level write accepted)
  uint64_t send_failed = 0;  // publishes that failed or whose outcome is unknown
  uint64_t delivered = 0;    // invalidations handed to a subscriber, the conservative ones included
  uint64_t undecodable = 0;  // changes delivered as "everything" because they were not invalidations
  uint64_t compacted = 0;    // subscriptions that ended compacted
};

class CacheInvalidator {
 public:
  using PublishCallback = std::function<void(const KvOpResult&)>;
  using OnInvalidation = std::function<void(const Invalidation&, uint64_t revision)>;
  using OnCompacted = std::function<void(uint64_t oldest_revision)>;
  using OnChange = std::function<void(const kv::WatchEvent&)>;

  // Subscriptions call through `rpc`, the process's one Rpc (the KvClient's
  // too, best). `kv` is the session publish() writes through; null for an
  // invalidator that only subscribes. REQUIRES: both outlive this object.
  CacheInvalidator(Env& env, Rpc& rpc, CacheInvalidatorOptions options, KvClient* kv);
  ~CacheInvalidator();
  CacheInvalidator(const CacheInvalidator&) = delete;
  CacheInvalidator& operator=(const CacheInvalidator&) = delete;

  // Puts the invalidation on the channel. InvalidArgument (and `done` never
  // runs) for a channel of other than 1..kChannelBytesMax bytes or a
  // malformed invalidation; otherwise `done` runs later, exactly once, with
  // the put's outcome (kOk with code kOk: published at index `index`).
  // REQUIRES: a KvClient was given, and it is not busy.
  absl::Status publish(std::string_view channel, const Invalidation& inv, PublishCallback done);

  // Follows the channel from after `after_revision`. `on_change`, when set,
  // sees every change to the channel key as the watch delivered it, before
  // it is read (for audits). InvalidArgument for a bad channel;
  // FailedPrecondition when the channel is already followed by a running
  // subscription, or kSubscriptionsMax are.
  absl::Status subscribe(std::string_view channel, uint64_t after_revision, OnInvalidation on_invalidation,
                         OnCompacted on_compacted, OnChange on_change = nullptr);
  // Stops following the channel (nothing more is delivered); false when it was not followed.
  bool unsubscribe(std::string_view channel);

  // Every invalidation on the channel up to here has been delivered (0 when not followed).
  uint64_t revision(std::string_view channel) const;
  // The statistics of one channel (zeros for one never used), and of all.
  ChannelStats stats(std::string_view channel) const;
  const std::map<std::string, ChannelStats, std::less<>>& all_stats() const { return stats_; }

 private:
  struct Subscription;

  ChannelStats& stats_of(std::string_view channel);
  void deliver(Subscription& s, const kv::WatchEvent& e);
  void on_ended(Subscription& s, uint64_t oldest_revision);
  void reap();

  Env& env_;
  Rpc& rpc_;
  CacheInvalidatorOptions options_;
  KvClient* kv_;
  std::map<std::string, std::unique_ptr<Subscription>, std::less<>> subscriptions_;
  // Subscriptions taken out of subscriptions_ (unsubscribed, or ended
  // compacted) wait here until reap() runs from reap_timer_, outside every
  // callback of theirs.
  std::vector<std::unique_ptr<Subscription>> retired_;
  TimerSlot reap_timer_;
  std::map<std::string, ChannelStats, std::less<>> stats_;
};

}  // namespace shoal
