// The sharded side of a Node: the metadata group, the cached shard map, and
// the shard replicas the map places here (node.h).
#include <algorithm>

#include "engine/cluster/metadata_command.h"
#include "engine/core/assert.h"
#include "engine/core/codec.h"
#include "engine/coordinator/api.h"
#include "engine/search/document.h"
#include "engine/server/node.h"

namespace shoal {

namespace {

// How long a node waits between attempts to register itself as a member.
constexpr Duration kRegisterRetryInterval = milliseconds(500);
// The create-collection sample is at most this large (the routing sample bound).
constexpr size_t kCreateSampleJsonBytesMax = 8u << 20;

bool contains(const std::vector<NodeId>& v, NodeId x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

std::string encode_create_collection(const CreateCollectionRequest& r) {
  Writer w;
  cluster::write_settings(w, r.settings);
  w.bytes(r.sample_json);
  w.u64(r.seed);
  return w.take();
}

absl::StatusOr<CreateCollectionRequest> decode_create_collection(std::string_view bytes) {
  Reader rd(bytes);
  CreateCollectionRequest r;
  if (!cluster::read_settings(rd, &r.settings)) return absl::InvalidArgumentError("malformed collection settings");
  r.sample_json = rd.bytes();
  r.seed = rd.u64();
  if (!rd.finished_ok()) return absl::InvalidArgumentError("malformed create-collection request");
  if (r.sample_json.size() > kCreateSampleJsonBytesMax) return absl::InvalidArgumentError("sample too large");
  return r;
}

void Node::start_sharded() {
  SHOAL_ASSERT(group(cluster::kMetadataGroup) == nullptr);  // group 0 is the metadata group here
  if (contains(config_.metadata_voters, env_.self())) {
    GroupSpec meta;
    meta.id = cluster::kMetadataGroup;
    meta.kind = GroupKind::kMetadata;
    meta.raft = config_.shard_raft;
    meta.raft.initial_voters = config_.metadata_voters;
    meta.snapshot_chunk_bytes = config_.snapshot_chunk_bytes;
    add_replica(meta);
  }
  metadata_ = std::make_unique<cluster::MetadataClient>(
      env_, *rpc_, cluster::MetadataClientOptions{.voters = config_.metadata_voters});
  map_cache_ = std::make_unique<MapCache>(env_, *metadata_, config_.map_cache,
                                          [this](const cluster::ShardMap& map) { reconcile(map); });
  map_cache_->start();
  coordinator_ = std::make_unique<coord::Coordinator>(env_, *rpc_, *map_cache_);
  coord::serve_api(*rpc_, *coordinator_);
  rpc_->serve(kCreateCollectionMethod, [this](Request r, Responder responder) {
    on_create_collection(std::move(r), std::move(responder));
  });
  register_member();
}

// A node is a member once the map lists it; until then it proposes
// AddMember (kConflict means another attempt already did it).
void Node::register_member() {
  if (registered_ || map_cache_->current()->has_member(env_.self())) {
    registered_ = true;
    return;
  }
  metadata_->propose(cluster::AddMember{env_.self()}, kRegisterRetryInterval,
                     [this](cluster::MetadataOutcome out) {
                       if (out.ok() || (out.error.ok() && out.result.code == ErrorCode::kConflict)) {
                         registered_ = true;
                         map_cache_->refresh(0, [](bool) {});
                         return;
                       }
                       register_timer_.arm(kRegisterRetryInterval, [this] { register_member(); });
                     });
}

void Node::reconcile(const cluster::ShardMap& map) {
  if (map.has_member(env_.self())) registered_ = true;
  // Every shard placed here gets a replica; one already hosted stays as it is.
  for (const auto& [name, info] : map.collections) {
    for (const cluster::ShardInfo& shard : info.shards) {
      if (!contains(shard.replicas, env_.self()) || group(shard.group) != nullptr) continue;
      GroupSpec spec;
      spec.id = shard.group;
      spec.kind = GroupKind::kCollectionShard;
      spec.schema_json = info.settings.schema_json;
      spec.raft = config_.shard_raft;
      spec.raft.initial_voters = shard.replicas;
      spec.snapshot_chunk_bytes = config_.snapshot_chunk_bytes;
      env_.log(LogLevel::kInfo, "shards",
               "hosting shard " + std::to_string(shard.shard) + " of " + name + " (group " +
                   std::to_string(shard.group) + ")");
      add_replica(spec);
    }
  }
  // A shard replica the map no longer places here is dropped (its storage
  // stays on disk until placement removes it).
  std::vector<GroupId> gone;
  for (const auto& [id, replica] : replicas_) {
    if (replica->kind() != GroupKind::kCollectionShard) continue;
    const cluster::ShardInfo* shard = cluster::shard_of_group(map, id);
    if (shard == nullptr || !contains(shard->replicas, env_.self())) gone.push_back(id);
  }
  for (GroupId id : gone) {
    env_.log(LogLevel::kInfo, "shards", "dropping group " + std::to_string(id) + ": no longer placed here");
    drop_replica(id);
  }
}

Error Node::stale_routing(const ClientRequest& request) const {
  if (request.map_version == 0 || map_cache_ == nullptr) return {};
  const auto map = map_cache_->current();
  if (map->version <= request.map_version) return {};
  // The request was routed by an older map than ours: stale when its group's
  // routing changed since (the group's collection is gone, or was created
  // after the map the sender used — a dropped and re-created collection).
  const cluster::ShardRef ref = cluster::find_group(*map, request.group);
  if (ref.collection != nullptr && ref.collection->created_version <= request.map_version) return {};
  Error e = make_error(ErrorCode::kStaleMap, "group " + std::to_string(request.group) + " was routed by map " +
                                                 std::to_string(request.map_version) + "; this node holds " +
                                                 std::to_string(map->version));
  e.map_version = map->version;
  return e;
}

void Node::on_create_collection(Request&& request, Responder responder) {
  auto create = decode_create_collection(request.payload);
  if (!create.ok()) return responder.fail(make_error(ErrorCode::kBadRequest, std::string(create.status().message())));
  search::Schema schema;
  const auto map = map_cache_->current();
  // A cluster still forming: nodes of the configuration have not joined the
  // map yet, and the replicas need them. That passes; say so, retryably.
  const size_t wanted = create->settings.replication_factor;
  if (wanted > map->members.size() && wanted <= config_.members.size()) {
    return responder.fail(make_error(ErrorCode::kUnavailable,
                                     "waiting for nodes to join: " + std::to_string(map->members.size()) + " of " +
                                         std::to_string(config_.members.size()) + " have"));
  }
  // Settings are judged against the members the map knows; the metadata
  // machine judges them again when it applies the command.
  if (Error e = cluster::validate_settings(create->settings, std::max<size_t>(map->members.size(), 1), &schema);
      !e.ok()) {
    return responder.fail(std::move(e));
  }
  std::vector<search::Document> sample;
  if (!create->sample_json.empty()) {
    auto docs = search::parse_documents(create->sample_json, schema);
    if (!docs.ok()) return responder.fail(make_error(ErrorCode::kBadRequest, "sample: " + std::string(docs.status().message())));
    sample = std::move(*docs);
  }
  cluster::CreateCollection command{create->settings, {}};
  if (Error e = cluster::compute_routing(create->settings, schema, sample, create->seed, &command.routing); !e.ok()) {
    return responder.fail(std::move(e));
  }
  const Duration timeout = std::max(Duration(milliseconds(1)), request.deadline - env_.now());
  metadata_->propose(command, timeout, [this, responder](cluster::MetadataOutcome out) mutable {
    if (!out.error.ok()) return responder.fail(out.error);
    // Learn the new map at once, so this node routes by it.
    map_cache_->refresh(out.result.map_version, [](bool) {});
    responder.reply(cluster::encode_result(out.result));
  });
}

}  // namespace shoal
