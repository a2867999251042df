// The cache application that cache-invalidation runs beside its watchers:
// applications built on engine/client/cache_invalidator.h and local_cache.h,
// judged by what their caches served.
//
// Publishers write data keys "d<n>" with a KvClient and, after each write
// that may have applied (acknowledged, or of unknown outcome), publish an
// invalidation of the key — sometimes of a glob that covers it ("d1*",
// "d?") — on channel "c", retrying a publish that did not land a few times.
// Subscribers each keep a LocalCache: they serve keys from it often, read a
// missing key at read level any (any replica, however far behind: the
// result's index is the read revision) and put it, serve it at once, and
// apply invalidations as the channel's watch delivers them; an invalidated
// key is read again soon after (the refresh an application makes), which is
// when a lagging replica hands back the value the invalidation was about.
// A subscription that ends compacted invalidates everything before the
// revision it can resume from, and subscribes again there.
//
// Each subscriber's steps (every invalidation delivered, every serve with
// its read revision) are a check::CacheLog for cache-never-stale, and each
// of its channel watches a check::WatchLog for watch-delivery, beside the
// watchers'. The publishers' and subscribers' keys are the scenario's own
// (kScenarioKeyPrefixes), out of no-lost-writes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenarios/checkers/cache_never_stale.h"
#include "scenarios/checkers/watch_delivery.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {

// The keys the cache application writes: its data keys and its channel's key.
inline const std::vector<std::string> kCacheAppKeyPrefixes{"d", "inv/"};

struct CacheAppConfig {
  int publishers = 2;
  int subscribers = 2;
  int data_keys = 12;  // d0..d11: "d1*" covers three of them
  // A publisher thinks this long between a published invalidation and its
  // next write; a subscriber this long between two look-ups of its cache.
  Duration publish_think_min = milliseconds(80), publish_think_max = milliseconds(250);
  Duration lookup_think_min = milliseconds(10), lookup_think_max = milliseconds(40);
};

struct CacheAppState;

class CacheApp {
 public:
  // Adds the publisher and subscriber processes to `run`. Each subscriber's
  // channel watches are appended to `watch_logs` (the scenario's, judged by
  // watch-delivery), which must outlive the run. REQUIRES: the run has not
  // started.
  CacheApp(KvRun& run, CacheAppConfig config, std::vector<check::WatchLog>& watch_logs);
  ~CacheApp();

  // At the end: each subscriber's current channel watch was complete through
  // `last_committed` (unless it ended compacted); one line per subscriber
  // that had not got there is added to `behind`.
  void finish(uint64_t last_committed, std::vector<std::string>* behind);
  // cache-never-stale and caches-exercised.
  std::vector<CheckResult> checks() const;
  void add_metrics(std::map<std::string, double>& metrics) const;

 private:
  std::shared_ptr<CacheAppState> state_;
};

}  // namespace shoal::scenarios
