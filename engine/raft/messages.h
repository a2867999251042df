// The messages of one Raft group and their wire encoding.
//
// One struct carries every kind (as etcd's raftpb.Message does); each kind
// uses the fields named beside it. decode_message() validates everything it
// reads, so a malformed message is dropped with an error, never acted on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/ids.h"
#include "engine/storage/log_storage.h"

namespace shoal {

enum class MsgType : uint8_t {
  kPreVote = 1,       // term (the term it would campaign in), last_index, last_term
  kPreVoteResp = 2,   // term, granted
  kVote = 3,          // term, last_index, last_term, transfer
  kVoteResp = 4,      // term, granted
  kAppend = 5,        // term, prev_index, prev_term, entries, commit, seq
  kAppendResp = 6,    // term, success, index (match, or the rejected prev_index), hint, seq
  kSnapshot = 7,      // term, index, log_term, chunk, chunk_count, data, seq
  kSnapshotResp = 8,  // term, success, index, chunk (the next chunk wanted), seq
  kTimeoutNow = 9,    // term: the leader hands over; campaign at once
  // A replica that started without durable state asks what the others know
  // (raft.h, "Lost state"); every replica answers, whatever its role, and
  // neither message moves anybody's term.
  kStateQuery = 10,   // term (the asker's), seq
  kStateReport = 11,  // term (the reporter's), last_index, last_term (its log), seq (echoed)
};
inline constexpr uint8_t kMsgTypeMax = 11;
const char* to_string(MsgType t);

struct RaftMessage {
  MsgType type = MsgType::kAppend;
  NodeId from = kNoNode;  // set from the network, not encoded
  uint64_t term = 0;

  uint64_t last_index = 0, last_term = 0;  // votes
  bool transfer = false;                   // votes: a leadership transfer
  bool granted = false;                    // vote responses

  uint64_t prev_index = 0, prev_term = 0, commit = 0;  // appends
  std::vector<LogEntry> entries;
  uint64_t seq = 0;  // a leader's round number, echoed by responses

  bool success = false;  // append and snapshot responses
  uint64_t index = 0;    // append resp: match / rejected index; snapshot: its index
  uint64_t hint = 0;     // append resp on reject: the follower's last index

  uint64_t log_term = 0;                    // snapshot: the term of `index`
  uint64_t chunk = 0, chunk_count = 0;      // snapshot chunks
  std::string data;                         // snapshot chunk bytes
};

std::string encode_message(const RaftMessage& m);
absl::StatusOr<RaftMessage> decode_message(std::string_view bytes);

// Entry payloads: the first byte says what the entry is.
enum class EntryKind : uint8_t { kNoop = 1, kCommand = 2, kConfig = 3 };
std::string make_entry_data(EntryKind kind, std::string_view payload);
// The kind and payload of an entry; InvalidArgument when malformed.
absl::StatusOr<std::pair<EntryKind, std::string_view>> parse_entry_data(std::string_view data);

}  // namespace shoal
