// Points in time across shards: open pins one revision on every shard (a
// command through each shard's log); close unpins them.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/coordinator/operations.h"
#include "engine/coordinator/pit_token.h"
#include "engine/coordinator/read_common.h"
#include "engine/shard/collection_command.h"

namespace shoal::coord {
namespace {

// How long the coordinator tries to unpin what a failed open pinned.
constexpr Duration kAbandonedPinCloseTimeout = seconds(2);

GroupCallSpec write_spec(GroupId group, uint64_t map_version, const shard::CollectionCommand& command,
                         std::vector<NodeId> replicas, TimePoint deadline) {
  GroupCallSpec spec;
  spec.request = ClientRequest{group, true, static_cast<uint8_t>(WriteLevel::kQuorum), 0, map_version,
                               shard::encode_command(command)};
  spec.replicas = std::move(replicas);
  spec.to_leader = true;
  spec.deadline = deadline;
  return spec;
}

// The result of a shard command, or the typed error that replaced it.
Error command_error(const GroupCallResult& r, shard::CommandResult* out) {
  if (!r.error.ok()) return r.error;
  auto result = shard::decode_result(r.reply.payload);
  if (!result.ok()) return make_error(ErrorCode::kUnavailable, "malformed shard result");
  *out = *result;
  if (result->code != shard::CollectionCode::kOk) {
    return make_error(shard::to_error_code(result->code), result->message);
  }
  return Error{};
}

// Unpins `pins` (fire and forget: their owner is gone, and a pin left behind
// only keeps old versions until the shard drops it).
void close_pins(CoordinatorCore& core, uint64_t map_version, const std::vector<PitShard>& pins,
                const cluster::ShardMap& map) {
  for (const PitShard& p : pins) {
    std::vector<NodeId> replicas = replicas_of(map, p.group);
    if (replicas.empty()) continue;
    core.call(write_spec(p.group, map_version, shard::ClosePointInTime{p.revision}, std::move(replicas),
                         core.env.now() + kAbandonedPinCloseTimeout),
              [](GroupCallResult) {});
  }
}

class OpenPitOp : public std::enable_shared_from_this<OpenPitOp> {
 public:
  OpenPitOp(CoordinatorCore& core, std::string collection, Duration timeout, PitDone done)
      : core_(core), collection_(std::move(collection)), timeout_(timeout), done_(std::move(done)) {}

  void start() {
    if (!core_.begin_operation()) {
      auto done = std::move(done_);
      return core_.after(Duration::zero(), [done] {
        done(PitOutcome{make_error(ErrorCode::kOverloaded, "coordinator: too many operations in flight")});
      });
    }
    deadline_ = core_.env.now() + timeout_;
    auto self = shared_from_this();
    core_.after(timeout_, [self] { self->finish(); });
    core_.resolve(collection_, [self](auto map, const cluster::CollectionInfo* info) {
      if (self->finished_) return;
      if (info == nullptr) return self->fail(make_error(ErrorCode::kNotFound, "no collection " + self->collection_));
      self->plan(map, *info);
    });
  }

 private:
  void plan(std::shared_ptr<const cluster::ShardMap> map, const cluster::CollectionInfo& info) {
    generation_++;
    map_ = std::move(map);
    token_ = PitToken{collection_, map_->version, {}};
    pending_ = info.shards.size();
    for (const cluster::ShardInfo& s : info.shards) {
      auto self = shared_from_this();
      const uint64_t gen = generation_;
      core_.call(write_spec(s.group, map_->version, shard::OpenPointInTime{}, s.replicas, deadline_),
                 [self, gen, shard = s.shard, group = s.group](GroupCallResult r) {
                   if (self->finished_ || gen != self->generation_) return;
                   self->pending_--;
                   self->on_reply(shard, group, std::move(r));
                 });
    }
  }

  void on_reply(uint32_t shard, GroupId group, GroupCallResult r) {
    shard::CommandResult result;
    Error e = command_error(r, &result);
    if ((e.code == ErrorCode::kStaleMap || e.code == ErrorCode::kNotFound) && restarts_ < kReadRestartsMax &&
        r.error.code == e.code) {
      return restart(e);
    }
    if (!e.ok()) return fail(std::move(e));
    token_.shards.push_back(PitShard{shard, group, result.revision, result.index});
    if (pending_ == 0) finish();
  }

  // The map moved under the open: unpin what was pinned and open again on a
  // fresh map.
  void restart(const Error& e) {
    restarts_++;
    core_.stats.read_restarts++;
    generation_++;
    close_pins(core_, map_->version, token_.shards, *map_);
    auto self = shared_from_this();
    const uint64_t gen = generation_;
    core_.refresh(e.code == ErrorCode::kStaleMap ? e.map_version : 0, [self, gen](bool) {
      if (self->finished_ || gen != self->generation_) return;
      auto map = self->core_.maps.current();
      const cluster::CollectionInfo* info = map->find(self->collection_);
      if (info == nullptr) return self->fail(make_error(ErrorCode::kNotFound, "no collection " + self->collection_));
      self->plan(map, *info);
    });
  }

