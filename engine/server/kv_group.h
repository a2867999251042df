// KvGroup: one replication group hosted on a node — a RaftNode on durable
// storage driving a KvStateMachine, and the client requests addressed to it.
//
// Storage lives under "raft/g<group>/" on the node's Disk. Opening it is
// recovery: a torn tail is cut off; corruption anywhere else fails the open
// with the file and offset, and the group then refuses every request with
// that reason (it is never served from damaged data; rebuilding it from peers
// is a later step).
#pragma once

#include <memory>
#include <string>

#include "engine/env/env.h"
#include "engine/raft/raft.h"
#include "engine/server/client_protocol.h"
#include "engine/shard/kv_state_machine.h"

namespace shoal {

struct GroupSpec {
  GroupId id = 0;
  RaftOptions raft;  // raft.group is set from id
  kv::KvOptions kv;
  Duration session_read_timeout = seconds(1);
  // Snapshots travel to followers in chunks of this size.
  uint64_t snapshot_chunk_bytes = kDefaultSnapshotChunkBytes;
};

class KvGroup {
 public:
  KvGroup(Env& env, GroupSpec spec, RaftObserver* observer);
  ~KvGroup();
  KvGroup(const KvGroup&) = delete;
  KvGroup& operator=(const KvGroup&) = delete;

  // Opens storage and starts the replica, or records why it cannot.
  void start();
  // Empty while the group can serve; else why not (names file and offset).
  std::string error() const;
  GroupId id() const { return spec_.id; }
  RaftNode* raft() { return raft_.get(); }
  const RaftNode* raft() const { return raft_.get(); }
  const kv::KvStateMachine& state() const { return sm_; }

  // Serves one request; the reply goes back to `from` on kClientChannel.
  void handle(NodeId from, ClientRequest request);

 private:
  void reply(NodeId to, ClientReply r);
  void handle_write(NodeId from, ClientRequest& request);
  void handle_read(NodeId from, ClientRequest& request);

  Env& env_;
  GroupSpec spec_;
  RaftObserver* observer_;
  kv::KvStateMachine sm_;
  std::unique_ptr<RaftNode> raft_;
  std::string open_error_;
};

}  // namespace shoal
