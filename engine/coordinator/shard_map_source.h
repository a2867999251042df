// ShardMapSource: where a coordinator gets the shard map it routes by.
//
// A node caches the metadata group's shard map (engine/cluster/shard_map.h)
// and refreshes it when a request comes back kStaleMap or names a group the
// map does not explain. The coordinator reads the cached map for every
// request and asks for a refresh when a reply says its map is old; it never
// keeps routing by a map it was told is stale.
//
// Everything runs on the node's event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "engine/cluster/shard_map.h"

namespace shoal::coord {

class ShardMapSource {
 public:
  virtual ~ShardMapSource() = default;

  // The newest map this node holds (version 0 and no collections before the
  // first fetch). Never null. The returned map never changes: a refresh
  // installs a new one.
  virtual std::shared_ptr<const cluster::ShardMap> current() const = 0;

  // Fetches a map of at least `version` from the metadata group (0: any map
  // newer than or equal to the current one, read linearizably). done(true)
  // runs later, on the loop, once current() is at least that version;
  // done(false) when that could not be done in the source's own timeout.
  // PROMISES: done runs exactly once, never inside refresh().
  virtual void refresh(uint64_t version, std::function<void(bool ok)> done) = 0;
};

}  // namespace shoal::coord
