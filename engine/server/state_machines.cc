// The state machine each kind of group drives (replica.h, make_state_machine).
#include "engine/cluster/metadata_state_machine.h"
#include "engine/search/schema.h"
#include "engine/server/replica.h"
#include "engine/shard/collection_state_machine.h"

namespace shoal {

absl::StatusOr<std::unique_ptr<StateMachine>> make_state_machine(const GroupSpec& spec) {
  switch (spec.kind) {
    case GroupKind::kKv:
      return std::unique_ptr<StateMachine>(std::make_unique<kv::KvStateMachine>(spec.kv));
    case GroupKind::kMetadata:
      return std::unique_ptr<StateMachine>(std::make_unique<cluster::MetadataStateMachine>());
    case GroupKind::kCollectionShard: {
      auto schema = search::Schema::from_json(spec.schema_json);
      if (!schema.ok()) return absl::InvalidArgumentError("collection schema: " + std::string(schema.status().message()));
      return std::unique_ptr<StateMachine>(std::make_unique<shard::CollectionStateMachine>(std::move(*schema)));
    }
  }
  return absl::InvalidArgumentError(std::string("no state machine for group kind ") + to_string(spec.kind));
}

}  // namespace shoal
