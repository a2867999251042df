#include "engine/core/assert.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace shoal {
namespace {
std::atomic<AssertionHandler> g_handler{nullptr};
}  // namespace

AssertionHandler set_assertion_handler(AssertionHandler handler) { return g_handler.exchange(handler); }

void assertion_failed(const char* expression, const char* file, int line) {
  if (AssertionHandler h = g_handler.load()) h(expression, file, line);
  std::fprintf(stderr, "shoal: assertion failed: %s (%s:%d)\n", expression, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace shoal
