#include "engine/client/cache_invalidator.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"

namespace shoal {

std::string channel_key(std::string_view channel) {
  std::string key(kChannelKeyPrefix);
  key.append(channel);
  return key;
}

namespace {

absl::Status check_channel(std::string_view channel) {
  if (channel.empty() || channel.size() > kChannelBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat("a channel name has 1..", kChannelBytesMax, " bytes"));
  }
  return absl::OkStatus();
}

// What a subscriber is given for a change it cannot read: every key.
const Invalidation& everything() {
  static const Invalidation all{"*", true, ""};
  return all;
}

}  // namespace

struct CacheInvalidator::Subscription {
  std::string channel;
  OnInvalidation on_invalidation;
  OnCompacted on_compacted;
  OnChange on_change;
  std::unique_ptr<WatchClient> watch;
};

CacheInvalidator::CacheInvalidator(Env& env, Rpc& rpc, CacheInvalidatorOptions options, KvClient* kv)
    : env_(env), rpc_(rpc), options_(std::move(options)), kv_(kv), reap_timer_(env.clock()) {}

CacheInvalidator::~CacheInvalidator() = default;

ChannelStats& CacheInvalidator::stats_of(std::string_view channel) {
  if (auto it = stats_.find(channel); it != stats_.end()) return it->second;
  // Past the bound, further channels share one line: the map stays bounded
  // whatever names an application makes up.
  if (stats_.size() >= kChannelStatsMax) return stats_[""];
  return stats_[std::string(channel)];
}

ChannelStats CacheInvalidator::stats(std::string_view channel) const {
  auto it = stats_.find(channel);
  return it == stats_.end() ? ChannelStats{} : it->second;
}

absl::Status CacheInvalidator::publish(std::string_view channel, const Invalidation& inv, PublishCallback done) {
  SHOAL_ASSERT(kv_ != nullptr);
  if (absl::Status s = check_channel(channel); !s.ok()) return s;
  if (absl::Status s = check_invalidation(inv); !s.ok()) return s;
  kv_->write(kv::Put{channel_key(channel), encode_invalidation(inv)},
             [this, name = std::string(channel), done = std::move(done)](const KvOpResult& r) {
               const bool sent = (r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kOk) ||
                                 r.outcome == OpOutcome::kAccepted;
               ChannelStats& st = stats_of(name);
               (sent ? st.sent : st.send_failed)++;
               done(r);
             });
  return absl::OkStatus();
}

absl::Status CacheInvalidator::subscribe(std::string_view channel, uint64_t after_revision,
                                         OnInvalidation on_invalidation, OnCompacted on_compacted,
                                         OnChange on_change) {
  if (absl::Status s = check_channel(channel); !s.ok()) return s;
  if (subscriptions_.contains(channel)) {
    return absl::FailedPreconditionError("channel " + std::string(channel) + " is already followed");
  }
  if (subscriptions_.size() >= kSubscriptionsMax) {
    return absl::FailedPreconditionError(absl::StrCat("already following ", kSubscriptionsMax, " channels"));
  }
  auto s = std::make_unique<Subscription>();
  Subscription* raw = s.get();
  s->channel = std::string(channel);
  s->on_invalidation = std::move(on_invalidation);
  s->on_compacted = std::move(on_compacted);
  s->on_change = std::move(on_change);
  WatchClientOptions o;
  o.nodes = options_.nodes;
  o.group = options_.group;
  o.key = channel_key(channel);
  o.after_revision = after_revision;
  o.wait = options_.watch_wait;
  o.retry_backoff = options_.watch_retry_backoff;
  s->watch = std::make_unique<WatchClient>(
      env_, rpc_, o, [this, raw](const kv::WatchEvent& e) { deliver(*raw, e); },
      [this, raw](uint64_t oldest) { on_ended(*raw, oldest); });
  s->watch->start();
  subscriptions_.emplace(s->channel, std::move(s));
  return absl::OkStatus();
}

void CacheInvalidator::deliver(Subscription& s, const kv::WatchEvent& e) {
  if (s.on_change) s.on_change(e);
  ChannelStats& st = stats_of(s.channel);
  ++st.delivered;
  absl::StatusOr<Invalidation> inv =
      e.deleted ? absl::InvalidArgumentError("the channel key was deleted") : decode_invalidation(e.value);
  if (!inv.ok()) {
    ++st.undecodable;
    return s.on_invalidation(everything(), e.revision);
  }
  s.on_invalidation(*inv, e.revision);
}

void CacheInvalidator::on_ended(Subscription& s, uint64_t oldest_revision) {
  ++stats_of(s.channel).compacted;
  auto it = subscriptions_.find(s.channel);
  SHOAL_ASSERT(it != subscriptions_.end() && it->second.get() == &s);
  // Out of the map first, so the callback may subscribe to the channel again.
  retired_.push_back(std::move(it->second));
  subscriptions_.erase(it);
  reap_timer_.arm(Duration(0), [this] { reap(); });
  s.on_compacted(oldest_revision);
}

bool CacheInvalidator::unsubscribe(std::string_view channel) {
  auto it = subscriptions_.find(channel);
  if (it == subscriptions_.end()) return false;
  it->second->watch->stop();
  retired_.push_back(std::move(it->second));
  subscriptions_.erase(it);
  reap_timer_.arm(Duration(0), [this] { reap(); });
  return true;
}

void CacheInvalidator::reap() { retired_.clear(); }

uint64_t CacheInvalidator::revision(std::string_view channel) const {
  auto it = subscriptions_.find(channel);
  return it == subscriptions_.end() ? 0 : it->second->watch->revision();
}

}  // namespace shoal
