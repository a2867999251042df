// The state machine each kind of group drives (replica.h, make_state_machine).
#include "engine/server/replica.h"

namespace shoal {

absl::StatusOr<std::unique_ptr<StateMachine>> make_state_machine(const GroupSpec& spec) {
  switch (spec.kind) {
    case GroupKind::kKv:
      return std::unique_ptr<StateMachine>(std::make_unique<kv::KvStateMachine>(spec.kv));
    case GroupKind::kMetadata:
    case GroupKind::kCollectionShard:
      break;
  }
  return absl::InvalidArgumentError(std::string("no state machine for group kind ") + to_string(spec.kind));
}

}  // namespace shoal
