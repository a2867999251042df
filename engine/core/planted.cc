// The production definition: no planted bug. Keep this file to this one
// function, so that the planted definition in tools/planted/ replaces it at
// link time without pulling anything else out of the archive.
#include "engine/core/planted.h"

namespace shoal {

PlantedBug planted_bug() { return PlantedBug::kNone; }

}  // namespace shoal
