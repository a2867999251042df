#include "scenarios/cache_app.h"

#include <algorithm>
#include <deque>
#include <functional>

#include "absl/strings/str_cat.h"
#include "engine/client/cache_invalidator.h"
#include "engine/client/local_cache.h"
#include "engine/core/assert.h"

namespace shoal::scenarios {
namespace {

constexpr uint64_t kPublisherStreamSalt = 0x70756273;
constexpr uint64_t kSubscriberStreamSalt = 0x73756273;
constexpr NodeId kPublisherIdBase = kClientIdBase + 800;
constexpr NodeId kSubscriberIdBase = kClientIdBase + 820;
// WatchSpec::watcher of subscriber i's channel watches: apart from the
// scenario's watchers, which count from 0.
constexpr size_t kSubscriberWatcherBase = 100;
constexpr char kChannel[] = "c";
// A publish that did not land is sent again this many times in all.
constexpr int kPublishAttemptsMax = 3;
// Keys a subscriber means to read again (invalidated, or refused as stale).
constexpr size_t kRefetchQueueMax = 16;

}  // namespace

struct CacheAppStats {
  uint64_t writes = 0, writes_unknown = 0, writes_failed = 0;
  uint64_t published = 0, publish_retries = 0, publishes_given_up = 0;
  uint64_t delivered = 0, compactions = 0;
  uint64_t serves = 0, fetches = 0, stored = 0, refused_stale = 0;
};

struct CacheAppState {
  KvRun* run = nullptr;
  CacheAppConfig config;
  std::vector<check::WatchLog>* watch_logs = nullptr;
  std::vector<check::CacheLog> caches;  // one per subscriber
  // Each subscriber's SubscriberProcess::finish, once it has started.
  std::vector<std::function<void(uint64_t last_committed, std::vector<std::string>* behind)>> finishers;
  CacheAppStats stats;

  int64_t now_ns() const { return to_ns(run->sim().now()); }
  // The application stops with the workload (the idle phase begins); the
  // subscribers' watches go on to the end.
  bool stopping() const { return run->sim().now() >= run->heal_at() + run->config().quiet; }
  std::string data_key(uint64_t n) const { return "d" + std::to_string(n); }
};

namespace {

// Writes data keys and publishes an invalidation after each write.
class PublisherProcess final : public sim::Process {
 public:
  PublisherProcess(Env& env, CacheAppState& state, uint32_t index, KvClientOptions options)
      : state_(state), index_(index), rpc_(env), kv_(env, options, rpc_),
        invalidator_(env, rpc_, CacheInvalidatorOptions{options.nodes}, &kv_),
        rng_(env.random().fork(kPublisherStreamSalt)), timer_(env.clock()) {
    next(rng_.range(milliseconds(50), milliseconds(300)));
  }

 private:
  void next(Duration think) {
    if (state_.stopping()) return;
    timer_.arm(think, [this] { write(); });
  }

  void write() {
    key_ = state_.data_key(rng_.below(static_cast<uint64_t>(state_.config.data_keys)));
    kv_.write(kv::Put{key_, absl::StrCat("p", index_, "-", ++writes_)}, [this](const KvOpResult& r) { written(r); });
  }

  void written(const KvOpResult& r) {
    // A write that certainly did not apply changed nothing to invalidate;
    // one of unknown outcome may have applied, so it is invalidated too.
    if (r.outcome == OpOutcome::kFail) {
      ++state_.stats.writes_failed;
      return next(rng_.range(state_.config.publish_think_min, state_.config.publish_think_max));
    }
    (r.outcome == OpOutcome::kUnknown ? state_.stats.writes_unknown : state_.stats.writes)++;
    inv_ = invalidation_of(key_, r.index);
    attempts_ = 0;
    publish();
  }

  // The key itself mostly; sometimes a glob that covers it.
  Invalidation invalidation_of(const std::string& key, uint64_t index) {
    Invalidation inv{key, false, absl::StrCat("p", index_, " wrote ", key, " at ", index)};
    const uint64_t dice = rng_.below(100);
    if (dice < 15) {
      inv = {key.substr(0, 2) + "*", true, inv.metadata};
    } else if (dice < 22) {
      inv = {key.substr(0, key.size() - 1) + "?", true, inv.metadata};
    }
    return inv;
  }

  void publish() {
    ++attempts_;
    const absl::Status s = invalidator_.publish(kChannel, inv_, [this](const KvOpResult& r) { published(r); });
    SHOAL_ASSERT(s.ok());
  }

  void published(const KvOpResult& r) {
    if (r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kOk) {
      ++state_.stats.published;
    } else if (attempts_ < kPublishAttemptsMax && !state_.stopping()) {
      ++state_.stats.publish_retries;
      timer_.arm(milliseconds(20), [this] { publish(); });
      return;
    } else {
      ++state_.stats.publishes_given_up;
    }
    next(rng_.range(state_.config.publish_think_min, state_.config.publish_think_max));
  }

