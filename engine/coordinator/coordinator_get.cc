// Get by id: ask every shard the id may live on; the first that has it wins.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/coordinator/operations.h"
#include "engine/coordinator/read_common.h"
#include "engine/shard/collection_command.h"

namespace shoal::coord {
namespace {

bool is_behind(const ClientReply& reply) {
  auto r = shard::decode_query_result(reply.payload);
  return r.ok() && r->code == shard::CollectionCode::kBehind;
}

class GetOp : public std::enable_shared_from_this<GetOp> {
 public:
  GetOp(CoordinatorCore& core, std::string collection, std::string id, GetOptions options, GetDone done)
      : core_(core), collection_(std::move(collection)), id_(std::move(id)), options_(std::move(options)),
        done_(std::move(done)) {}

  void start() {
    if (!core_.begin_operation()) {
      auto done = std::move(done_);
      return core_.after(Duration::zero(), [done] {
        done(GetOutcome{make_error(ErrorCode::kOverloaded, "coordinator: too many operations in flight")});
      });
    }
    deadline_ = core_.env.now() + options_.timeout;
    auto self = shared_from_this();
    core_.after(options_.timeout, [self] { self->finish(); });
    if (id_.empty() || id_.size() > kDocumentIdBytesMax) {
      return core_.after(Duration::zero(), [self] {
        self->fail(make_error(ErrorCode::kBadRequest, absl::StrCat("id: must be 1..", kDocumentIdBytesMax, " bytes")));
      });
    }
    core_.resolve(collection_, [self](auto map, const cluster::CollectionInfo* info) {
      if (self->finished_) return;
      if (info == nullptr) return self->fail(make_error(ErrorCode::kNotFound, "no collection " + self->collection_));
      self->plan(*map, *info);
    });
  }

 private:
  void plan(const cluster::ShardMap& map, const cluster::CollectionInfo& info) {
    generation_++;
    out_.failed.clear();
    absent_ = 0;
    pending_ = 0;
    for (uint32_t s : cluster::shards_for_id(info, id_)) {
      const cluster::ShardInfo& si = info.shards[s];
      const uint64_t token = session_token(options_.level, options_.session_tokens, si.group);
      shard::GetQuery q{id_, std::nullopt, token};
      GroupCallSpec spec = read_spec(options_.level, si.group, token, map.version, shard::encode_query(q),
                                     si.replicas, deadline_);
      spec.behind = is_behind;
      pending_++;
      auto self = shared_from_this();
      const uint64_t gen = generation_;
      core_.call(std::move(spec), [self, gen, s, group = si.group](GroupCallResult r) {
        if (self->finished_ || gen != self->generation_) return;
        self->pending_--;
        self->on_reply(s, group, std::move(r));
        if (!self->finished_ && gen == self->generation_ && self->pending_ == 0) self->finish();
      });
    }
  }

  void on_reply(uint32_t shard, GroupId group, GroupCallResult r) {
    if ((r.error.code == ErrorCode::kStaleMap || r.error.code == ErrorCode::kNotFound) &&
        restarts_ < kReadRestartsMax) {
      // Start over on a fresh map: the id may route elsewhere now.
      restarts_++;
      core_.stats.read_restarts++;
      generation_++;
      const uint64_t wanted = r.error.code == ErrorCode::kStaleMap ? r.error.map_version : 0;
      auto self = shared_from_this();
      const uint64_t gen = generation_;
      return core_.refresh(wanted, [self, gen](bool) {
        if (self->finished_ || gen != self->generation_) return;
        std::shared_ptr<const cluster::ShardMap> map = self->core_.maps.current();
        const cluster::CollectionInfo* info = map->find(self->collection_);
        if (info == nullptr) return self->fail(make_error(ErrorCode::kNotFound, "no collection " + self->collection_));
        self->plan(*map, *info);
      });
    }
    if (!r.error.ok()) return out_.failed.push_back(ShardFailure{shard, group, std::move(r.error)});
    auto qr = shard::decode_query_result(r.reply.payload);
    if (!qr.ok()) {
      return out_.failed.push_back(ShardFailure{shard, group, make_error(ErrorCode::kUnavailable, "malformed answer")});
    }
    if (qr->code == shard::CollectionCode::kNotFound) {
      absent_++;
      return;
    }
    const auto* answer = std::get_if<shard::GetAnswer>(&qr->answer);
    if (qr->code != shard::CollectionCode::kOk || answer == nullptr) {
      return out_.failed.push_back(
          ShardFailure{shard, group, make_error(shard::to_error_code(qr->code), qr->message)});
    }
    out_.document_json = answer->document_json;
    out_.shard = shard;
    out_.group = group;
    out_.revision = qr->revision;
    found_ = true;
    finish();
  }

  void fail(Error e) {
    error_ = std::move(e);
    finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    core_.end_operation();
    if (!error_.ok()) {
      out_.error = std::move(error_);
    } else if (!found_ && out_.failed.empty() && pending_ == 0) {
      out_.error = make_error(ErrorCode::kNotFound, "no document " + id_);
    } else if (!found_) {
      // Some shard that may hold it did not say: the answer is not known.
      out_.error = pending_ > 0 ? make_error(ErrorCode::kDeadline, "a shard did not answer by the deadline")
                                : make_error(ErrorCode::kUnavailable, "shards could not answer: " +
                                                                          describe_failures(out_.failed));
    }
    auto done = std::move(done_);
    done(std::move(out_));
  }

  CoordinatorCore& core_;
  const std::string collection_;
  const std::string id_;
  const GetOptions options_;
  GetDone done_;
  TimePoint deadline_;
  uint64_t generation_ = 0;
  int restarts_ = 0;
  size_t pending_ = 0;
  size_t absent_ = 0;
  bool found_ = false;
  bool finished_ = false;
  Error error_;
  GetOutcome out_;
};

}  // namespace

void start_get(CoordinatorCore& core, std::string collection, std::string id, GetOptions options, GetDone done) {
  SHOAL_ASSERT(done);
  auto op = std::make_shared<GetOp>(core, std::move(collection), std::move(id), std::move(options), std::move(done));
  op->start();
}

}  // namespace shoal::coord
