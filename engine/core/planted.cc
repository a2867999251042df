// The production definition of planted_bug(): no planted bug. The test-only
// shoal-planted links its own definition (tools/planted/) in place of this
// file's, so keep planted_bug() alone here; the names live in
// planted_names.cc, which every binary shares.
#include "engine/core/planted.h"

namespace shoal {

PlantedBug planted_bug() { return PlantedBug::kNone; }

}  // namespace shoal