  CacheAppState& state_;
  uint32_t index_;
  Rpc rpc_;  // the process's one Rpc, shared by its clients
  KvClient kv_;
  CacheInvalidator invalidator_;
  Rng rng_;
  TimerSlot timer_;
  std::string key_;
  Invalidation inv_;
  uint64_t writes_ = 0;
  int attempts_ = 0;
};

// Serves data keys from a LocalCache kept by the channel's invalidations.
class SubscriberProcess final : public sim::Process {
 public:
  SubscriberProcess(Env& env, CacheAppState& state, uint32_t index, KvClientOptions options)
      : state_(state), index_(index), rpc_(env), kv_(env, options, rpc_),
        invalidator_(env, rpc_, CacheInvalidatorOptions{options.nodes, 0, milliseconds(800)}, nullptr),
        rng_(env.random().fork(kSubscriberStreamSalt)), start_timer_(env.clock()), tick_timer_(env.clock()) {
    start_timer_.arm(rng_.range(Duration(0), milliseconds(500)), [this] { subscribe(0); });
    tick_timer_.arm(rng_.range(milliseconds(100), milliseconds(600)), [this] { tick(); });
  }

  void finish(uint64_t last_committed, std::vector<std::string>* behind) {
    check::WatchLog& log = (*state_.watch_logs)[watch_log_];
    if (log.compacted_error) return;
    log.observed_through = last_committed;
    const uint64_t through = invalidator_.revision(kChannel);
    if (through < last_committed) {
      behind->push_back(absl::StrCat("subscriber ", index_, "'s channel watch delivered through ", through, " of ",
                                     last_committed));
    }
  }

 private:
  check::CacheLog& cache_log() { return state_.caches[index_]; }

  void subscribe(uint64_t after) {
    const check::WatchSpec spec{kSubscriberWatcherBase + index_, channel_key(kChannel), false, after + 1};
    watch_log_ = state_.watch_logs->size();
    state_.watch_logs->push_back(check::WatchLog{spec, {}, false, 0, 0});
    const absl::Status s = invalidator_.subscribe(
        kChannel, after, [this](const Invalidation& inv, uint64_t revision) { invalidated(inv, revision); },
        [this](uint64_t oldest) { compacted(oldest); },
        [this](const kv::WatchEvent& e) {
          (*state_.watch_logs)[watch_log_].delivered.push_back(
              {e.revision, e.key, e.deleted ? check::KeyEvent::Kind::kDelete : check::KeyEvent::Kind::kPut,
               e.deleted ? std::nullopt : std::optional<std::string>(e.value), state_.now_ns()});
        });
    SHOAL_ASSERT(s.ok());
  }

  void invalidated(const Invalidation& inv, uint64_t revision) {
    cache_.on_invalidation(inv, revision);
    cache_log().steps.push_back(
        {check::CacheStep::Kind::kInvalidate, state_.now_ns(), inv.key_or_pattern, revision, inv.glob});
    ++state_.stats.delivered;
    // The application refreshes what changed: the moment a replica that has
    // not applied the change yet answers with the old value.
    if (!inv.glob) refetch(inv.key_or_pattern);
  }

  // Invalidations up to `oldest` may have been missed: everything read
  // before it is invalid, and the channel is followed again from there.
  void compacted(uint64_t oldest) {
    check::WatchLog& log = (*state_.watch_logs)[watch_log_];
    log.compacted_error = true;
    log.compacted_at = oldest + 1;
    ++state_.stats.compactions;
    cache_.invalidate_all(oldest);
    cache_log().steps.push_back({check::CacheStep::Kind::kInvalidate, state_.now_ns(), "*", oldest, true});
    subscribe(oldest);
  }

  void tick() {
    if (state_.stopping()) return;
    if (!kv_.busy() && !refetch_.empty()) {
      const std::string key = refetch_.front();
      refetch_.pop_front();
      fetch(key);
    } else {
      const std::string key = state_.data_key(rng_.below(static_cast<uint64_t>(state_.config.data_keys)));
      if (auto hit = cache_.get(key)) {
        serve(key, *hit);
      } else if (!kv_.busy()) {
        fetch(key);
      }
    }
    tick_timer_.arm(rng_.range(state_.config.lookup_think_min, state_.config.lookup_think_max), [this] { tick(); });
  }

