#include "engine/coordinator/coordinator.h"

#include <utility>

#include "engine/core/assert.h"
#include "engine/coordinator/core.h"
#include "engine/coordinator/operations.h"

namespace shoal::coord {

// ---- CoordinatorCore ------------------------------------------------------------

bool CoordinatorCore::begin_operation() {
  if (operations_in_flight >= options.operations_in_flight_max) {
    stats.operations_overloaded++;
    return false;
  }
  operations_in_flight++;
  stats.operations++;
  return true;
}

void CoordinatorCore::end_operation() {
  SHOAL_ASSERT(operations_in_flight > 0);
  operations_in_flight--;
}

void CoordinatorCore::after(Duration d, std::function<void()> fn) {
  env.clock().after(d, [alive = alive(), fn = std::move(fn)] {
    if (!alive.expired()) fn();
  });
}

void CoordinatorCore::call(GroupCallSpec spec, GroupCallDone done) {
  stats.sub_requests++;
  const GroupId group = spec.request.group;
  if (spec.to_leader) {
    auto it = leaders.find(group);
    if (it != leaders.end()) spec.leader_hint = it->second;
  }
  spec.attempt_timeout = options.attempt_timeout;
  spec.backoff = options.backoff;
  call_group(env, rpc, alive(), std::move(spec), [this, group, done = std::move(done)](GroupCallResult r) {
    if (r.leader != kNoNode) leaders[group] = r.leader;
    done(std::move(r));
  });
}

void CoordinatorCore::refresh(uint64_t version, std::function<void(bool)> fn) {
  stats.map_refreshes++;
  maps.refresh(version, [alive = alive(), fn = std::move(fn)](bool ok) {
    if (!alive.expired()) fn(ok);
  });
}

void CoordinatorCore::resolve(const std::string& collection, Resolved fn) {
  std::shared_ptr<const cluster::ShardMap> map = maps.current();
  if (const cluster::CollectionInfo* info = map->find(collection)) {
    // Later, on the loop, like every other path to fn.
    return after(Duration::zero(), [map, info, fn = std::move(fn)] { fn(map, info); });
  }
  refresh(0, [this, collection, fn = std::move(fn)](bool) {
    std::shared_ptr<const cluster::ShardMap> fresh = maps.current();
    fn(fresh, fresh->find(collection));
  });
}

std::vector<NodeId> replicas_of(const cluster::ShardMap& map, GroupId group) {
  const cluster::ShardInfo* s = cluster::shard_of_group(map, group);
  return s == nullptr ? std::vector<NodeId>{} : s->replicas;
}

std::string reason_of(const Error& e) { return e.describe(); }

// ---- Coordinator ----------------------------------------------------------------

Coordinator::Coordinator(Env& env, Rpc& rpc, ShardMapSource& maps, CoordinatorOptions options)
    : core_(std::make_unique<CoordinatorCore>(env, rpc, maps, options)) {}

Coordinator::~Coordinator() {
  // Expires every weak copy: callbacks still pending find the coordinator gone.
  core_->alive_token.reset();
}

size_t Coordinator::operations_in_flight() const { return core_->operations_in_flight; }
const CoordinatorStats& Coordinator::stats() const { return core_->stats; }
Env& Coordinator::env() const { return core_->env; }

void Coordinator::upsert(std::string collection, std::string documents_json, WriteLevel level, Duration timeout,
                         WriteDone done) {
  start_upsert(*core_, std::move(collection), std::move(documents_json), level, timeout, std::move(done));
}

void Coordinator::remove(std::string collection, std::vector<std::string> ids, WriteLevel level, Duration timeout,
                         WriteDone done) {
  start_remove(*core_, std::move(collection), std::move(ids), level, timeout, std::move(done));
}

void Coordinator::search(std::string collection, std::string request_json, SearchOptions options, SearchDone done) {
  start_search(*core_, std::move(collection), std::move(request_json), std::move(options), std::move(done));
}

void Coordinator::get(std::string collection, std::string id, GetOptions options, GetDone done) {
  start_get(*core_, std::move(collection), std::move(id), std::move(options), std::move(done));
}

void Coordinator::open_pit(std::string collection, Duration timeout, PitDone done) {
  start_open_pit(*core_, std::move(collection), timeout, std::move(done));
}

void Coordinator::close_pit(std::string pit_id, Duration timeout, ClosePitDone done) {
  start_close_pit(*core_, std::move(pit_id), timeout, std::move(done));
}

}  // namespace shoal::coord
