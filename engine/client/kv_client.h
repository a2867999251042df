// KvClient: a client session against one replication group.
//
// It finds the leader (starting anywhere, following redirects), retries an
// operation — on a timeout, a redirect, an unavailable node, or a write whose
// outcome a node could not tell — with the SAME session sequence number, so
// the state machine applies each write at most once, and gives up after
// operation_timeout. Every operation ends in one outcome a checker can use:
//   kOk       it took effect (for a read: it returned this value);
//   kAccepted a leader-level write the leader holds but had not applied: it
//             takes effect unless the leader fails first, and it has no
//             result (a CAS's comparison is not known to the client);
//   kFail     it certainly did not take effect;
//   kUnknown  it may have taken effect or not (a write that timed out, or
//             whose session expired while it was being retried).
// `done` always runs later, on the event loop — never inside write() or
// read() — so a caller may wait on its loop for it.
// One operation at a time per client, like a Jepsen process. Reads carry the
// session token (the highest log index this client has seen) so session-level
// reads see the client's own writes.
// A process has one Rpc (rpc.h): a client either makes its own, or shares
// the process's with its other clients (a WatchClient, say). A client
// destroyed while a call of its is pending on a shared Rpc never hears of
// the call again.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/env/env.h"
#include "engine/rpc/rpc.h"
#include "engine/rpc/group_protocol.h"
#include "engine/shard/kv_command.h"

namespace shoal {

struct KvClientOptions {
  std::vector<NodeId> nodes;  // where to look for the group
  uint32_t group = 0;
  uint64_t client_id = 1;     // the session; REQUIRES: != 0
  Duration attempt_timeout = milliseconds(500);
  Duration operation_timeout = seconds(5);
  Duration retry_backoff = milliseconds(20);
  WriteLevel write_level = WriteLevel::kQuorum;
  ReadLevel read_level = ReadLevel::kLinearizable;
};

enum class OpOutcome { kOk, kAccepted, kFail, kUnknown };
const char* to_string(OpOutcome o);

struct KvOpResult {
  OpOutcome outcome = OpOutcome::kFail;
  kv::Result result;      // kOk: what the state machine answered
  uint64_t index = 0;     // kOk, kAccepted writes: the log index of the write's entry
  std::string error;      // kFail / kUnknown: why
  NodeId served_by = kNoNode;
  int attempts = 0;
};
using KvCallback = std::function<void(const KvOpResult&)>;

class KvClient {
 public:
  KvClient(Env& env, KvClientOptions options);
  // On a shared Rpc. REQUIRES: `rpc` outlives this client.
  KvClient(Env& env, KvClientOptions options, Rpc& rpc);
  ~KvClient();
  KvClient(const KvClient&) = delete;
  KvClient& operator=(const KvClient&) = delete;

  // REQUIRES: !busy(). done runs later, on the event loop, exactly once.
  void write(kv::Write w, KvCallback done);
  // A data write guarded by a lock (kv_command.h, Fence): kFenced when the
  // token no longer holds it.
  void write(kv::Write w, std::optional<kv::Fence> fence, KvCallback done);
  void read(std::string key, KvCallback done);
  // Any query (a key, a lock's status, the active locks) at the read level.
  void query(kv::Query q, KvCallback done);
  bool busy() const { return op_.has_value(); }

  uint64_t client_id() const { return options_.client_id; }
  uint64_t session_token() const { return token_; }
  NodeId leader_guess() const { return target_; }
  void set_levels(WriteLevel w, ReadLevel r) { options_.write_level = w; options_.read_level = r; }

 private:
  struct Op {
    uint64_t number = 0;
    ClientRequest request;
    KvCallback done;
    TimePoint deadline;
    int attempts = 0;
  };

  KvClient(Env& env, KvClientOptions options, std::unique_ptr<Rpc> own, Rpc* shared);
  // Starts an operation: its first attempt runs on the loop, not now.
  void start(Op op);
  void attempt();
  void on_reply(Reply reply);
  void on_error(const Reply& reply);
  void finish(KvOpResult r);
  void retry(NodeId next);
  NodeId next_node();

  Env& env_;
  KvClientOptions options_;
  uint64_t sequence_ = 0;
  uint64_t token_ = 0;
  uint64_t op_number_ = 0;
  NodeId target_ = kNoNode;
  size_t rotation_ = 0;
  std::unique_ptr<Rpc> own_rpc_;  // when not sharing one
  Rpc& rpc_;
  std::shared_ptr<const void> alive_ = std::make_shared<char>(0);
  std::optional<Op> op_;
  TimerSlot attempt_timer_;
};

}  // namespace shoal
