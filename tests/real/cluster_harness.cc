#include "tests/real/cluster_harness.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

namespace shoal::testing {

namespace {

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string run_capture(const std::string& cmd) {
  std::array<char, 4096> buf{};
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

}  // namespace

std::string LocalCluster::shoal_binary() { return std::string(SHOAL_BINARY_DIR) + "/shoal"; }

LocalCluster::LocalCluster(int n, const std::string& extra_config) : n_(n) {
  std::random_device rd;
  do {
    base_port_ = 20000 + static_cast<int>(rd() % 30000);
  } while (!(port_free(base_port_ + 1) && port_free(base_port_ + 2) && port_free(base_port_ + n)));
  dir_ = std::filesystem::temp_directory_path() / ("shoal-test-" + std::to_string(base_port_));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  std::string peers = "peers = [";
  for (int i = 1; i <= n; ++i) {
    peers += (i > 1 ? ", " : "") + std::string("\"") + std::to_string(i) + "=" + endpoint(i) + "\"";
  }
  peers += "]\n";
  for (int i = 1; i <= n; ++i) {
    std::ofstream cfg(dir_ + "/node" + std::to_string(i) + ".toml");
    cfg << "id = " << i << "\nlisten = \"" << endpoint(i) << "\"\ndata_dir = \"" << dir_ << "/data"
        << i << "\"\n" << peers << extra_config;
  }
}

LocalCluster::~LocalCluster() {
  for (auto& [id, pid] : pids_) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string LocalCluster::endpoint(int id) const {
  return "127.0.0.1:" + std::to_string(base_port_ + id);
}

std::string LocalCluster::log_path(int id) const { return dir_ + "/node" + std::to_string(id) + ".log"; }

void LocalCluster::start(int id) {
  const std::string cfg = dir_ + "/node" + std::to_string(id) + ".toml";
  const std::string log = log_path(id);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "a", stderr);
    (void)f;
    const std::string bin = shoal_binary();
    ::execl(bin.c_str(), bin.c_str(), "node", "--config", cfg.c_str(), nullptr);
    ::_exit(127);
  }
  pids_[id] = pid;
}

void LocalCluster::kill(int id, int signal) {
  auto it = pids_.find(id);
  if (it == pids_.end()) return;
  ::kill(it->second, signal);
  ::waitpid(it->second, nullptr, 0);
  pids_.erase(it);
}

std::optional<boost::json::object> LocalCluster::status(int id) const {
  const std::string out = run_capture(shoal_binary() + " health --json --timeout 500ms --endpoint " +
                                      endpoint(id) + " 2>/dev/null");
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

bool LocalCluster::eventually(double seconds, const std::function<bool()>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

int leader_of(const LocalCluster& c) {
  for (int i = 1; i <= c.size(); ++i) {
    if (!c.alive(i)) continue;
    auto s = c.status(i);
    if (!s) continue;
    for (const auto& g : s->at("groups").as_array()) {
      const auto& o = g.as_object();
      if (o.contains("role") && o.at("role").as_string() == "leader") return i;
    }
  }
  return 0;
}

const boost::json::object* peer_entry(const boost::json::object& status, int peer) {
  for (const auto& p : status.at("peers").as_array()) {
    if (p.as_object().at("id").to_number<int>() == peer) return &p.as_object();
  }
  return nullptr;
}

ShellRun shell(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WEXITSTATUS(status), out};
}

std::string endpoints(const LocalCluster& c) {
  std::string e;
  for (int i = 1; i <= c.size(); ++i) e += (i > 1 ? "," : "") + std::to_string(i) + "=" + c.endpoint(i);
  return e;
}

}  // namespace shoal::testing
