#include "engine/rpc/rpc.h"

#include <algorithm>
#include <utility>

#include "engine/core/assert.h"
#include "engine/rpc/responder_state.h"

namespace shoal {

Rpc::Rpc(Env& env, RpcOptions options)
    : env_(env), options_(options), alive_(std::make_shared<Rpc*>(this)) {
  SHOAL_ASSERT(options_.payload_bytes_max <= kRpcPayloadBytesMax);
  SHOAL_ASSERT(options_.request_channel != options_.reply_channel);
  // Call ids start at a random point of the 64-bit space rather than at 1.
  // A peer may still answer calls of this process's previous incarnation
  // after a restart; had the new incarnation started counting where the old
  // one did, such a stale reply would complete a new call with the answer to
  // an old one. From a random start the two ranges meet with negligible
  // probability, and a reply that matches no pending call is dropped.
  next_call_id_ = env_.random().next_u64();
  env_.network().set_handler(options_.request_channel,
                             [this](Message&& m) { on_request_frame(m.from, m.payload); });
  env_.network().set_handler(options_.reply_channel,
                             [this](Message&& m) { on_reply_frame(m.from, m.payload); });
}

Rpc::~Rpc() {
  // First: Responders destroyed from here on (in pending callbacks, in
  // handlers) must not answer through a half-destroyed object.
  *alive_ = nullptr;
  env_.network().set_handler(options_.request_channel, nullptr);
  env_.network().set_handler(options_.reply_channel, nullptr);
  for (const auto& [id, call] : pending_) env_.clock().cancel(call.deadline_timer);
  for (const auto& [key, timer] : deferred_) env_.clock().cancel(timer);
}

void Rpc::serve(MethodId method, Handler handler) {
  SHOAL_ASSERT(handler);
  SHOAL_ASSERT(!handlers_.contains(method));
  handlers_.emplace(method, std::move(handler));
}

void Rpc::stop_serving(MethodId method) { handlers_.erase(method); }

uint64_t Rpc::next_call_id() {
  // 0 never names a call, so that a zeroed frame cannot match one.
  if (next_call_id_ == 0) next_call_id_ = 1;
  return next_call_id_++;
}

void Rpc::call(NodeId to, MethodId method, std::string payload, Duration timeout, Callback done) {
  SHOAL_ASSERT(timeout > Duration(0));
  SHOAL_ASSERT(done);
  stats_.calls++;
  timeout = std::min(timeout, kRpcTimeoutMax);
  if (payload.size() > options_.payload_bytes_max) {
    fail_soon(to, std::move(done),
              make_error(ErrorCode::kBadRequest,
                         "request payload of " + std::to_string(payload.size()) +
                             " bytes is over the bound of " + std::to_string(options_.payload_bytes_max)));
    return;
  }
  if (pending_.size() >= options_.calls_in_flight_max) {
    fail_soon(to, std::move(done),
              make_error(ErrorCode::kOverloaded,
                         std::to_string(pending_.size()) + " calls in flight already"));
    return;
  }
  const uint64_t id = next_call_id();
  // The request leaves now, so the budget it carries is the whole timeout.
  std::string frame = encode_request_frame(RequestFrame{id, method, timeout, std::move(payload)});
  if (to == env_.self()) {
    defer([this, frame = std::move(frame)] { on_request_frame(env_.self(), frame); });
  } else if (!env_.network().send(to, options_.request_channel, std::move(frame))) {
    fail_soon(to, std::move(done),
              make_error(ErrorCode::kUnavailable,
                         "the network rejected a request to node " + std::to_string(to)));
    return;
  }
  const TimerId timer = env_.clock().after(timeout, [this, id] { on_deadline(id); });
  pending_.emplace(id, PendingCall{to, std::move(done), timer});
}

void Rpc::fail_soon(NodeId to, Callback done, Error error) {
  stats_.local_failures++;
  defer([done = std::move(done), error = std::move(error), to] { done(Reply{error, "", to}); });
}

void Rpc::defer(std::function<void()> fn) {
  const uint64_t key = next_deferred_key_++;
  const TimerId timer = env_.clock().after(Duration(0), [this, key, fn = std::move(fn)] {
    deferred_.erase(key);
    fn();  // may destroy this Rpc: nothing touches it afterwards
  });
  deferred_.emplace(key, timer);
}

void Rpc::on_deadline(uint64_t call_id) {
  auto it = pending_.find(call_id);
  // A reply that finishes a call cancels its deadline timer first.
  SHOAL_ASSERT(it != pending_.end());
  PendingCall call = std::move(it->second);
  pending_.erase(it);
  remember_finished(call_id, call.to, /*by_deadline=*/true);
  stats_.deadlines++;
  call.done(Reply{make_error(ErrorCode::kDeadline,
                             "no reply from node " + std::to_string(call.to) + " in time"),
                  "", call.to});
}

void Rpc::on_reply_frame(NodeId from, std::string_view bytes) {
  std::optional<ReplyFrame> frame = decode_reply_frame(bytes);
  if (!frame) {
    stats_.malformed_frames++;
    return;
  }
  auto it = pending_.find(frame->call_id);
  // A reply is matched by id and by sender: a frame from another node that
  // happens to carry a pending id (a stale incarnation's, say) is not it.
  if (it == pending_.end() || it->second.to != from) {
    count_unmatched_reply(frame->call_id, from);
    return;
  }
  PendingCall call = std::move(it->second);
  pending_.erase(it);
  env_.clock().cancel(call.deadline_timer);
  remember_finished(frame->call_id, from, /*by_deadline=*/false);
  (frame->error.ok() ? stats_.replies_ok : stats_.replies_error)++;
  // Only an ok reply carries a payload, so a caller never mistakes an error's
  // leftovers for a result.
  std::string payload = frame->error.ok() ? std::move(frame->payload) : std::string();
  call.done(Reply{std::move(frame->error), std::move(payload), from});
}

void Rpc::count_unmatched_reply(uint64_t call_id, NodeId from) {
  auto it = finished_.find(call_id);
  if (it == finished_.end() || it->second.to != from) {
    stats_.stray_replies++;
  } else if (it->second.by_deadline) {
    stats_.late_replies++;
  } else {
    stats_.duplicate_replies++;
  }
}

void Rpc::remember_finished(uint64_t call_id, NodeId to, bool by_deadline) {
  if (options_.finished_calls_remembered == 0) return;
  if (finished_order_.size() >= options_.finished_calls_remembered) {
    finished_.erase(finished_order_.front());
    finished_order_.pop_front();
  }
  finished_.emplace(call_id, FinishedCall{to, by_deadline});
  finished_order_.push_back(call_id);
}

void Rpc::on_request_frame(NodeId from, std::string_view bytes) {
  std::optional<RequestFrame> frame = decode_request_frame(bytes);
  if (!frame) {
    stats_.malformed_frames++;
    return;
  }
  // The caller gave up when its budget ran out; with none left, nobody listens.
  if (frame->budget <= Duration(0)) {
    stats_.expired_requests_dropped++;
    return;
  }
  auto it = handlers_.find(frame->method);
  if (it == handlers_.end()) {
    stats_.unknown_method++;
    send_reply(from, ReplyFrame{frame->call_id,
                                make_error(ErrorCode::kBadRequest,
                                           "no method " + std::to_string(frame->method)),
                                ""});
    return;
  }
  stats_.requests++;
  const TimePoint deadline = env_.now() + std::min(frame->budget, kRpcTimeoutMax);
  Responder responder(std::make_shared<Responder::State>(alive_, from, frame->call_id, deadline));
  // A copy: the handler may stop serving its own method, or replace it.
  Handler handler = it->second;
  handler(Request{from, frame->method, std::move(frame->payload), deadline}, std::move(responder));
}

void Rpc::answer(NodeId to, uint64_t call_id, Error error, std::string payload) {
  if (error.ok() && payload.size() > options_.payload_bytes_max) {
    stats_.oversized_replies++;
    error = make_error(ErrorCode::kBadRequest,
                       "reply payload of " + std::to_string(payload.size()) +
                           " bytes is over the bound of " + std::to_string(options_.payload_bytes_max));
  }
  if (!error.ok()) payload.clear();
  send_reply(to, ReplyFrame{call_id, std::move(error), std::move(payload)});
}

void Rpc::send_reply(NodeId to, ReplyFrame frame) {
  std::string bytes = encode_reply_frame(frame);
  if (to == env_.self()) {
    defer([this, bytes = std::move(bytes)] { on_reply_frame(env_.self(), bytes); });
    return;
  }
  // A rejected send is a lost reply: the caller's deadline covers it.
  env_.network().send(to, options_.reply_channel, std::move(bytes));
}

}  // namespace shoal
