#include "engine/cluster/metadata_command.h"

#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/core/codec.h"

namespace shoal::cluster {
namespace {

// Byte layouts (integers little-endian; "bytes" is a varint length then the
// bytes; settings and routing as in shard_map_codec.cc):
//
//   command := 'c'  u8 1 (add member)      u32 node
//                 | u8 2 (remove member)   u32 node
//                 | u8 3 (create)          settings  routing
//                 | u8 4 (drop)            bytes name
//                 | u8 5 (leader hint)     u32 group  u32 node
//   query   := 'q'  u8 1 (map)             varint min_applied_index
//                 | u8 2 (collection)      bytes name  varint min_applied_index
//   result  := 'r'  u8 code  varint map_version  varint index  bytes message  bytes payload
//
// The lowercase leading letters differ from the KV machine's, so bytes meant
// for one machine are rejected by the other at the first byte.
constexpr uint8_t kCommandTag = 'c';
constexpr uint8_t kQueryTag = 'q';
constexpr uint8_t kResultTag = 'r';

constexpr uint8_t kAddMemberTag = 1;
constexpr uint8_t kRemoveMemberTag = 2;
constexpr uint8_t kCreateTag = 3;
constexpr uint8_t kDropTag = 4;
constexpr uint8_t kLeaderHintTag = 5;
constexpr uint8_t kGetMapTag = 1;
constexpr uint8_t kGetCollectionTag = 2;

absl::Status invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

bool read_command_body(Reader& r, uint8_t kind, MetadataCommand* out) {
  switch (kind) {
    case kAddMemberTag: *out = AddMember{r.u32()}; return r.ok();
    case kRemoveMemberTag: *out = RemoveMember{r.u32()}; return r.ok();
    case kCreateTag: {
      CreateCollection create;
      if (!read_settings(r, &create.settings) || !read_routing_data(r, &create.routing)) return false;
      *out = std::move(create);
      return true;
    }
    case kDropTag: *out = DropCollection{r.bytes()}; return r.ok();
    case kLeaderHintTag: {
      SetLeaderHint hint;
      hint.group = r.u32();
      hint.node = r.u32();
      *out = hint;
      return r.ok();
    }
    default: return false;
  }
}

}  // namespace

std::string encode_command(const MetadataCommand& command) {
  Writer w;
  w.u8(kCommandTag);
  std::visit(
      [&w](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, AddMember>) {
          w.u8(kAddMemberTag);
          w.u32(c.node);
        } else if constexpr (std::is_same_v<T, RemoveMember>) {
          w.u8(kRemoveMemberTag);
          w.u32(c.node);
        } else if constexpr (std::is_same_v<T, CreateCollection>) {
          w.u8(kCreateTag);
          write_settings(w, c.settings);
          write_routing_data(w, c.routing);
        } else if constexpr (std::is_same_v<T, DropCollection>) {
          w.u8(kDropTag);
          w.bytes(c.name);
        } else {
          static_assert(std::is_same_v<T, SetLeaderHint>);
          w.u8(kLeaderHintTag);
          w.u32(c.group);
          w.u32(c.node);
        }
      },
      command);
  return w.take();
}

absl::StatusOr<MetadataCommand> decode_command(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kCommandTag) return invalid("not a metadata command (bad leading byte)");
  const uint8_t kind = r.u8();
  if (!r.ok()) return invalid("metadata command is truncated");
  if (kind < kAddMemberTag || kind > kLeaderHintTag) {
    return invalid(absl::StrCat("metadata command has unknown kind ", kind));
  }
  MetadataCommand command;
  if (!read_command_body(r, kind, &command) || !r.finished_ok()) {
    return invalid("metadata command is malformed or has trailing bytes");
  }
  if (encode_command(command) != bytes) return invalid("metadata command is not canonically encoded");
  return command;
}

std::string encode_query(const MetadataQuery& query) {
  Writer w;
  w.u8(kQueryTag);
  if (const auto* get_map = std::get_if<GetMap>(&query)) {
    w.u8(kGetMapTag);
    w.varint(get_map->min_applied_index);
  } else {
    const GetCollection& get = std::get<GetCollection>(query);
    w.u8(kGetCollectionTag);
    w.bytes(get.name);
    w.varint(get.min_applied_index);
  }
  return w.take();
}

absl::StatusOr<MetadataQuery> decode_query(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kQueryTag) return invalid("not a metadata query (bad leading byte)");
  const uint8_t kind = r.u8();
  MetadataQuery query;
  if (kind == kGetMapTag) {
    query = GetMap{r.varint()};
  } else if (kind == kGetCollectionTag) {
    GetCollection get;
    get.name = r.bytes();
    get.min_applied_index = r.varint();
    query = std::move(get);
  } else {
    if (!r.ok()) return invalid("metadata query is truncated");
    return invalid(absl::StrCat("metadata query has unknown kind ", kind));
  }
  if (!r.finished_ok()) return invalid("metadata query is truncated or has trailing bytes");
  if (encode_query(query) != bytes) return invalid("metadata query is not canonically encoded");
  return query;
}

std::string encode_result(const MetadataResult& result) {
  Writer w;
  w.u8(kResultTag);
  w.u8(static_cast<uint8_t>(result.code));
  w.varint(result.map_version);
  w.varint(result.index);
  w.bytes(result.message);
  w.bytes(result.payload);
  return w.take();
}

absl::StatusOr<MetadataResult> decode_result(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kResultTag) return invalid("not a metadata result (bad leading byte)");
  const uint8_t code = r.u8();
  MetadataResult result;
  result.map_version = r.varint();
  result.index = r.varint();
  result.message = r.bytes();
  result.payload = r.bytes();
  if (!r.finished_ok()) return invalid("metadata result is truncated or has trailing bytes");
  if (code > kErrorCodeMax) return invalid(absl::StrCat("metadata result has unknown code ", code));
  result.code = static_cast<ErrorCode>(code);
  if (result.message.size() > kMaxMetadataMessageBytes) return invalid("metadata result message is too long");
  if (encode_result(result) != bytes) return invalid("metadata result is not canonically encoded");
  return result;
}

std::string describe(const MetadataCommand& command) {
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, AddMember>) {
          return absl::StrCat("add_member(", c.node, ")");
        } else if constexpr (std::is_same_v<T, RemoveMember>) {
          return absl::StrCat("remove_member(", c.node, ")");
        } else if constexpr (std::is_same_v<T, CreateCollection>) {
          const CollectionSettings& s = c.settings;
          return absl::StrCat("create_collection(", s.name.substr(0, kMaxCollectionNameBytes), ", ",
                              std::string(strategy_name(s.strategy)), ", shards=", s.shard_count,
                              ", rf=", s.replication_factor, ")");
        } else if constexpr (std::is_same_v<T, DropCollection>) {
          return absl::StrCat("drop_collection(", c.name.substr(0, kMaxCollectionNameBytes), ")");
        } else {
          return absl::StrCat("set_leader_hint(group ", c.group, " -> ", c.node, ")");
        }
      },
      command);
}

std::string describe(const MetadataResult& result) {
  std::string out = absl::StrCat(std::string(to_string(result.code)), " @", result.index, " v", result.map_version);
  if (!result.message.empty()) absl::StrAppend(&out, " (", result.message, ")");
  if (!result.payload.empty()) absl::StrAppend(&out, " +", result.payload.size(), " bytes");
  return out;
}

}  // namespace shoal::cluster
