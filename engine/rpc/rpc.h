// Rpc: request/response with ids, deadlines and typed errors over the
// unreliable Network.
//
// One Rpc per process (per Env). It serves methods, named by a MethodId, to
// other processes, and calls methods on them. Requests travel on
// kRpcRequestChannel and replies on kRpcReplyChannel (engine/rpc/wire.h has
// the frames). The network may delay, drop, duplicate and reorder either, so
// the layer promises only what it can keep:
//
//  * A call completes exactly once: with the first reply that arrives for it,
//    or with kDeadline when its timeout passes first, or with a local error
//    when it could not be sent. Completion always runs later on the event
//    loop, never inside call(). Late and duplicate replies are dropped and
//    counted.
//  * A request may be handled more than once (the network may duplicate it)
//    or not at all, and a reply may be lost: kDeadline means "outcome
//    unknown", never "not done". Handlers that change state must be
//    idempotent, or the layer above must deduplicate.
//  * A handler answers through a Responder exactly once; later answers are
//    ignored, and a Responder whose last copy dies unanswered answers
//    kUnavailable, so no caller waits for a handler that forgot it.
//  * Deadlines travel as durations (the time the caller has left), because
//    clocks of different nodes do not agree; the server turns the budget
//    into a deadline on its own clock.
//  * Calls to this process itself skip the network but keep every promise
//    above: they go through zero-delay timers, so still asynchronously.
//
// Destroying the Rpc (the process stops or crashes) removes its channel
// handlers and cancels every timer it set: calls still pending then never
// complete and their callbacks are destroyed unrun, because nobody is left
// to hear them. Nothing is sent from a dying Rpc, not even the kUnavailable
// of a Responder dropped during the destruction.
//
// Everything runs on the Env's event loop; nothing here is thread-safe.
// Nothing iterates a hash map: pending calls and methods are kept in ordered
// maps, so a seed gives one run.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/core/error.h"
#include "engine/env/env.h"
#include "engine/rpc/wire.h"

namespace shoal {

// Channels 1-3 and 1000+ are taken (engine/core/channels.h).
inline constexpr ChannelId kRpcRequestChannel = 4;
inline constexpr ChannelId kRpcReplyChannel = 5;

// Calls pending at once; a call beyond it fails with kOverloaded.
inline constexpr size_t kRpcCallsInFlightMax = 4096;
// Finished calls remembered so that a reply arriving after the call finished
// is told apart as late (after the deadline) or duplicate (after a reply).
inline constexpr size_t kRpcFinishedCallsRemembered = 4096;
// Longer timeouts, and longer budgets arriving from the network, are cut to
// this: a deadline must stay far from the end of the clock's range.
inline constexpr Duration kRpcTimeoutMax = hours(24 * 365);

struct RpcOptions {
  size_t calls_in_flight_max = kRpcCallsInFlightMax;
  // Applies to request payloads sent and reply payloads answered.
  // REQUIRES: <= kRpcPayloadBytesMax.
  size_t payload_bytes_max = kRpcPayloadBytesMax;
  size_t finished_calls_remembered = kRpcFinishedCallsRemembered;
  // Two Rpc objects may share an Env only on distinct channels.
  ChannelId request_channel = kRpcRequestChannel;
  ChannelId reply_channel = kRpcReplyChannel;
};

struct RpcStats {
  // Caller side. Every call ends in one of replies_ok, replies_error,
  // deadlines or local_failures, or is still in flight.
  uint64_t calls = 0;
  uint64_t replies_ok = 0;
  uint64_t replies_error = 0;
  uint64_t deadlines = 0;
  uint64_t local_failures = 0;     // never sent: too large, overloaded, send rejected
  uint64_t late_replies = 0;       // for a call that had ended at its deadline
  uint64_t duplicate_replies = 0;  // for a call that had been answered already
  uint64_t stray_replies = 0;      // for no call remembered, or from another node
  // Server side.
  uint64_t requests = 0;  // handed to a handler
  uint64_t expired_requests_dropped = 0;
  uint64_t unknown_method = 0;
  uint64_t double_answers = 0;
  uint64_t dropped_responders = 0;  // answered kUnavailable for the handler
  uint64_t oversized_replies = 0;   // answered kBadRequest instead
  // Both sides: frames that did not decode, on either channel.
  uint64_t malformed_frames = 0;
};

struct Request {
  NodeId from = kNoNode;
  MethodId method = 0;
  std::string payload;
  TimePoint deadline;  // on this node's clock
};

struct Reply {
  Error error;          // kNone when the server replied with a payload
  std::string payload;  // empty unless ok()
  NodeId from = kNoNode;  // the node the call was addressed to
  bool ok() const { return error.ok(); }
};

class Rpc;

// Answers one request. Copies share one answer: the first reply() or fail()
// of any copy is sent, later ones are ignored and counted as double answers.
// When the last copy is destroyed unanswered, the caller is answered
// kUnavailable "dropped by the server" (a zero-delay timer later, so that a
// process being destroyed sends nothing). A Responder may outlive its Rpc;
// answering it then does nothing.
class Responder {
 public:
  // REQUIRES: payload.size() <= the server's payload_bytes_max; a larger
  // payload is answered kBadRequest instead (and counted).
  void reply(std::string payload);
  // REQUIRES: !error.ok().
  void fail(Error error);
  bool answered() const;
  // The request's deadline on this node's clock.
  TimePoint deadline() const;
  // True once the deadline has passed (or the Rpc is gone): the caller no
  // longer listens, so expensive work may be skipped. Answering is still
  // allowed and cheap; the caller drops it.
  bool expired() const;