  void fail(Error e) {
    error_ = std::move(e);
    finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    core_.end_operation();
    PitOutcome out;
    if (error_.ok() && pending_ > 0) error_ = make_error(ErrorCode::kDeadline, "a shard did not pin by the deadline");
    if (!error_.ok()) {
      if (map_) close_pins(core_, map_->version, token_.shards, *map_);
      out.error = std::move(error_);
    } else {
      std::sort(token_.shards.begin(), token_.shards.end(),
                [](const PitShard& a, const PitShard& b) { return a.shard < b.shard; });
      for (const PitShard& p : token_.shards) out.revisions[p.group] = p.revision;
      out.pit_id = encode_pit_token(token_);
    }
    auto done = std::move(done_);
    done(std::move(out));
  }

  CoordinatorCore& core_;
  const std::string collection_;
  const Duration timeout_;
  PitDone done_;
  TimePoint deadline_;
  std::shared_ptr<const cluster::ShardMap> map_;
  PitToken token_;
  size_t pending_ = 0;
  uint64_t generation_ = 0;
  int restarts_ = 0;
  bool finished_ = false;
  Error error_;
};

class ClosePitOp : public std::enable_shared_from_this<ClosePitOp> {
 public:
  ClosePitOp(CoordinatorCore& core, std::string pit_id, Duration timeout, ClosePitDone done)
      : core_(core), pit_id_(std::move(pit_id)), timeout_(timeout), done_(std::move(done)) {}

  void start() {
    if (!core_.begin_operation()) {
      auto done = std::move(done_);
      return core_.after(Duration::zero(), [done] {
        done(ClosePitOutcome{make_error(ErrorCode::kOverloaded, "coordinator: too many operations in flight")});
      });
    }
    auto self = shared_from_this();
    core_.after(timeout_, [self] { self->finish(); });
    auto token = decode_pit_token(pit_id_);
    if (!token.ok()) {
      error_ = make_error(ErrorCode::kBadRequest, std::string(token.status().message()));
      return core_.after(Duration::zero(), [self] { self->finish(); });
    }
    token_ = *std::move(token);
    const TimePoint deadline = core_.env.now() + timeout_;
    std::shared_ptr<const cluster::ShardMap> map = core_.maps.current();
    pending_ = token_.shards.size();
    for (const PitShard& p : token_.shards) {
      std::vector<NodeId> replicas = replicas_of(*map, p.group);
      if (replicas.empty()) {
        pending_--;
        failed_.push_back(ShardFailure{p.shard, p.group, make_error(ErrorCode::kNotFound, "group not in the map")});
        continue;
      }
      core_.call(write_spec(p.group, map->version, shard::ClosePointInTime{p.revision}, std::move(replicas), deadline),
                 [self, p](GroupCallResult r) {
                   if (self->finished_) return;
                   self->pending_--;
                   shard::CommandResult result;
                   Error e = command_error(r, &result);
                   // Not open any more (closed before, or the shard never had
                   // it): the goal, no pin, holds.
                   const bool gone = r.error.ok() && result.code == shard::CollectionCode::kNotFound;
                   if (!e.ok() && !gone) self->failed_.push_back(ShardFailure{p.shard, p.group, std::move(e)});
                   if (self->pending_ == 0) self->finish();
                 });
    }
    if (pending_ == 0) core_.after(Duration::zero(), [self] { self->finish(); });
  }

 private:
  void finish() {
    if (finished_) return;
    finished_ = true;
    core_.end_operation();
    ClosePitOutcome out;
    out.failed = std::move(failed_);
    if (!error_.ok()) {
      out.error = std::move(error_);
    } else if (pending_ > 0) {
      out.error = make_error(ErrorCode::kDeadline, "a shard did not unpin by the deadline");
    } else if (!out.failed.empty()) {
      out.error = out.failed.front().error;
      out.error.message = "shards did not unpin: " + describe_failures(out.failed);
    }
    auto done = std::move(done_);
    done(std::move(out));
  }

  CoordinatorCore& core_;
  const std::string pit_id_;
  const Duration timeout_;
  ClosePitDone done_;
  PitToken token_;
  size_t pending_ = 0;
  std::vector<ShardFailure> failed_;
  bool finished_ = false;
  Error error_;
};

}  // namespace

void start_open_pit(CoordinatorCore& core, std::string collection, Duration timeout, PitDone done) {
  SHOAL_ASSERT(done);
  std::make_shared<OpenPitOp>(core, std::move(collection), timeout, std::move(done))->start();
}

void start_close_pit(CoordinatorCore& core, std::string pit_id, Duration timeout, ClosePitDone done) {
  SHOAL_ASSERT(done);
  std::make_shared<ClosePitOp>(core, std::move(pit_id), timeout, std::move(done))->start();
}

}  // namespace shoal::coord
