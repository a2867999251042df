// shoal-planted's planted bugs: one engine rule broken on purpose, chosen by
// SHOAL_PLANTED_BUG (a name below; default vote-without-log-check). Linked
// only into the test-only shoal-planted executable (tools/CMakeLists.txt):
// nothing can switch a bug on in shoal itself. A name that is not known stops
// the program at once, so a typo never runs a sweep against no bug at all.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "engine/core/planted.h"

namespace shoal {

PlantedBug planted_bug() {
  static const PlantedBug bug = [] {
    const char* name = std::getenv("SHOAL_PLANTED_BUG");
    if (name == nullptr || *name == '\0') return PlantedBug::kVoteWithoutLogCheck;
    for (PlantedBug b : all_planted_bugs()) {
      if (std::string_view(name) == planted_bug_name(b)) return b;
    }
    std::fprintf(stderr, "shoal-planted: SHOAL_PLANTED_BUG=%s names no planted bug (see engine/core/planted.h)\n",
                 name);
    std::exit(2);
  }();
  return bug;
}

}  // namespace shoal
