#include "engine/cluster/metadata_client.h"

#include "engine/core/assert.h"

namespace shoal::cluster {

struct MetadataClient::Op {
  ClientRequest request;
  TimePoint deadline;
  MetadataCallback done;
  bool write = false;
  bool maybe_applied = false;  // a proposal some attempt may have appended
  Error last_error;
  NodeId target = kNoNode;
};

MetadataClient::MetadataClient(Env& env, Rpc& rpc, MetadataClientOptions options)
    : env_(env), rpc_(rpc), options_(std::move(options)), alive_(std::make_shared<bool>(true)) {
  SHOAL_ASSERT(!options_.voters.empty());
  rotation_ = env_.random().below(options_.voters.size());
}

MetadataClient::~MetadataClient() { *alive_ = false; }

NodeId MetadataClient::next_voter() {
  rotation_ = (rotation_ + 1) % options_.voters.size();
  return options_.voters[rotation_];
}

void MetadataClient::propose(const MetadataCommand& command, Duration timeout, MetadataCallback done) {
  auto op = std::make_shared<Op>();
  op->request = ClientRequest{kMetadataGroup, true, static_cast<uint8_t>(WriteLevel::kQuorum), 0, 0,
                              encode_command(command)};
  op->write = true;
  op->deadline = env_.now() + timeout;
  op->done = std::move(done);
  op->target = leader_guess_ != kNoNode ? leader_guess_ : options_.voters[rotation_];
  retry(op, op->target);
}

void MetadataClient::read(const MetadataQuery& query, ReadLevel level, Duration timeout, MetadataCallback done) {
  auto op = std::make_shared<Op>();
  op->request = ClientRequest{kMetadataGroup, false, static_cast<uint8_t>(level), 0, 0, encode_query(query)};
  op->deadline = env_.now() + timeout;
  op->done = std::move(done);
  const bool to_leader = level == ReadLevel::kLinearizable || level == ReadLevel::kLease;
  op->target = to_leader && leader_guess_ != kNoNode ? leader_guess_ : options_.voters[rotation_];
  retry(op, op->target);
}

// Every attempt starts from a timer (retry), so an operation never completes
// inside propose() or read().
void MetadataClient::retry(std::shared_ptr<Op> op, NodeId next) {
  op->target = next;
  const Duration wait = op->last_error.ok() ? Duration(0) : options_.retry_backoff;
  env_.clock().after(wait, [this, alive = alive_, op] {
    if (*alive) attempt(op);
  });
}

void MetadataClient::attempt(std::shared_ptr<Op> op) {
  const TimePoint now = env_.now();
  if (now >= op->deadline) {
    Error e = op->last_error.ok() ? make_error(ErrorCode::kDeadline, "no voter answered") : op->last_error;
    if (op->write && op->maybe_applied) e = make_error(ErrorCode::kOutcomeUnknown, e.describe());
    MetadataOutcome out;
    out.error = std::move(e);
    return op->done(std::move(out));
  }
  const Duration timeout = std::min(options_.attempt_timeout, op->deadline - now);
  rpc_.call(op->target, kGroupRequestMethod, encode_request(op->request), timeout,
            [this, alive = alive_, op](Reply reply) {
              if (*alive) on_reply(op, std::move(reply));
            });
}

void MetadataClient::on_reply(std::shared_ptr<Op> op, Reply reply) {
  if (reply.ok()) {
    auto served = decode_reply(reply.payload);
    auto result = served.ok() ? decode_result(served->payload) : absl::StatusOr<MetadataResult>(served.status());
    if (!result.ok() || served->accepted) {
      op->last_error = make_error(ErrorCode::kUnavailable, "garbled reply from " + std::to_string(reply.from));
      return retry(op, next_voter());
    }
    // A replica behind the index a read asked for answers kUnavailable in
    // its result: another voter (or a later attempt) may serve it.
    if (!op->write && result->code == ErrorCode::kUnavailable) {
      op->last_error = make_error(result->code, result->message);
      return retry(op, next_voter());
    }
    if (op->write || op->request.level != static_cast<uint8_t>(ReadLevel::kAny)) leader_guess_ = reply.from;
    MetadataOutcome out;
    out.result = std::move(*result);
    return op->done(std::move(out));
  }
  op->last_error = reply.error;
  switch (reply.error.code) {
    case ErrorCode::kNotLeader:
      return retry(op, reply.error.leader_hint != kNoNode ? reply.error.leader_hint : next_voter());
    case ErrorCode::kOverloaded:
      return retry(op, reply.from);
    case ErrorCode::kBadRequest: {
      MetadataOutcome out;
      out.error = reply.error;
      return op->done(std::move(out));
    }
    case ErrorCode::kDeadline:
    case ErrorCode::kOutcomeUnknown:
      // The proposal may have reached a log.
      if (op->write) op->maybe_applied = true;
      return retry(op, next_voter());
    default:
      return retry(op, next_voter());
  }
}

}  // namespace shoal::cluster
