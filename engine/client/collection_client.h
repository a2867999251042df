// CollectionClient: a client of the collection API that any node's
// coordinator serves (engine/coordinator/api.h).
//
// It calls one node's coordinator at a time, starting at the first node and
// moving to the next on kUnavailable, kDeadline or no answer (any node
// coordinates, so any will do); kOverloaded is retried on the SAME node after
// a backoff — a busy node is not a broken one. Each operation has a total
// timeout (operation_timeout); each call to a node at most attempt_timeout of
// it, and the node is told the budget it has.
//
// Every operation ends in one outcome a history checker can use:
//   kOk      it took effect (a read: it returned this answer);
//   kFail    it certainly did not take effect;
//   kUnknown it may have or not: a write (or a point-in-time open) that timed
//            out, or whose coordinator could not tell for some shard. A write
//            whose outcome is not known is never kFail.
// A write's per-shard (and so per-document) outcomes come back in `detail`.
//
// Session tokens. The client keeps, per shard group, the highest log index
// it has seen (its writes' indexes, its reads' revisions) and sends them with
// session-level reads, so a session read sees the client's own writes.
//
// Operations may overlap. done runs exactly once, later on the loop, never
// inside the call; destroying the client drops the callbacks of unfinished
// operations unrun.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/coordinator/api_codec.h"
#include "engine/coordinator/outcomes.h"
#include "engine/env/env.h"
#include "engine/rpc/rpc.h"

namespace shoal {

struct CollectionClientOptions {
  Duration attempt_timeout = seconds(2);
  Duration operation_timeout = seconds(5);
  Duration backoff = milliseconds(20);
  WriteLevel write_level = WriteLevel::kQuorum;
  ReadLevel read_level = ReadLevel::kLinearizable;
  // How much sooner than the call's own timeout the coordinator must answer,
  // so that its answer can travel back in time.
  Duration reply_margin = milliseconds(20);
};

struct CollectionSearchParams {
  bool allow_partial = true;
  uint32_t probe_shards = 0;
};

struct CollectionResult {
  coord::Outcome outcome = coord::Outcome::kFail;
  Error error;  // kFail / kUnknown: why (a write's overall error when partial)
  NodeId served_by = kNoNode;
  int attempts = 0;
  // Per operation kind, when it is kOk (writes: also when partial):
  coord::WriteOutcome write;   // upsert / remove
  coord::SearchReply search;   // search
  coord::GetReply get;         // get (kFail with kNotFound: no such document)
  std::string pit_id;          // open_pit
};
using CollectionDone = std::function<void(const CollectionResult&)>;

class CollectionClient {
 public:
  // REQUIRES: nodes non-empty; env and rpc outlive this object.
  CollectionClient(Env& env, Rpc& rpc, std::vector<NodeId> nodes, CollectionClientOptions options = {});
  ~CollectionClient();
  CollectionClient(const CollectionClient&) = delete;
  CollectionClient& operator=(const CollectionClient&) = delete;

  void upsert(std::string collection, std::string documents_json, CollectionDone done);
  void remove(std::string collection, std::vector<std::string> ids, CollectionDone done);
  void search(std::string collection, std::string request_json, CollectionSearchParams params, CollectionDone done);
  void get(std::string collection, std::string id, CollectionDone done);
  void open_pit(std::string collection, CollectionDone done);
  void close_pit(std::string pit_id, CollectionDone done);

  const std::map<GroupId, uint64_t>& session_tokens() const { return tokens_; }
  void set_levels(WriteLevel w, ReadLevel r) {
    options_.write_level = w;
    options_.read_level = r;
  }
  const CollectionClientOptions& options() const { return options_; }

 private:
  struct Call;
  // Runs one operation: `payload(budget)` builds the call for a node given
  // the time it may spend; `write` says whether an unanswered call leaves the
  // outcome unknown; `on_ok` fills the result from a reply payload.
  void run(MethodId method, bool write, std::function<std::string(Duration)> payload,
           std::function<void(const std::string&, CollectionResult*)> on_ok, CollectionDone done);
  void attempt(std::shared_ptr<Call> call);
  void on_reply(std::shared_ptr<Call> call, Reply reply);
  void finish(std::shared_ptr<Call> call);
  void note_token(GroupId group, uint64_t index);

  Env& env_;
  Rpc& rpc_;
  const std::vector<NodeId> nodes_;
  CollectionClientOptions options_;
  size_t next_node_ = 0;
  std::map<GroupId, uint64_t> tokens_;
  std::shared_ptr<const void> alive_;
};

}  // namespace shoal
