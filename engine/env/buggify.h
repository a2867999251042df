// BUGGIFY: engine code's way to push itself into rare paths in simulation.
//
//   if (BUGGIFY(env_)) max_entries = 1;   // send one entry per append now and then
//
// A site must only pick another legal behaviour (a smaller batch, an earlier
// snapshot, a skipped optimisation, an early retry) — never break a rule —
// so a run that fails with BUGGIFY on has found a real bug. In a simulated run
// with BUGGIFY enabled, each site is switched on or off for the whole run from
// the seed and the site's name, and an enabled site fires at random
// (sim::BuggifyConfig). Outside the simulator Env::buggify is always false,
// and builds configured with -DSHOAL_BUGGIFY=OFF (release builds of real
// nodes) compile every site to the constant false.
#pragma once

#include "engine/env/env.h"

#define SHOAL_BUGGIFY_STRINGIFY2(x) #x
#define SHOAL_BUGGIFY_STRINGIFY(x) SHOAL_BUGGIFY_STRINGIFY2(x)

#if defined(SHOAL_NO_BUGGIFY)
#define BUGGIFY(env) (static_cast<void>(sizeof(&(env))), false)
#else
#define BUGGIFY(env) \
  ((env).simulated() && (env).buggify(__FILE__ ":" SHOAL_BUGGIFY_STRINGIFY(__LINE__)))
#endif
