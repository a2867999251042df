// MetadataClient: a node's (or a tool's) way to the metadata group.
//
// It proposes metadata commands (engine/cluster/metadata_command.h) and reads
// the shard map, through rpc group requests (engine/rpc/group_protocol.h) to
// the metadata group's voters. It finds the leader (starting from the one it
// last heard of, following kNotLeader hints, rotating through the voters on
// anything else), retries within the operation's timeout, and completes each
// operation exactly once, later, on the loop:
//   * a read ends ok with the result, or with an Error when the time ran out;
//   * a proposal ends ok with the machine's MetadataResult (whose own code
//     may say kConflict, kNotFound, ...), or with kOutcomeUnknown when it may
//     have been applied and no answer came (a metadata command is applied
//     at most once per proposal: the caller decides whether to ask again),
//     or with kUnavailable when no voter took it.
#pragma once

#include <functional>
#include <vector>

#include "engine/cluster/metadata_command.h"
#include "engine/env/env.h"
#include "engine/rpc/group_protocol.h"
#include "engine/rpc/rpc.h"

namespace shoal::cluster {

struct MetadataClientOptions {
  std::vector<NodeId> voters;  // the metadata group's voters; REQUIRES non-empty
  Duration attempt_timeout = milliseconds(300);
  Duration retry_backoff = milliseconds(20);
};

struct MetadataOutcome {
  Error error;            // why no result came (the result's own code is in result)
  MetadataResult result;  // when error.ok()
  bool ok() const { return error.ok() && result.ok(); }
};
using MetadataCallback = std::function<void(MetadataOutcome)>;

class MetadataClient {
 public:
  // REQUIRES: rpc and env outlive this object.
  MetadataClient(Env& env, Rpc& rpc, MetadataClientOptions options);
  ~MetadataClient();
  MetadataClient(const MetadataClient&) = delete;
  MetadataClient& operator=(const MetadataClient&) = delete;

  void propose(const MetadataCommand& command, Duration timeout, MetadataCallback done);
  // Reads at `level` (kLinearizable through the leader; kAny from any voter).
  void read(const MetadataQuery& query, ReadLevel level, Duration timeout, MetadataCallback done);

 private:
  struct Op;
  void attempt(std::shared_ptr<Op> op);
  void on_reply(std::shared_ptr<Op> op, Reply reply);
  void retry(std::shared_ptr<Op> op, NodeId next);
  NodeId next_voter();

  Env& env_;
  Rpc& rpc_;
  MetadataClientOptions options_;
  NodeId leader_guess_ = kNoNode;
  size_t rotation_ = 0;
  // Set to false on destruction: timers and rpc callbacks still queued then
  // find it and do nothing.
  std::shared_ptr<bool> alive_;
};

}  // namespace shoal::cluster
