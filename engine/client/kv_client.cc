#include "engine/client/kv_client.h"
#include "engine/core/assert.h"

#include "engine/core/channels.h"
#include "engine/env/buggify.h"

namespace shoal {

namespace {
// Request ids carry the operation number above the attempt number, so a late
// reply to an earlier attempt of the same operation still counts.
constexpr int kAttemptBits = 16;
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
    : env_(env), options_(std::move(options)), attempt_timer_(env.clock()) {
  SHOAL_ASSERT(options_.client_id != kv::kNoClient);
  SHOAL_ASSERT(!options_.nodes.empty());
  rotation_ = env_.random().below(options_.nodes.size());
  target_ = options_.nodes[rotation_];
  env_.network().set_handler(kClientChannel, [this](Message&& m) { on_reply(std::move(m)); });
}

KvClient::~KvClient() { env_.network().set_handler(kClientChannel, {}); }

NodeId KvClient::next_node() {
  rotation_ = (rotation_ + 1) % options_.nodes.size();
  return options_.nodes[rotation_];
}

void KvClient::write(kv::Write w, KvCallback done) {
  SHOAL_ASSERT(!busy());
  kv::Command c{kv::Session{options_.client_id, ++sequence_}, std::move(w)};
  Op op;
  op.number = ++op_number_;
  op.request = ClientRequest{0, options_.group, true, static_cast<uint8_t>(options_.write_level), 0,
                             kv::encode_command(c)};
  op.done = std::move(done);
  start(std::move(op));
}

void KvClient::read(std::string key, KvCallback done) {
  SHOAL_ASSERT(!busy());
  const bool session = options_.read_level == ReadLevel::kSession;
  kv::Query q = kv::Get{std::move(key), session ? token_ : 0};
  Op op;
  op.number = ++op_number_;
  op.request = ClientRequest{0, options_.group, false, static_cast<uint8_t>(options_.read_level), token_,
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
  op.request.request_id = (op.number << kAttemptBits) | (static_cast<uint64_t>(op.attempts) & 0xffff);
  // Reads that any replica may serve go anywhere; the rest go to the leader.
  const bool anywhere = !op.request.write && (op.request.level == static_cast<uint8_t>(ReadLevel::kAny) ||
                                              op.request.level == static_cast<uint8_t>(ReadLevel::kSession));
  const NodeId to = anywhere ? options_.nodes[env_.random().below(options_.nodes.size())] : target_;
  env_.network().send(to, kClientChannel, encode_request(op.request));
  const uint64_t number = op.number;
  // BUGGIFY: give up on an attempt early; the retry carries the same
  // sequence, so the server must deduplicate it.
  const Duration timeout = BUGGIFY(env_) ? options_.attempt_timeout / 10 : options_.attempt_timeout;
  attempt_timer_.arm(timeout, [this, number] {
    if (op_ && op_->number == number) retry(next_node());
  });
}

void KvClient::retry(NodeId next) {
  target_ = next;
  const uint64_t number = op_->number;
  attempt_timer_.arm(options_.retry_backoff, [this, number] {
    if (op_ && op_->number == number) attempt();
  });
}

void KvClient::on_reply(Message&& m) {
  auto reply = decode_reply(m.payload);
  if (!reply.ok() || !op_ || (reply->request_id >> kAttemptBits) != op_->number) return;
  Op& op = *op_;
  switch (reply->status) {
    case ReplyStatus::kOk: {
      // Success always carries the state machine's answer; without one the
      // reply is garbled, and another attempt will answer.
      auto result = kv::decode_result(reply->payload);
      if (!result.ok()) return;
      if (!op.request.write && result->code == kv::Code::kBehind) return retry(next_node());
      KvOpResult r;
      r.outcome = OpOutcome::kOk;
      r.result = *result;
      r.index = op.request.write ? reply->index : 0;
      r.served_by = m.from;
      r.attempts = op.attempts;
      if (result->code == kv::Code::kSessionExpired || result->code == kv::Code::kStaleSequence) {
        r.outcome = OpOutcome::kUnknown;
        r.error = result->message;
      }
      token_ = std::max(token_, reply->index);
      if (op.request.write || options_.read_level != ReadLevel::kAny) target_ = m.from;
      return finish(std::move(r));
    }
    case ReplyStatus::kAccepted: {
      if (!op.request.write) return;  // only writes are accepted; a garbled reply
      KvOpResult r;
      r.outcome = OpOutcome::kAccepted;
      r.index = reply->index;
      r.served_by = m.from;
      r.attempts = op.attempts;
      // If the write survives, a session read waits for it.
      token_ = std::max(token_, reply->index);
      target_ = m.from;
      return finish(std::move(r));
    }
    case ReplyStatus::kOverloaded:
      // A healthy leader with a full queue: wait and ask it again.
      return retry(m.from);
    case ReplyStatus::kNotLeader:
      return retry(reply->leader_hint != kNoNode ? reply->leader_hint : next_node());
    case ReplyStatus::kUnknown:
    case ReplyStatus::kUnavailable:
      return retry(next_node());
    case ReplyStatus::kBadRequest:
      // Refused before it was proposed: the same bytes never reach a log.
    {
      KvOpResult r;
      r.outcome = OpOutcome::kFail;
      r.error = reply->message;
      r.served_by = m.from;
      r.attempts = op.attempts;
      return finish(std::move(r));
    }
  }
}

void KvClient::finish(KvOpResult r) {
  attempt_timer_.cancel();
  KvCallback done = std::move(op_->done);
  op_.reset();
  done(r);
}

}  // namespace shoal