 private:
  friend class Rpc;
  struct State;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

class Rpc {
 public:
  using Handler = std::function<void(Request request, Responder responder)>;
  using Callback = std::function<void(Reply reply)>;

  // Installs the handlers of both channels on env.network().
  // REQUIRES: no other handler on those channels; env outlives this object.
  explicit Rpc(Env& env, RpcOptions options = {});
  ~Rpc();
  Rpc(const Rpc&) = delete;
  Rpc& operator=(const Rpc&) = delete;

  // REQUIRES: handler is non-empty and method is not served yet.
  void serve(MethodId method, Handler handler);
  // Requests for the method are answered kBadRequest from now on.
  void stop_serving(MethodId method);
  bool serves(MethodId method) const { return handlers_.contains(method); }

  // Sends `payload` to `method` on node `to` and runs `done` with its answer.
  // REQUIRES: timeout > 0 (longer than kRpcTimeoutMax is cut to it); done is
  // non-empty.
  // PROMISES: done runs exactly once (unless this Rpc is destroyed first),
  // always later on the event loop and never inside call(), with
  //  - the first reply that arrives (ok, or the server's typed error);
  //  - kDeadline when `timeout` passes on this node's clock first;
  //  - kBadRequest when payload is larger than payload_bytes_max;
  //  - kOverloaded when calls_in_flight_max calls are pending already;
  //  - kUnavailable when the network rejects the send.
  // Reply::from is `to` in every case.
  void call(NodeId to, MethodId method, std::string payload, Duration timeout, Callback done);

  size_t calls_in_flight() const { return pending_.size(); }
  RpcStats stats() const { return stats_; }
  const RpcOptions& options() const { return options_; }

 private:
  friend class Responder;

  struct PendingCall {
    NodeId to = kNoNode;
    Callback done;
    TimerId deadline_timer = kNoTimer;
  };
  struct FinishedCall {
    NodeId to = kNoNode;
    bool by_deadline = false;
  };

  uint64_t next_call_id();
  void fail_soon(NodeId to, Callback done, Error error);
  // Runs fn a zero-delay timer later, unless this Rpc is destroyed first.
  void defer(std::function<void()> fn);

  void on_request_frame(NodeId from, std::string_view bytes);
  void on_reply_frame(NodeId from, std::string_view bytes);
  void on_deadline(uint64_t call_id);
  void count_unmatched_reply(uint64_t call_id, NodeId from);
  void remember_finished(uint64_t call_id, NodeId to, bool by_deadline);

  // The one way a reply leaves this process: to the network, or to itself.
  void send_reply(NodeId to, ReplyFrame frame);
  // A Responder's answer; counts and replaces oversized payloads.
  void answer(NodeId to, uint64_t call_id, Error error, std::string payload);

  Env& env_;
  const RpcOptions options_;
  // Points at this object until its destructor runs; Responders hold it to
  // know whether anyone is left to answer through.
  std::shared_ptr<Rpc*> alive_;
  uint64_t next_call_id_ = 0;
  std::map<MethodId, Handler> handlers_;
  std::map<uint64_t, PendingCall> pending_;
  std::map<uint64_t, FinishedCall> finished_;
  std::deque<uint64_t> finished_order_;  // oldest first, for eviction
  uint64_t next_deferred_key_ = 1;
  std::map<uint64_t, TimerId> deferred_;  // zero-delay timers not yet run
  RpcStats stats_;
};

}  // namespace shoal
