// MapCache: a node's copy of the shard map, kept fresh from the metadata group.
//
// The node routes (coordinator) and decides which shard replicas to host
// (reconcile) by this copy. It is refreshed three ways: on a timer (so a node
// learns of new collections), when a reply says a map is stale (refresh with
// the version the reply named), and once at start. A fetch reads the map
// linearizably through the metadata leader; a map is installed only when it
// is newer than the one held, so the cached version never goes back, and
// every install is reported to on_install (the node reconciles its replicas).
// Concurrent refreshes share one fetch in flight.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "engine/cluster/metadata_client.h"
#include "engine/coordinator/shard_map_source.h"
#include "engine/env/env.h"

namespace shoal {

struct MapCacheOptions {
  Duration poll_interval = milliseconds(500);
  Duration refresh_timeout = seconds(2);
};

class MapCache final : public coord::ShardMapSource {
 public:
  using InstallCallback = std::function<void(const cluster::ShardMap& map)>;
  MapCache(Env& env, cluster::MetadataClient& metadata, MapCacheOptions options, InstallCallback on_install);
  ~MapCache() override;

  // Fetches the map now and then every poll_interval.
  void start();
  std::shared_ptr<const cluster::ShardMap> current() const override { return map_; }
  void refresh(uint64_t version, std::function<void(bool ok)> done) override;
  // Installs `map` if it is newer than the one held (a map that arrived
  // another way, e.g. in a reply). Returns whether it was installed.
  bool offer(cluster::ShardMap map);

 private:
  struct Waiter {
    uint64_t version = 0;  // 0: any fetch that completes
    TimePoint deadline;
    std::function<void(bool)> done;
  };
  void fetch();
  void on_fetched(const cluster::MetadataOutcome& outcome);
  void settle_waiters(bool fetched);
  void poll();

  Env& env_;
  cluster::MetadataClient& metadata_;
  MapCacheOptions options_;
  InstallCallback on_install_;
  std::shared_ptr<const cluster::ShardMap> map_;
  std::vector<Waiter> waiters_;
  bool fetching_ = false;
  TimerSlot poll_timer_;
  std::shared_ptr<bool> alive_;
};

}  // namespace shoal
