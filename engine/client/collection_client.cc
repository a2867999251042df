#include "engine/client/collection_client.h"

#include <algorithm>
#include <utility>

#include "engine/core/assert.h"

namespace shoal {

struct CollectionClient::Call {
  MethodId method = 0;
  bool write = false;
  std::function<std::string(Duration)> payload;
  std::function<void(const std::string&, CollectionResult*)> on_ok;
  CollectionDone done;
  TimePoint deadline;
  NodeId node = kNoNode;
  size_t tried_in_round = 0;
  Duration backoff{0};
  bool maybe_applied = false;
  bool answered = false;  // a node replied with a payload; on_ok set the outcome
  CollectionResult result;
};

CollectionClient::CollectionClient(Env& env, Rpc& rpc, std::vector<NodeId> nodes, CollectionClientOptions options)
    : env_(env), rpc_(rpc), nodes_(std::move(nodes)), options_(options), alive_(std::make_shared<char>(0)) {
  SHOAL_ASSERT(!nodes_.empty());
}

CollectionClient::~CollectionClient() = default;

void CollectionClient::note_token(GroupId group, uint64_t index) {
  uint64_t& t = tokens_[group];
  t = std::max(t, index);
}

void CollectionClient::run(MethodId method, bool write, std::function<std::string(Duration)> payload,
                           std::function<void(const std::string&, CollectionResult*)> on_ok, CollectionDone done) {
  SHOAL_ASSERT(done);
  auto call = std::make_shared<Call>();
  call->method = method;
  call->write = write;
  call->payload = std::move(payload);
  call->on_ok = std::move(on_ok);
  call->done = std::move(done);
  call->deadline = env_.now() + options_.operation_timeout;
  call->node = nodes_[next_node_ % nodes_.size()];
  call->backoff = options_.backoff;
  attempt(std::move(call));
}

void CollectionClient::attempt(std::shared_ptr<Call> call) {
  const Duration left = call->deadline - env_.now();
  if (left <= Duration::zero()) {
    // Later, like every completion; the loop turns before done runs.
    std::weak_ptr<const void> alive = alive_;
    env_.clock().after(Duration::zero(), [this, alive, call] {
      if (!alive.expired()) finish(call);
    });
    return;
  }
  const Duration timeout = std::min(left, options_.attempt_timeout);
  const Duration budget = std::max(timeout - options_.reply_margin, Duration(1));
  call->result.attempts++;
  call->tried_in_round++;
  std::weak_ptr<const void> alive = alive_;
  rpc_.call(call->node, call->method, call->payload(budget), timeout, [this, alive, call](Reply reply) {
    if (!alive.expired()) on_reply(call, std::move(reply));
  });
}

void CollectionClient::on_reply(std::shared_ptr<Call> call, Reply reply) {
  std::weak_ptr<const void> alive = alive_;
  auto retry_after = [this, alive, call](Duration d) {
    if (call->deadline - env_.now() <= d) return finish(call);
    env_.clock().after(d, [this, alive, call] {
      if (!alive.expired()) attempt(call);
    });
  };
  if (reply.ok()) {
    call->answered = true;
    call->result.served_by = reply.from;
    call->result.outcome = coord::Outcome::kOk;
    call->result.error = Error{};
    call->on_ok(reply.payload, &call->result);
    return finish(call);
  }
  call->result.error = reply.error;
  switch (reply.error.code) {
    case ErrorCode::kOverloaded: {
      const Duration d = call->backoff;
      call->backoff = std::min<Duration>(call->backoff * 2, seconds(1));
      return retry_after(d);
    }
    case ErrorCode::kDeadline:
    case ErrorCode::kOutcomeUnknown:
      if (call->write) call->maybe_applied = true;
      [[fallthrough]];
    case ErrorCode::kUnavailable: {
      // Another node's coordinator may do better; pause after a full round.
      next_node_ = (next_node_ + 1) % nodes_.size();
      call->node = nodes_[next_node_];
      if (call->tried_in_round >= nodes_.size()) {
        call->tried_in_round = 0;
        return retry_after(call->backoff);
      }
      return attempt(call);
    }
    default:
      return finish(call);
  }
}

void CollectionClient::finish(std::shared_ptr<Call> call) {
  CollectionResult& r = call->result;
  if (!call->answered) {
    const bool unknown = call->write && (call->maybe_applied || r.error.code == ErrorCode::kDeadline ||
                                         r.error.code == ErrorCode::kOutcomeUnknown);
    r.outcome = unknown ? coord::Outcome::kUnknown : coord::Outcome::kFail;
    if (r.error.ok()) r.error = make_error(ErrorCode::kDeadline, "no answer by the deadline");
  }
  CollectionDone done = std::move(call->done);
  done(r);
}

void CollectionClient::upsert(std::string collection, std::string documents_json, CollectionDone done) {
  coord::UpsertCall c{std::move(collection), std::move(documents_json), options_.write_level, {}};
  auto on_ok = [this](const std::string& payload, CollectionResult* r) {
    if (!coord::decode_reply(payload, &r->write)) {
      r->outcome = coord::Outcome::kUnknown;
      r->error = make_error(ErrorCode::kOutcomeUnknown, "malformed write reply");
      return;
    }
    for (const coord::ShardWrite& s : r->write.shards) {
      if (s.outcome == coord::Outcome::kOk) note_token(s.group, s.index);
    }
    r->outcome = r->write.outcome();
    r->error = r->write.error;
  };
  run(coord::kCoordUpsertMethod, true,
      [c](Duration budget) mutable {
        c.timeout = budget;
        return coord::encode_call(c);
      },
      on_ok, std::move(done));
}

void CollectionClient::remove(std::string collection, std::vector<std::string> ids, CollectionDone done) {
  coord::DeleteCall c{std::move(collection), std::move(ids), options_.write_level, {}};
  auto on_ok = [this](const std::string& payload, CollectionResult* r) {
    if (!coord::decode_reply(payload, &r->write)) {
      r->outcome = coord::Outcome::kUnknown;
      r->error = make_error(ErrorCode::kOutcomeUnknown, "malformed write reply");
      return;
    }
    for (const coord::ShardWrite& s : r->write.shards) {
      if (s.outcome == coord::Outcome::kOk) note_token(s.group, s.index);
    }
    r->outcome = r->write.outcome();
    r->error = r->write.error;
  };
  run(coord::kCoordDeleteMethod, true,
      [c](Duration budget) mutable {
        c.timeout = budget;
        return coord::encode_call(c);
      },
      on_ok, std::move(done));
}

void CollectionClient::search(std::string collection, std::string request_json, CollectionSearchParams params,
                              CollectionDone done) {
  coord::SearchCall c{std::move(collection), std::move(request_json), options_.read_level, params.allow_partial,
                      params.probe_shards, {}, {}};
  auto on_ok = [this](const std::string& payload, CollectionResult* r) {
    if (!coord::decode_reply(payload, &r->search)) {
      r->outcome = coord::Outcome::kFail;
      r->error = make_error(ErrorCode::kUnavailable, "malformed search reply");
      return;
    }
    for (const auto& [group, revision] : r->search.revisions) note_token(group, revision);
  };
  run(coord::kCoordSearchMethod, false,
      [this, c](Duration budget) mutable {
        c.timeout = budget;
        c.session_tokens = tokens_;
        return coord::encode_call(c);
      },
      on_ok, std::move(done));
}

void CollectionClient::get(std::string collection, std::string id, CollectionDone done) {
  coord::GetCall c{std::move(collection), std::move(id), options_.read_level, {}, {}};
  auto on_ok = [this](const std::string& payload, CollectionResult* r) {
    if (!coord::decode_reply(payload, &r->get)) {
      r->outcome = coord::Outcome::kFail;
      r->error = make_error(ErrorCode::kUnavailable, "malformed get reply");
      return;
    }
    note_token(r->get.group, r->get.revision);
  };
  run(coord::kCoordGetMethod, false,
      [this, c](Duration budget) mutable {
        c.timeout = budget;
        c.session_tokens = tokens_;
        return coord::encode_call(c);
      },
      on_ok, std::move(done));
}

void CollectionClient::open_pit(std::string collection, CollectionDone done) {
  coord::OpenPitCall c{std::move(collection), {}};
  auto on_ok = [](const std::string& payload, CollectionResult* r) {
    coord::OpenPitReply p;
    if (!coord::decode_reply(payload, &p)) {
      r->outcome = coord::Outcome::kUnknown;
      r->error = make_error(ErrorCode::kOutcomeUnknown, "malformed open reply");
      return;
    }
    r->pit_id = std::move(p.pit_id);
  };
  // Opening pins revisions on shards: an unanswered open may have pinned.
  run(coord::kCoordOpenPitMethod, true,
      [c](Duration budget) mutable {
        c.timeout = budget;
        return coord::encode_call(c);
      },
      on_ok, std::move(done));
}

void CollectionClient::close_pit(std::string pit_id, CollectionDone done) {
  coord::ClosePitCall c{std::move(pit_id), {}};
  run(coord::kCoordClosePitMethod, true,
      [c](Duration budget) mutable {
        c.timeout = budget;
        return coord::encode_call(c);
      },
      [](const std::string&, CollectionResult*) {}, std::move(done));
}

}  // namespace shoal
