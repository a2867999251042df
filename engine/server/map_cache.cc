#include "engine/server/map_cache.h"

#include "engine/core/assert.h"

namespace shoal {

MapCache::MapCache(Env& env, cluster::MetadataClient& metadata, MapCacheOptions options,
                   InstallCallback on_install)
    : env_(env), metadata_(metadata), options_(options), on_install_(std::move(on_install)),
      map_(std::make_shared<cluster::ShardMap>()), poll_timer_(env.clock()),
      alive_(std::make_shared<bool>(true)) {}

MapCache::~MapCache() { *alive_ = false; }

void MapCache::start() { poll(); }

void MapCache::poll() {
  if (!fetching_) fetch();
  poll_timer_.arm(options_.poll_interval, [this] { poll(); });
}

bool MapCache::offer(cluster::ShardMap map) {
  if (map.version <= map_->version) return false;
  map_ = std::make_shared<const cluster::ShardMap>(std::move(map));
  if (on_install_) on_install_(*map_);
  return true;
}

void MapCache::refresh(uint64_t version, std::function<void(bool ok)> done) {
  SHOAL_ASSERT(done != nullptr);
  if (version != 0 && map_->version >= version) {
    env_.clock().after(Duration(0), [alive = alive_, done = std::move(done)] {
      if (*alive) done(true);
    });
    return;
  }
  waiters_.push_back(Waiter{version, env_.now() + options_.refresh_timeout, std::move(done)});
  if (!fetching_) fetch();
}

void MapCache::fetch() {
  fetching_ = true;
  metadata_.read(cluster::GetMap{}, ReadLevel::kLinearizable, options_.refresh_timeout,
                 [this, alive = alive_](cluster::MetadataOutcome outcome) {
                   if (*alive) on_fetched(outcome);
                 });
}

void MapCache::on_fetched(const cluster::MetadataOutcome& outcome) {
  fetching_ = false;
  bool fetched = false;
  if (outcome.ok()) {
    auto map = cluster::decode_shard_map(outcome.result.payload);
    if (map.ok()) {
      fetched = true;
      offer(std::move(*map));
    } else {
      env_.log(LogLevel::kError, "map", "undecodable shard map from the metadata group: " +
                                            std::string(map.status().message()));
    }
  }
  settle_waiters(fetched);
}

void MapCache::settle_waiters(bool fetched) {
  std::vector<Waiter> waiting;
  waiting.swap(waiters_);
  const TimePoint now = env_.now();
  for (Waiter& w : waiting) {
    const bool satisfied = w.version == 0 ? fetched : map_->version >= w.version;
    if (satisfied) {
      w.done(true);
    } else if (now >= w.deadline) {
      w.done(false);
    } else {
      waiters_.push_back(std::move(w));
    }
  }
  if (!waiters_.empty() && !fetching_) {
    // Not there yet: the metadata leader may be moving, or the version asked
    // for is not committed where we read. Ask again shortly.
    env_.clock().after(milliseconds(50), [this, alive = alive_] {
      if (*alive && !fetching_ && !waiters_.empty()) fetch();
    });
  }
}

}  // namespace shoal
