#include "engine/client/kv_client.h"
#include "engine/core/assert.h"

#include <type_traits>

#include "engine/core/channels.h"
#include "engine/env/buggify.h"

namespace shoal {

namespace {
// Request ids carry the operation number above the attempt number, so a late
// reply to an earlier attempt of the same operation still counts.
}  // namespace

const char* to_string(OpOutcome o) {
  switch (o) {
    case OpOutcome::kOk: return "ok";
    case OpOutcome::kAccepted: return "accepted";
    case OpOutcome::kFail: return "fail";
    case OpOutcome::kUnknown: return "unknown";
  }
  return "?";
}

KvClient::KvClient(Env& env, KvClientOptions options)
    : KvClient(env, std::move(options), std::make_unique<Rpc>(env), nullptr) {}

KvClient::KvClient(Env& env, KvClientOptions options, Rpc& rpc) : KvClient(env, std::move(options), nullptr, &rpc) {}

KvClient::KvClient(Env& env, KvClientOptions options, std::unique_ptr<Rpc> own, Rpc* shared)
    : env_(env), options_(std::move(options)), own_rpc_(std::move(own)), rpc_(shared ? *shared : *own_rpc_),
      attempt_timer_(env.clock()) {
  SHOAL_ASSERT(options_.client_id != kv::kNoClient);
  SHOAL_ASSERT(!options_.nodes.empty());
  rotation_ = env_.random().below(options_.nodes.size());
  target_ = options_.nodes[rotation_];
}

KvClient::~KvClient() = default;

NodeId KvClient::next_node() {
  rotation_ = (rotation_ + 1) % options_.nodes.size();
  return options_.nodes[rotation_];
}

void KvClient::write(kv::Write w, KvCallback done) { write(std::move(w), std::nullopt, std::move(done)); }

void KvClient::write(kv::Write w, std::optional<kv::Fence> fence, KvCallback done) {
  SHOAL_ASSERT(!busy());
  kv::Command c{kv::Session{options_.client_id, ++sequence_}, std::move(w), std::move(fence)};
  Op op;
  op.number = ++op_number_;
  op.request = ClientRequest{options_.group, true, static_cast<uint8_t>(options_.write_level), 0, 0,
                             kv::encode_command(c)};
  op.done = std::move(done);
  start(std::move(op));
}

void KvClient::read(std::string key, KvCallback done) { query(kv::Get{std::move(key), 0}, std::move(done)); }

void KvClient::query(kv::Query q, KvCallback done) {
  SHOAL_ASSERT(!busy());
  const bool session = options_.read_level == ReadLevel::kSession;
  std::visit(
      [&](auto& read) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(read)>, kv::Watch>) {
          read.min_applied_index = session ? token_ : 0;
        }
      },
      q);
  Op op;
  op.number = ++op_number_;
  op.request = ClientRequest{options_.group, false, static_cast<uint8_t>(options_.read_level), token_, 0,
                             kv::encode_query(q)};
  op.done = std::move(done);
  start(std::move(op));
}

void KvClient::start(Op op) {
  op.deadline = env_.now() + options_.operation_timeout;
  op_ = std::move(op);
  const uint64_t number = op_->number;
  attempt_timer_.arm(Duration(0), [this, number] {
    if (op_ && op_->number == number) attempt();
  });
}

void KvClient::attempt() {
  Op& op = *op_;
  if (env_.now() >= op.deadline) {
    KvOpResult timed_out;
    timed_out.outcome = op.request.write ? OpOutcome::kUnknown : OpOutcome::kFail;
    timed_out.error = "timed out after " + std::to_string(op.attempts) + " attempts";
    return finish(std::move(timed_out));
  }
  op.attempts++;
  // Reads that any replica may serve go anywhere; the rest go to the leader.
  const bool anywhere = !op.request.write && (op.request.level == static_cast<uint8_t>(ReadLevel::kAny) ||
                                              op.request.level == static_cast<uint8_t>(ReadLevel::kSession));
  const NodeId to = anywhere ? options_.nodes[env_.random().below(options_.nodes.size())] : target_;
  // BUGGIFY: give up on an attempt early; the retry carries the same
  // sequence, so the server must deduplicate it.
  const Duration timeout = BUGGIFY(env_) ? options_.attempt_timeout / 10 : options_.attempt_timeout;
  const uint64_t number = op.number;
  std::weak_ptr<const void> alive = alive_;
  rpc_.call(to, kGroupRequestMethod, encode_request(op.request), timeout, [this, alive, number](Reply reply) {
    if (!alive.expired() && op_ && op_->number == number) on_reply(std::move(reply));
  });
}

void KvClient::retry(NodeId next) {
  target_ = next;
  const uint64_t number = op_->number;
  attempt_timer_.arm(options_.retry_backoff, [this, number] {
    if (op_ && op_->number == number) attempt();
  });
}

void KvClient::on_reply(Reply reply) {
  Op& op = *op_;
  if (!reply.ok()) return on_error(reply);
  auto served = decode_reply(reply.payload);
  if (!served.ok()) return retry(next_node());  // garbled; another attempt will answer
  KvOpResult r;
  r.served_by = reply.from;
  r.attempts = op.attempts;
  r.index = op.request.write ? served->index : 0;
  if (served->accepted) {
    if (!op.request.write) return retry(next_node());  // only writes are accepted; garbled
    r.outcome = OpOutcome::kAccepted;
    // If the write survives, a session read waits for it.
    token_ = std::max(token_, served->index);
    target_ = reply.from;
    return finish(std::move(r));
  }
  // Success always carries the state machine's answer; without one the
  // reply is garbled, and another attempt will answer.
  auto result = kv::decode_result(served->payload);
  if (!result.ok()) return retry(next_node());
  if (!op.request.write && result->code == kv::Code::kBehind) return retry(next_node());
  r.outcome = OpOutcome::kOk;
  r.result = *result;
  if (result->code == kv::Code::kSessionExpired || result->code == kv::Code::kStaleSequence) {
    r.outcome = OpOutcome::kUnknown;
    r.error = result->message;
  }
  token_ = std::max(token_, served->index);
  if (op.request.write || options_.read_level != ReadLevel::kAny) target_ = reply.from;
  finish(std::move(r));
}

void KvClient::on_error(const Reply& reply) {
  switch (reply.error.code) {
    case ErrorCode::kOverloaded:
      // A healthy leader with a full queue: wait and ask it again.
      return retry(reply.from);
    case ErrorCode::kNotLeader:
      return retry(reply.error.leader_hint != kNoNode ? reply.error.leader_hint : next_node());
    case ErrorCode::kBadRequest: {
      // Refused before it was proposed: the same bytes never reach a log.
      KvOpResult r;
      r.outcome = OpOutcome::kFail;
      r.error = reply.error.describe();
      r.served_by = reply.from;
      r.attempts = op_->attempts;
      return finish(std::move(r));
    }
    default:
      // Deadline, unavailable, an outcome the node could not tell, a group
      // the node does not host: the same sequence number goes elsewhere.
      return retry(next_node());
  }
}

void KvClient::finish(KvOpResult r) {
  attempt_timer_.cancel();
  KvCallback done = std::move(op_->done);
  op_.reset();
  done(r);
}

}  // namespace shoal
