// The client protocol: how clients talk to a node's replication groups.
//
// Requests and responses travel on kClientChannel. A request names its group,
// whether it writes or reads, the consistency level, and carries a KV command
// or query (engine/shard/kv_command.h) as opaque bytes. A node answers every
// request it decodes, exactly once: with the state machine's result, or with
// a redirect to the leader it knows, or with an error. Malformed requests are
// dropped (and logged): there is nobody trustworthy to answer.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "engine/core/ids.h"

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

struct ClientRequest {
  uint64_t request_id = 0;
  uint32_t group = 0;
  bool write = false;
  uint8_t level = 0;  // a WriteLevel or a ReadLevel
  uint64_t session_index = 0;  // kSession reads: the lowest applied index acceptable
  std::string payload;  // kv::Command (write) or kv::Query (read), encoded
};

enum class ReplyStatus : uint8_t {
  kOk = 1,           // payload holds the state machine's result
  kNotLeader = 2,    // try leader_hint (kNoNode: unknown); the request had no effect
  kUnavailable = 3,  // this node cannot serve now (no quorum, behind, failed storage)
  kUnknown = 4,      // the write may or may not have taken effect (leadership lost)
  kBadRequest = 5,   // malformed payload; retrying will not help
  // A leader-level write the leader holds durably but has not applied: it
  // will take effect unless the leader fails first, and it has no result yet
  // (payload empty) — a CAS's comparison is decided when it applies.
  kAccepted = 6,
  kOverloaded = 7,   // the node is over a bound on pending work; retry it later
};
inline constexpr uint8_t kReplyStatusMax = 7;
const char* to_string(ReplyStatus s);

struct ClientReply {
  uint64_t request_id = 0;
  ReplyStatus status = ReplyStatus::kOk;
  NodeId leader_hint = kNoNode;
  uint64_t index = 0;      // writes: the entry's index; reads: the index read at
  std::string payload;     // kv::Result, encoded (kOk only; empty for kAccepted)
  std::string message;     // why, for errors
};

std::string encode_request(const ClientRequest& r);
absl::StatusOr<ClientRequest> decode_request(std::string_view bytes);
std::string encode_reply(const ClientReply& r);
absl::StatusOr<ClientReply> decode_reply(std::string_view bytes);

}  // namespace shoal
