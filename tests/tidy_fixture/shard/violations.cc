// Planted violations: tools/tidy must reject this tree (see tests/CMakeLists.txt).
#include <thread>
#include <random>
void f() {
  auto t = std::chrono::steady_clock::now();
  std::random_device rd;
  int x = rand();
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  FILE* f = fopen("x", "r");
}
