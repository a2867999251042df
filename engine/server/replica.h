// Replica: one node's member of one replication group — a RaftNode on durable
// storage driving a state machine made for the group's kind, and the client
// requests addressed to it.
//
// A node hosts many replicas (one per group it holds a copy of), each made
// from a GroupSpec by make_state_machine(): a KV map, the metadata group, or
// a collection shard. Replicas are created and dropped at run time when the
// shard map says so; each speaks Raft on its own channel, so two groups on
// one node never see each other's messages.
//
// A KV group's replicas also keep its lock leases: the leader proposes the
// expiry of each lease that ran out by its clock (kv::LeaseKeeper).
//
// Storage lives under "raft/g<group>/" on the node's Disk. Opening it is
// recovery: a torn tail is cut off; corruption anywhere else fails the open
// with the file and offset, and the replica then refuses every request with
// that reason (it is never served from damaged data; rebuilding it from peers
// is a later step).
#pragma once

#include <memory>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "engine/env/env.h"
#include "engine/raft/raft.h"
#include "engine/rpc/rpc.h"
#include "engine/rpc/group_protocol.h"
#include "engine/shard/kv_state_machine.h"
#include "engine/shard/lease_keeper.h"

namespace shoal {

// What a group replicates: which state machine its replicas drive.
enum class GroupKind : uint8_t {
  kKv = 1,               // a key-value map (engine/shard/kv_state_machine.h)
  kMetadata = 2,         // members, collections and the shard map (engine/cluster/)
  kCollectionShard = 3,  // one shard of a collection (engine/shard/collection_state_machine.h)
};
const char* to_string(GroupKind k);

struct GroupSpec {
  GroupId id = 0;
  GroupKind kind = GroupKind::kKv;
  RaftOptions raft;  // raft.group is set from id
  kv::KvOptions kv;  // kKv
  std::string schema_json;  // kCollectionShard: the collection's schema
  Duration session_read_timeout = seconds(1);
  // Snapshots travel to followers in chunks of this size.
  uint64_t snapshot_chunk_bytes = kDefaultSnapshotChunkBytes;
};

// The state machine a replica of `spec` drives; an error when the spec cannot
// make one (a collection shard whose schema does not parse).
absl::StatusOr<std::unique_ptr<StateMachine>> make_state_machine(const GroupSpec& spec);

class Replica {
 public:
  Replica(Env& env, GroupSpec spec, RaftObserver* observer);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Makes the state machine, opens storage and starts the replica, or
  // records why it cannot.
  void start();
  // Empty while the replica can serve; else why not (names file and offset).
  std::string error() const;
  GroupId id() const { return spec_.id; }
  GroupKind kind() const { return spec_.kind; }
  const GroupSpec& spec() const { return spec_; }
  RaftNode* raft() { return raft_.get(); }
  const RaftNode* raft() const { return raft_.get(); }
  // REQUIRES: start() made a state machine (error() names why when not).
  const StateMachine& state() const;
  // The KV machine of a kKv group. REQUIRES: kind() == GroupKind::kKv.
  const kv::KvStateMachine& kv_state() const;

  // Serves one request and answers it through `responder`, exactly once.
  void handle(ClientRequest request, Responder responder);

 private:
  void handle_write(ClientRequest& request, Responder responder);
  void handle_read(ClientRequest& request, Responder responder);
  // Watches (a KV group's long polls): a watch with nothing to report yet
  // waits here, up to its wait_ms (and its caller's deadline), and is
  // answered by the first apply that gives it something to report.
  bool park_watch(const ClientRequest& request, Responder& responder);
  void wake_watches();
  void answer_watch(uint64_t id);
  struct ParkedWatch;
  // Whether a fresh read of the parked watch would now report something
  // (a change, kCompacted, or this replica's failure).
  bool watch_ready(const ParkedWatch& w) const;
  class Tap;

  // A KV group's leader times lock leases and proposes their expiry
  // (lease_keeper.h), looking each kLeaseLookInterval while it holds locks.
  void look_at_leases();
  void arm_lease_look();

  static constexpr Duration kLeaseLookInterval = milliseconds(100);

  Env& env_;
  GroupSpec spec_;
  RaftObserver* observer_;
  std::unique_ptr<StateMachine> sm_;
  std::unique_ptr<RaftNode> raft_;
  std::string open_error_;
  kv::LeaseKeeper lease_keeper_;
  TimerSlot lease_timer_;
  struct ParkedWatch {
    std::string query;  // as the client sent it: the answer is a fresh read of it
    kv::Watch watch;    // the same, decoded
    // Nothing the watch covers changed in (watch.after_revision,
    // quiet_through]: a wake looks only at the changes after it.
    uint64_t quiet_through = 0;
    Responder responder;
    std::unique_ptr<TimerSlot> timeout;
  };
  static constexpr size_t kParkedWatchesMax = 4096;
  std::unique_ptr<Tap> tap_;
  absl::btree_map<uint64_t, ParkedWatch> parked_;
  uint64_t next_parked_ = 0;
};

}  // namespace shoal
