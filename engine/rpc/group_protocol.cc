#include "engine/rpc/group_protocol.h"

#include "engine/core/codec.h"

namespace shoal {

const char* to_string(WriteLevel l) {
  switch (l) {
    case WriteLevel::kLeader: return "leader";
    case WriteLevel::kQuorum: return "quorum";
    case WriteLevel::kAll: return "all";
  }
  return "?";
}

const char* to_string(ReadLevel l) {
  switch (l) {
    case ReadLevel::kLinearizable: return "linearizable";
    case ReadLevel::kLease: return "lease";
    case ReadLevel::kSession: return "session";
    case ReadLevel::kAny: return "any";
  }
  return "?";
}

std::string encode_request(const ClientRequest& r) {
  Writer w;
  w.u32(r.group);
  w.boolean(r.write);
  w.u8(r.level);
  w.varint(r.session_index);
  w.varint(r.map_version);
  w.bytes(r.payload);
  return w.take();
}

absl::StatusOr<ClientRequest> decode_request(std::string_view bytes) {
  Reader rd(bytes);
  ClientRequest r;
  r.group = rd.u32();
  r.write = rd.boolean();
  r.level = rd.u8();
  r.session_index = rd.varint();
  r.map_version = rd.varint();
  r.payload = rd.bytes();
  if (!rd.finished_ok()) return absl::InvalidArgumentError("malformed client request");
  if (r.level < 1 || r.level > (r.write ? 3 : 4)) return absl::InvalidArgumentError("bad consistency level");
  return r;
}

std::string encode_reply(const ClientReply& r) {
  Writer w;
  w.boolean(r.accepted);
  w.varint(r.index);
  w.bytes(r.payload);
  return w.take();
}

absl::StatusOr<ClientReply> decode_reply(std::string_view bytes) {
  Reader rd(bytes);
  ClientReply r;
  r.accepted = rd.boolean();
  r.index = rd.varint();
  r.payload = rd.bytes();
  if (!rd.finished_ok()) return absl::InvalidArgumentError("malformed client reply");
  return r;
}

}  // namespace shoal
