// The group protocol: how clients, coordinators and nodes talk to a
// replication group hosted on a node.
//
// Requests and responses are rpc calls (engine/rpc/rpc.h) of
// kGroupRequestMethod. A request names its group, whether it writes or reads,
// the consistency level, and carries the group's command or query (a KV one,
// engine/shard/kv_command.h, or a collection shard's) as opaque bytes. A node
// answers every request exactly once: with the state machine's result, or
// with a typed error (a redirect to the leader it knows is kNotLeader with a
// leader hint). A malformed request is answered kBadRequest.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "engine/core/ids.h"
#include "engine/rpc/wire.h"

namespace shoal {

// Write levels: when the client hears "ok".
enum class WriteLevel : uint8_t {
  kLeader = 1,  // the leader's own copy is durable (may be lost on failover)
  kQuorum = 2,  // committed by a quorum and applied
  kAll = 3,     // applied, and every voter holds it
};
// Read levels: what a read may return.
enum class ReadLevel : uint8_t {
  kLinearizable = 1,  // ReadIndex on the leader
  kLease = 2,         // the leader's lease (falls back to ReadIndex)
  kSession = 3,       // any replica that applied the client's session token
  kAny = 4,           // any replica, as it is (possibly stale)
};
const char* to_string(WriteLevel l);
const char* to_string(ReadLevel l);

// The rpc method every replication group serves requests on (engine/rpc).
inline constexpr MethodId kGroupRequestMethod = 1;

struct ClientRequest {
  uint32_t group = 0;
  bool write = false;
  uint8_t level = 0;  // a WriteLevel or a ReadLevel
  uint64_t session_index = 0;  // kSession reads: the lowest applied index acceptable
  // The shard map version the sender routed by (0: not routed by a map, as
  // for KV groups and the metadata group). A node whose map says the group's
  // routing changed after it answers kStaleMap with its version.
  uint64_t map_version = 0;
  std::string payload;  // the group's command (write) or query (read), encoded
};

// A request served: the state machine's result, or — for a leader-level
// write the leader holds durably but has not applied — "accepted": it will
// take effect unless the leader fails first, and it has no result yet
// (payload empty; a CAS's comparison is decided when it applies). Requests
// not served are answered with a typed Error through rpc instead:
//   kNotLeader (leader_hint), kUnavailable, kOverloaded, kOutcomeUnknown
//   (leadership lost after the write was appended), kBadRequest.
struct ClientReply {
  bool accepted = false;
  uint64_t index = 0;      // writes: the entry's index; reads: the index read at
  std::string payload;     // the state machine's result (empty when accepted)
};

std::string encode_request(const ClientRequest& r);
absl::StatusOr<ClientRequest> decode_request(std::string_view bytes);
std::string encode_reply(const ClientReply& r);
absl::StatusOr<ClientReply> decode_reply(std::string_view bytes);

}  // namespace shoal
