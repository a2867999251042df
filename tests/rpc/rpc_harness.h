// Simulated processes for the rpc tests: RpcNode serves a handful of test
// methods through an Rpc; RawNode speaks bytes on the rpc channels directly,
// to send frames no Rpc would and to count the frames that come back.
// What a test observes lives outside the processes, so it survives crashes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/channels.h"
#include "engine/rpc/rpc.h"
#include "engine/rpc/wire.h"
#include "sim/simulation.h"

namespace shoal::testing {

// The test methods every RpcNode serves.
inline constexpr MethodId kEcho = 1;   // replies "echo:<self>:<payload>"
inline constexpr MethodId kHold = 2;   // keeps the responder unanswered until released
inline constexpr MethodId kFail = 3;   // fails kNotLeader, hint 7, map version 42, message = payload
inline constexpr MethodId kDrop = 4;   // drops the responder unanswered
inline constexpr MethodId kTwice = 5;  // replies "first", then "second", then fails
inline constexpr MethodId kLater = 6;  // payload "<ms>:<tag>": replies echo of the tag after <ms>
inline constexpr MethodId kConflict = 7;  // fails kConflict with message = payload
inline constexpr MethodId kUnserved = 99;

inline std::string echo_of(NodeId server, const std::string& payload) {
  return "echo:" + std::to_string(server) + ":" + payload;
}

// What the test side sees of every server, across incarnations.
struct ServerLog {
  std::map<MethodId, int> handled;
  std::vector<TimePoint> deadlines;  // of handled requests, on the server's clock
};

class RpcNode final : public sim::Process {
 public:
  RpcNode(Env& env, RpcOptions options, ServerLog* log)
      : env_(env), rpc_(env, options), log_(log) {
    rpc_.serve(kEcho, [this](Request q, Responder r) {
      note(q);
      r.reply(echo_of(env_.self(), q.payload));
    });
    rpc_.serve(kHold, [this](Request q, Responder r) {
      note(q);
      held_.push_back(r);
    });
    rpc_.serve(kFail, [this](Request q, Responder r) {
      note(q);
      r.fail(Error{ErrorCode::kNotLeader, q.payload, 7, 42});
    });
    rpc_.serve(kConflict, [this](Request q, Responder r) {
      note(q);
      r.fail(make_error(ErrorCode::kConflict, q.payload));
    });
    rpc_.serve(kDrop, [this](Request q, Responder) { note(q); });
    rpc_.serve(kTwice, [this](Request q, Responder r) {
      note(q);
      r.reply("first");
      Responder copy = r;
      copy.reply("second");
      copy.fail(make_error(ErrorCode::kConflict, "third"));
    });
    rpc_.serve(kLater, [this](Request q, Responder r) {
      note(q);
      const size_t colon = q.payload.find(':');
      const int ms = std::stoi(q.payload.substr(0, colon));
      std::string tag = q.payload.substr(colon + 1);
      env_.clock().after(milliseconds(ms), [this, r, tag]() mutable {
        r.reply(echo_of(env_.self(), tag));
      });
    });
  }

  Rpc& rpc() { return rpc_; }
  Env& env() { return env_; }
  std::vector<Responder>& held() { return held_; }

 private:
  void note(const Request& q) {
    if (!log_) return;
    log_->handled[q.method]++;
    log_->deadlines.push_back(q.deadline);
  }

  Env& env_;
  Rpc rpc_;
  ServerLog* log_;
  // Declared after rpc_, so destroyed before it, as a service's pending work
  // usually is: a crash then drops held responders while the Rpc still
  // lives, and the Rpc must still send nothing.
  std::vector<Responder> held_;
};

// Sends raw bytes on any channel and records what arrives on the rpc
// channels (it listens on both, as it may pose as a caller or a server).
class RawNode final : public sim::Process {
 public:
  explicit RawNode(Env& env, std::vector<Message>* inbox) : env_(env) {
    for (ChannelId c : {kRpcRequestChannel, kRpcReplyChannel}) {
      env_.network().set_handler(c, [inbox](Message&& m) { inbox->push_back(std::move(m)); });
    }
  }
  bool send(NodeId to, ChannelId channel, std::string bytes) {
    return env_.network().send(to, channel, std::move(bytes));
  }
  Env& env() { return env_; }

 private:
  Env& env_;
};

// One completed call as the caller saw it.
struct Completion {
  uint64_t tag = 0;
  Reply reply;
  TimePoint local_at;  // on the caller's clock
  bool inside_call = false;  // done ran before call() returned
};

// A simulation of RpcNodes 1..n plus, optionally, a RawNode.
struct RpcWorld {
  RpcWorld(uint64_t seed, int n, RpcOptions options = {}, sim::SimOptions sim_options = {})
      : sim(seed, sim_options) {
    for (NodeId id = 1; id <= static_cast<NodeId>(n); ++id) add_node(id, options);
  }
  void add_node(NodeId id, RpcOptions options) {
    sim.add_process(id, "n" + std::to_string(id), [this, options](Env& env) {
      return std::make_unique<RpcNode>(env, options, &servers[env.self()]);
    });
  }
  void add_raw(NodeId id) {
    sim.add_process(id, "raw" + std::to_string(id),
                    [this](Env& env) { return std::make_unique<RawNode>(env, &raw_inbox); });
  }
  RpcNode* node(NodeId id) { return sim.process_as<RpcNode>(id); }
  Rpc& rpc(NodeId id) { return node(id)->rpc(); }
  RawNode* raw(NodeId id) { return sim.process_as<RawNode>(id); }

  // Calls from `from` and records the completion under `tag`.
  void call(NodeId from, NodeId to, MethodId method, std::string payload, Duration timeout,
            uint64_t tag) {
    Env* env = sim.env(from);
    // Set once call() returns: a completion that sees it unset ran inside.
    auto returned_flag = std::make_shared<bool>(false);
    rpc(from).call(to, method, std::move(payload), timeout,
                   [this, env, tag, returned_flag](Reply reply) {
                     completions.push_back(Completion{tag, std::move(reply), env->now(), !*returned_flag});
                   });
    *returned_flag = true;
  }
  std::vector<Completion> of(uint64_t tag) const {
    std::vector<Completion> v;
    for (const auto& c : completions) {
      if (c.tag == tag) v.push_back(c);
    }
    return v;
  }

  sim::Simulation sim;
  std::map<NodeId, ServerLog> servers;
  std::vector<Message> raw_inbox;
  std::vector<Completion> completions;
};

}  // namespace shoal::testing
