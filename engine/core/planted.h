// Planted bugs: the harness's own test that it can find a broken rule.
//
// planted_bug() names the rule the running binary breaks on purpose. Every
// production binary links engine/core/planted.cc, where it is kNone. The
// test-only executable `shoal-planted` (built when the CMake option
// SHOAL_PLANTED_BUGS is ON) links tools/planted/ first, whose definition
// returns a bug; the linker then never pulls the core definition. No flag,
// file or environment variable can switch a bug on in `shoal` itself.
#pragma once

namespace shoal {

enum class PlantedBug {
  kNone,
  // Raft: a vote (and pre-vote) is granted without checking that the
  // candidate's log is at least as up to date as the voter's (§5.4.1).
  kVoteWithoutLogCheck,
};

PlantedBug planted_bug();

}  // namespace shoal
