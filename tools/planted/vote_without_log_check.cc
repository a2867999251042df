// shoal-planted's planted bug: Raft voters skip the log up-to-date check.
// Linked only into the test-only shoal-planted executable (tools/CMakeLists.txt).
#include "engine/core/planted.h"

namespace shoal {

PlantedBug planted_bug() { return PlantedBug::kVoteWithoutLogCheck; }

}  // namespace shoal
