#include "engine/raft/messages.h"

#include "engine/core/codec.h"

namespace shoal {

const char* to_string(MsgType t) {
  switch (t) {
    case MsgType::kPreVote: return "PreVote";
    case MsgType::kPreVoteResp: return "PreVoteResp";
    case MsgType::kVote: return "Vote";
    case MsgType::kVoteResp: return "VoteResp";
    case MsgType::kAppend: return "Append";
    case MsgType::kAppendResp: return "AppendResp";
    case MsgType::kSnapshot: return "Snapshot";
    case MsgType::kSnapshotResp: return "SnapshotResp";
    case MsgType::kTimeoutNow: return "TimeoutNow";
    case MsgType::kStateQuery: return "StateQuery";
    case MsgType::kStateReport: return "StateReport";
  }
  return "?";
}

std::string encode_message(const RaftMessage& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(m.type));
  w.varint(m.term);
  switch (m.type) {
    case MsgType::kPreVote:
    case MsgType::kVote:
      w.varint(m.last_index);
      w.varint(m.last_term);
      w.boolean(m.transfer);
      break;
    case MsgType::kPreVoteResp:
    case MsgType::kVoteResp:
      w.boolean(m.granted);
      break;
    case MsgType::kAppend:
      w.varint(m.prev_index);
      w.varint(m.prev_term);
      w.varint(m.commit);
      w.varint(m.seq);
      w.varint(m.entries.size());
      for (const LogEntry& e : m.entries) {
        w.varint(e.index);
        w.varint(e.term);
        w.bytes(e.data);
      }
      break;
    case MsgType::kAppendResp:
      w.boolean(m.success);
      w.varint(m.index);
      w.varint(m.hint);
      w.varint(m.seq);
      break;
    case MsgType::kSnapshot:
      w.varint(m.index);
      w.varint(m.log_term);
      w.varint(m.chunk);
      w.varint(m.chunk_count);
      w.varint(m.seq);
      w.bytes(m.data);
      break;
    case MsgType::kSnapshotResp:
      w.boolean(m.success);
      w.varint(m.index);
      w.varint(m.chunk);
      w.varint(m.seq);
      break;
    case MsgType::kTimeoutNow:
      break;
    case MsgType::kStateQuery:
      w.varint(m.seq);
      break;
    case MsgType::kStateReport:
      w.varint(m.last_index);
      w.varint(m.last_term);
      w.varint(m.seq);
      break;
  }
  return w.take();
}

absl::StatusOr<RaftMessage> decode_message(std::string_view bytes) {
  Reader r(bytes);
  RaftMessage m;
  const uint8_t type = r.u8();
  if (type < 1 || type > kMsgTypeMax) return absl::InvalidArgumentError("unknown raft message type");
  m.type = static_cast<MsgType>(type);
  m.term = r.varint();
  switch (m.type) {
    case MsgType::kPreVote:
    case MsgType::kVote:
      m.last_index = r.varint();
      m.last_term = r.varint();
      m.transfer = r.boolean();
      break;
    case MsgType::kPreVoteResp:
    case MsgType::kVoteResp:
      m.granted = r.boolean();
      break;
    case MsgType::kAppend: {
      m.prev_index = r.varint();
      m.prev_term = r.varint();
      m.commit = r.varint();
      m.seq = r.varint();
      const uint64_t n = r.varint();
      if (n > kMaxEntriesPerAppend) return absl::InvalidArgumentError("too many entries");
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        LogEntry e;
        e.index = r.varint();
        e.term = r.varint();
        e.data = r.bytes();
        if (e.index != m.prev_index + 1 + i) return absl::InvalidArgumentError("entries not consecutive");
        m.entries.push_back(std::move(e));
      }
      break;
    }
    case MsgType::kAppendResp:
      m.success = r.boolean();
      m.index = r.varint();
      m.hint = r.varint();
      m.seq = r.varint();
      break;
    case MsgType::kSnapshot:
      m.index = r.varint();
      m.log_term = r.varint();
      m.chunk = r.varint();
      m.chunk_count = r.varint();
      m.seq = r.varint();
      m.data = r.bytes();
      break;
    case MsgType::kSnapshotResp:
      m.success = r.boolean();
      m.index = r.varint();
      m.chunk = r.varint();
      m.seq = r.varint();
      break;
    case MsgType::kTimeoutNow:
      break;
    case MsgType::kStateQuery:
      m.seq = r.varint();
      break;
    case MsgType::kStateReport:
      m.last_index = r.varint();
      m.last_term = r.varint();
      m.seq = r.varint();
      break;
  }
  if (!r.finished_ok()) return absl::InvalidArgumentError("malformed raft message");
  return m;
}

std::string make_entry_data(EntryKind kind, std::string_view payload) {
  std::string s;
  s.reserve(payload.size() + 1);
  s.push_back(static_cast<char>(kind));
  s.append(payload);
  return s;
}

absl::StatusOr<std::pair<EntryKind, std::string_view>> parse_entry_data(std::string_view data) {
  if (data.empty() || data[0] < 1 || data[0] > 3) return absl::InvalidArgumentError("bad entry kind");
  return std::make_pair(static_cast<EntryKind>(data[0]), data.substr(1));
}

}  // namespace shoal
