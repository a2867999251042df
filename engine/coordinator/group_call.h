// GroupCall: one request to one replication group, delivered to a replica
// that can serve it before a deadline.
//
// The coordinator sends every shard command and shard read through here.
// A write (or a leader-level read) goes to the group's leader: first the
// leader hint, else the first replica; a kNotLeader answer with a hint is
// followed at once, one without a hint moves to the next replica. A read at
// session or any level goes to one replica chosen at random (env.random()),
// and on an error — or a reply the caller's `behind` hook says is behind —
// to the next one, round and round. Between rounds over every replica it
// waits the backoff, so a group with no usable replica is not hammered.
//
// kOverloaded means "healthy but busy": the SAME node is asked again after a
// backoff that doubles up to kOverloadedBackoffMax; overload never moves a
// request away from a leader. kUnavailable and kDeadline move to the next
// replica. kOutcomeUnknown (the leader lost leadership after appending) is
// retried like kUnavailable: shard writes are idempotent, so sending one again
// is safe, and if no later attempt succeeds the call reports maybe_applied.
// kStaleMap and kNotFound (the node does not host the group: the map that
// named it is old) end the call at once: only the caller, with a fresh map,
// may decide where the request goes next. Every other error ends it too.
//
// Codes decide everything; no message text is ever looked at.
//
// PROMISES: done runs exactly once, later on the loop, by the deadline (each
// attempt's timeout is at most the time left), unless the owner is gone
// (`alive` expired), in which case it never runs.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "engine/core/error.h"
#include "engine/env/env.h"
#include "engine/rpc/group_protocol.h"
#include "engine/rpc/rpc.h"

namespace shoal::coord {

struct GroupCallSpec {
  ClientRequest request;         // group, write, level, session index, map version, payload
  std::vector<NodeId> replicas;  // REQUIRES: non-empty
  NodeId leader_hint = kNoNode;  // to_leader: where to start when known
  bool to_leader = true;
  TimePoint deadline;
  Duration attempt_timeout = milliseconds(500);
  Duration backoff = milliseconds(10);
  // Reads: true when the reply says the replica has not applied what the
  // read needs (CollectionCode::kBehind), so another replica should answer.
  std::function<bool(const ClientReply&)> behind;
};

struct GroupCallResult {
  Error error;  // kNone: `reply` is the group's answer
  ClientReply reply;
  NodeId served_by = kNoNode;
  NodeId leader = kNoNode;  // the leader this call learned of (kNoNode: none)
  // A write attempt ended without knowing whether it took effect (an rpc
  // deadline or kOutcomeUnknown). With an error, the write's outcome is unknown.
  bool maybe_applied = false;
  int attempts = 0;
};

using GroupCallDone = std::function<void(GroupCallResult)>;

// Starts the call. `alive` is the owner's token: once it expires, nothing
// more is sent and done is dropped unrun.
// REQUIRES: spec.replicas non-empty; done non-empty.
void call_group(Env& env, Rpc& rpc, std::weak_ptr<const void> alive, GroupCallSpec spec, GroupCallDone done);

}  // namespace shoal::coord
