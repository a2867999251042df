// Planted violations: tools/tidy must name each line below (tests/cli/tidy_*.sh).
#include <thread>
#include <random>
#include <fstream>
void f() {
  auto t = std::chrono::steady_clock::now();
  auto s = std::chrono::system_clock::now();
  std::random_device rd;
  int x = rand();
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  FILE* f = fopen("x", "r");
  int fd = ::open("x", 0);
  int s2 = socket(AF_INET, SOCK_STREAM, 0);
  std::thread worker([] {});
  const char* home = getenv("HOME");
  usleep(10);
  std::ifstream in("x");
  assert(fd > 0);
}
