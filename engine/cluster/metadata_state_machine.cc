#include "engine/cluster/metadata_state_machine.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/random.h"

namespace shoal::cluster {

MetadataResult MetadataStateMachine::result(ErrorCode code, std::string message, std::string payload) const {
  // Cut so that a result always encodes (and decodes) within the limit,
  // whatever produced the text.
  if (message.size() > kMaxMetadataMessageBytes) message.resize(kMaxMetadataMessageBytes);
  return MetadataResult{code, map_.version, applied_index_, std::move(message), std::move(payload)};
}

std::string MetadataStateMachine::apply(uint64_t index, std::string_view bytes) {
  absl::StatusOr<MetadataCommand> command = decode_command(bytes);
  if (!command.ok()) {
    // A malformed entry still occupies its index: it applies as "nothing
    // happened", identically on every replica.
    SHOAL_ASSERT(index > applied_index_);
    applied_index_ = index;
    return encode_result(result(ErrorCode::kBadRequest, std::string(command.status().message())));
  }
  return encode_result(apply_command(index, *command));
}

void MetadataStateMachine::skip(uint64_t index) {
  SHOAL_ASSERT(index > applied_index_);
  applied_index_ = index;
}

MetadataResult MetadataStateMachine::apply_command(uint64_t index, const MetadataCommand& command) {
  SHOAL_ASSERT(index > applied_index_);
  applied_index_ = index;
  return std::visit(
      [this](const auto& c) -> MetadataResult {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, AddMember>) {
          return add_member(c);
        } else if constexpr (std::is_same_v<T, RemoveMember>) {
          return remove_member(c);
        } else if constexpr (std::is_same_v<T, CreateCollection>) {
          return create_collection(c);
        } else if constexpr (std::is_same_v<T, DropCollection>) {
          return drop_collection(c);
        } else {
          static_assert(std::is_same_v<T, SetLeaderHint>);
          return set_leader_hint(c);
        }
      },
      command);
}

MetadataResult MetadataStateMachine::add_member(const AddMember& c) {
  if (c.node == kNoNode || is_client_id(c.node)) {
    return result(ErrorCode::kBadRequest, absl::StrCat("node id ", c.node, " cannot be a member"));
  }
  if (map_.has_member(c.node)) return result(ErrorCode::kConflict, absl::StrCat("node ", c.node, " is a member"));
  if (map_.members.size() >= kMaxMembers) {
    return result(ErrorCode::kConflict, absl::StrCat("the cluster has the most members, ", kMaxMembers));
  }
  map_.members.insert(std::lower_bound(map_.members.begin(), map_.members.end(), c.node), c.node);
  ++map_.version;
  return result(ErrorCode::kNone);
}

MetadataResult MetadataStateMachine::remove_member(const RemoveMember& c) {
  if (!map_.has_member(c.node)) return result(ErrorCode::kNotFound, absl::StrCat("node ", c.node, " is no member"));
  for (const auto& [name, info] : map_.collections) {
    for (const ShardInfo& shard : info.shards) {
      if (std::find(shard.replicas.begin(), shard.replicas.end(), c.node) != shard.replicas.end()) {
        return result(ErrorCode::kConflict, absl::StrCat("node ", c.node, " holds a replica of shard ", shard.shard,
                                                         " of \"", name, "\"; move it first"));
      }
    }
  }
  map_.members.erase(std::find(map_.members.begin(), map_.members.end(), c.node));
  // A hint may name a node that led a group without holding one of its
  // map replicas (e.g. mid-move); it must not outlive the membership.
  for (auto& [name, info] : map_.collections) {
    for (ShardInfo& shard : info.shards) {
      if (shard.leader_hint == c.node) shard.leader_hint = kNoNode;
    }
  }
  ++map_.version;
  return result(ErrorCode::kNone);
}

MetadataResult MetadataStateMachine::create_collection(const CreateCollection& c) {
  CollectionInfo info;
  if (Error e = build_collection(c.settings, c.routing, map_, &info); !e.ok()) {
    return result(e.code, std::move(e.message));
  }
  SHOAL_ASSERT(info.created_version == map_.version + 1);
  map_.next_group += c.settings.shard_count;
  map_.version = info.created_version;
  std::string payload = encode_collection_info(info);
  map_.collections.emplace(c.settings.name, std::move(info));
  return result(ErrorCode::kNone, {}, std::move(payload));
}

MetadataResult MetadataStateMachine::drop_collection(const DropCollection& c) {
  auto it = map_.collections.find(c.name);
  if (it == map_.collections.end()) {
    return result(ErrorCode::kNotFound,
                  absl::StrCat("no collection \"", c.name.substr(0, kMaxCollectionNameBytes), "\""));
  }
  // Its group ids stay used: next_group never goes back.
  map_.collections.erase(it);
  ++map_.version;
  return result(ErrorCode::kNone);
}

MetadataResult MetadataStateMachine::set_leader_hint(const SetLeaderHint& c) {
  if (c.node != kNoNode && !map_.has_member(c.node)) {
    return result(ErrorCode::kBadRequest, absl::StrCat("node ", c.node, " is no member"));
  }
  for (auto& [name, info] : map_.collections) {
    for (ShardInfo& shard : info.shards) {
      if (shard.group != c.group) continue;
      shard.leader_hint = c.node;  // no version bump: see the header
      return result(ErrorCode::kNone);
    }
  }
  return result(ErrorCode::kNotFound, absl::StrCat("no shard has group ", c.group));
}

std::string MetadataStateMachine::query(std::string_view request) const {
  absl::StatusOr<MetadataQuery> q = decode_query(request);
  if (!q.ok()) return encode_result(result(ErrorCode::kBadRequest, std::string(q.status().message())));
  return encode_result(read(*q));
}

MetadataResult MetadataStateMachine::read(const MetadataQuery& query) const {
  const uint64_t wanted = std::visit([](const auto& q) { return q.min_applied_index; }, query);
  if (wanted > applied_index_) {
    return result(ErrorCode::kUnavailable,
                  absl::StrCat("behind: applied index ", applied_index_, " is below the requested ", wanted));
  }
  if (std::holds_alternative<GetMap>(query)) return result(ErrorCode::kNone, {}, encode_shard_map(map_));
  const std::string& name = std::get<GetCollection>(query).name;
  const CollectionInfo* info = map_.find(name);
  if (info == nullptr) {
    return result(ErrorCode::kNotFound, absl::StrCat("no collection \"", name.substr(0, kMaxCollectionNameBytes), "\""));
  }
  return result(ErrorCode::kNone, {}, encode_collection_info(*info));
}

uint64_t MetadataStateMachine::fingerprint() const {
  constexpr uint64_t kFingerprintSeed = 0x6d65746164617461;  // "metadata"
  const std::string map = encode_shard_map(map_);
  return hash_combine(hash_combine(kFingerprintSeed, applied_index_), stable_hash(map.data(), map.size()));
}

}  // namespace shoal::cluster