  void fetch(const std::string& key) {
    ++state_.stats.fetches;
    kv_.read(key, [this, key](const KvOpResult& r) {
      if (r.outcome != OpOutcome::kOk || r.result.code != kv::Code::kOk || !r.result.value) return;
      switch (cache_.put(key, *r.result.value, r.result.index)) {
        case CachePut::kStored:
          ++state_.stats.stored;
          // Read through: the caller that missed is answered from the cache.
          if (auto hit = cache_.get(key)) serve(key, *hit);
          break;
        case CachePut::kStale:
          ++state_.stats.refused_stale;
          refetch(key);
          break;
        case CachePut::kKeptNewer:
        case CachePut::kTooLarge:
          break;
      }
    });
  }

  void serve(const std::string& key, const CachedValue& hit) {
    ++state_.stats.serves;
    cache_log().steps.push_back({check::CacheStep::Kind::kServe, state_.now_ns(), key, hit.read_revision, false});
  }

  void refetch(const std::string& key) {
    if (refetch_.size() >= kRefetchQueueMax) return;
    if (std::find(refetch_.begin(), refetch_.end(), key) != refetch_.end()) return;
    refetch_.push_back(key);
  }

  CacheAppState& state_;
  uint32_t index_;
  Rpc rpc_;  // the process's one Rpc, shared by its clients
  KvClient kv_;
  CacheInvalidator invalidator_;
  LocalCache cache_;
  Rng rng_;
  TimerSlot start_timer_, tick_timer_;
  std::deque<std::string> refetch_;
  size_t watch_log_ = 0;
};

}  // namespace

CacheApp::CacheApp(KvRun& run, CacheAppConfig config, std::vector<check::WatchLog>& watch_logs)
    : state_(std::make_shared<CacheAppState>()) {
  state_->run = &run;
  state_->config = config;
  state_->watch_logs = &watch_logs;
  for (int i = 0; i < config.subscribers; ++i) state_->caches.push_back({static_cast<size_t>(i), {}});
  for (int i = 0; i < config.publishers; ++i) {
    KvClientOptions co;
    co.nodes = run.node_ids();
    co.client_id = 8000 + static_cast<uint64_t>(i);
    run.sim().add_process(kPublisherIdBase + static_cast<NodeId>(i), "publisher" + std::to_string(i),
                          [state = state_, i, co](Env& env) {
                            return std::make_unique<PublisherProcess>(env, *state, static_cast<uint32_t>(i), co);
                          });
  }
  for (int i = 0; i < config.subscribers; ++i) {
    KvClientOptions co;
    co.nodes = run.node_ids();
    co.client_id = 8200 + static_cast<uint64_t>(i);
    co.read_level = ReadLevel::kAny;
    co.attempt_timeout = milliseconds(300);
    co.operation_timeout = seconds(1);
    run.sim().add_process(kSubscriberIdBase + static_cast<NodeId>(i), "subscriber" + std::to_string(i),
                          [state = state_, i, co](Env& env) {
                            auto s = std::make_unique<SubscriberProcess>(env, *state, static_cast<uint32_t>(i), co);
                            state->finishers.push_back(
                                [p = s.get()](uint64_t last, std::vector<std::string>* behind) {
                                  p->finish(last, behind);
                                });
                            return s;
                          });
  }
}

CacheApp::~CacheApp() = default;

void CacheApp::finish(uint64_t last_committed, std::vector<std::string>* behind) {
  for (const auto& finish : state_->finishers) finish(last_committed, behind);
}

std::vector<CheckResult> CacheApp::checks() const {
  const CacheAppStats& s = state_->stats;
  std::vector<CheckResult> out;
  out.push_back(check::check_cache_never_stale(state_->caches));
  out.push_back({"caches-exercised", s.serves > 0 && s.delivered > 0,
                 absl::StrCat(s.published, " invalidations published, ", s.delivered, " delivered to ",
                              state_->caches.size(), " subscribers; ", s.serves, " serves from cache, ",
                              s.refused_stale, " late puts refused")});
  return out;
}

void CacheApp::add_metrics(std::map<std::string, double>& metrics) const {
  const CacheAppStats& s = state_->stats;
  metrics["cache_data_writes"] = static_cast<double>(s.writes);
  metrics["cache_data_writes_unknown"] = static_cast<double>(s.writes_unknown);
  metrics["cache_invalidations_published"] = static_cast<double>(s.published);
  metrics["cache_publishes_given_up"] = static_cast<double>(s.publishes_given_up);
  metrics["cache_invalidations_delivered"] = static_cast<double>(s.delivered);
  metrics["cache_subscription_compactions"] = static_cast<double>(s.compactions);
  metrics["cache_serves"] = static_cast<double>(s.serves);
  metrics["cache_fetches"] = static_cast<double>(s.fetches);
  metrics["cache_puts_stored"] = static_cast<double>(s.stored);
  metrics["cache_puts_refused_stale"] = static_cast<double>(s.refused_stale);
}

}  // namespace shoal::scenarios
