// SHOAL_ASSERT: engine assertions, on in every build, that a harness can catch.
//
// An engine assertion states what must hold; when it does not, the process
// is in a state the code was never meant to reach. By default that ends the
// process at once (the message names the expression, file and line, then
// abort()). A harness that runs the engine in-process — the simulator — may
// install a handler instead: it is called with the same facts and must not
// return; the simulator's throws, ends the run at the failing event and
// reports the assertion as the run's verdict, with its trace and history.
//
// Engine code uses SHOAL_ASSERT, never the C library's macro: tools/tidy checks.
// The handler is process-wide and set before any engine code runs; engine
// code is single-threaded per event loop, and the simulator runs one
// simulation per thread at a time.
#pragma once

namespace shoal {

// Must not return: abort, throw, or exit.
using AssertionHandler = void (*)(const char* expression, const char* file, int line);

// Installs `handler` (nullptr: the default, print and abort) and returns the
// previous one.
AssertionHandler set_assertion_handler(AssertionHandler handler);

[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);

}  // namespace shoal

#define SHOAL_ASSERT(condition) \
  ((condition) ? static_cast<void>(0) : ::shoal::assertion_failed(#condition, __FILE__, __LINE__))
