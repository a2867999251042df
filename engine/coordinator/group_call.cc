#include "engine/coordinator/group_call.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/coordinator/bounds.h"

namespace shoal::coord {
namespace {

class GroupCall : public std::enable_shared_from_this<GroupCall> {
 public:
  GroupCall(Env& env, Rpc& rpc, std::weak_ptr<const void> alive, GroupCallSpec spec, GroupCallDone done)
      : env_(env), rpc_(rpc), alive_(std::move(alive)), spec_(std::move(spec)), done_(std::move(done)),
        backoff_(spec_.backoff) {}

  void start() {
    SHOAL_ASSERT(!spec_.replicas.empty());
    const size_t n = spec_.replicas.size();
    if (spec_.to_leader) {
      position_ = 0;
      target_ = spec_.leader_hint != kNoNode ? spec_.leader_hint : spec_.replicas[0];
    } else {
      position_ = static_cast<size_t>(env_.random().below(n));
      target_ = spec_.replicas[position_];
    }
    attempt();
  }

 private:
  Duration time_left() const { return spec_.deadline - env_.now(); }

  void attempt() {
    const Duration left = time_left();
    if (left <= Duration::zero() || result_.attempts >= kAttemptsPerSubRequestMax) return give_up();
    result_.attempts++;
    tried_in_round_++;
    const Duration timeout = std::min(left, spec_.attempt_timeout);
    auto self = shared_from_this();
    rpc_.call(target_, kGroupRequestMethod, encode_request(spec_.request), timeout,
              [self](Reply reply) {
                if (self->alive_.expired()) return;
                self->on_reply(std::move(reply));
              });
  }

  void on_reply(Reply reply) {
    if (reply.ok()) {
      auto decoded = decode_reply(reply.payload);
      if (!decoded.ok()) {
        // A node that answers bytes nobody can read is as good as down here.
        last_error_ = make_error(ErrorCode::kUnavailable, "malformed group reply from node " +
                                                              std::to_string(reply.from));
        return next_replica();
      }
      if (!spec_.to_leader && spec_.behind && spec_.behind(*decoded)) {
        last_error_ = make_error(ErrorCode::kUnavailable,
                                 "replica on node " + std::to_string(reply.from) + " is behind");
        return next_replica();
      }
      result_.reply = *std::move(decoded);
      result_.served_by = reply.from;
      if (spec_.to_leader) result_.leader = reply.from;
      return finish();
    }
    on_error(std::move(reply));
  }

  void on_error(Reply reply) {
    const ErrorCode code = reply.error.code;
    last_error_ = reply.error;
    switch (code) {
      case ErrorCode::kNotLeader:
        if (reply.error.leader_hint != kNoNode && reply.error.leader_hint != target_) {
          result_.leader = reply.error.leader_hint;
          target_ = reply.error.leader_hint;
          return attempt();
        }
        return next_replica();
      case ErrorCode::kOverloaded:
        // Busy, not broken: the same node, later.
        return retry_after(backoff_grow());
      case ErrorCode::kDeadline:
      case ErrorCode::kOutcomeUnknown:
        if (spec_.request.write) result_.maybe_applied = true;
        return next_replica();
      case ErrorCode::kUnavailable:
        return next_replica();
      default:
        // kStaleMap, kNotFound (the map is old), kBadRequest, kConflict, or
        // anything unknown: the caller decides.
        result_.error = std::move(reply.error);
        return finish();
    }
  }

  Duration backoff_grow() {
    const Duration d = backoff_;
    backoff_ = std::min(backoff_ * 2, kOverloadedBackoffMax);
    return d;
  }

  void next_replica() {
    const size_t n = spec_.replicas.size();
    position_ = (position_ + 1) % n;
    target_ = spec_.replicas[position_];
    if (tried_in_round_ >= n) {
      // Every replica had a turn: pause before the next round.
      tried_in_round_ = 0;
      return retry_after(backoff_grow());
    }
    attempt();
  }

  void retry_after(Duration d) {
    if (time_left() <= d) return give_up();
    auto self = shared_from_this();
    env_.clock().after(d, [self] {
      if (self->alive_.expired()) return;
      self->attempt();
    });
  }

  void give_up() {
    const std::string last = last_error_.ok() ? "no attempt answered" : last_error_.describe();
    if (time_left() <= Duration::zero()) {
      result_.error = make_error(ErrorCode::kDeadline, "group " + std::to_string(spec_.request.group) +
                                                           ": deadline passed; last: " + last);
    } else {
      result_.error = last_error_.ok() ? make_error(ErrorCode::kUnavailable, last) : last_error_;
      result_.error.message = absl::StrCat("group ", spec_.request.group, ": gave up after ",
                                           result_.attempts, " attempts; last: ", last);
    }
    finish();
  }

  void finish() {
    SHOAL_ASSERT(done_);
    GroupCallDone done = std::move(done_);
    done_ = nullptr;
    done(std::move(result_));
  }

  Env& env_;
  Rpc& rpc_;
  std::weak_ptr<const void> alive_;
  GroupCallSpec spec_;
  GroupCallDone done_;
  Duration backoff_;
  NodeId target_ = kNoNode;
  size_t position_ = 0;
  size_t tried_in_round_ = 0;
  Error last_error_;
  GroupCallResult result_;
};

}  // namespace

void call_group(Env& env, Rpc& rpc, std::weak_ptr<const void> alive, GroupCallSpec spec, GroupCallDone done) {
  SHOAL_ASSERT(done);
  auto call = std::make_shared<GroupCall>(env, rpc, std::move(alive), std::move(spec), std::move(done));
  call->start();
}

}  // namespace shoal::coord
