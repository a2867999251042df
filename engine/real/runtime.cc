#include "engine/real/runtime.h"

#include <chrono>
#include <cstdio>
#include <random>

#include "engine/real/posix_disk.h"

namespace shoal::real {
namespace asio = boost::asio;

asio::ip::tcp::endpoint parse_endpoint(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("bad address '" + address + "': want host:port");
  const std::string host = address.substr(0, colon);
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(address.substr(colon + 1), &used);
    if (used != address.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port <= 0 || port > 65535) throw std::runtime_error("bad port in address '" + address + "'");
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) throw std::runtime_error("bad host in address '" + address + "': want an IP address");
  return {ip, static_cast<unsigned short>(port)};
}

namespace {
class NoDisk final : public Disk {
 public:
  absl::StatusOr<std::unique_ptr<File>> open(const std::string&, bool) override {
    return absl::FailedPreconditionError("this process has no data directory");
  }
  bool exists(const std::string&) const override { return false; }
  absl::Status rename(const std::string&, const std::string&) override {
    return absl::FailedPreconditionError("this process has no data directory");
  }
  absl::Status remove(const std::string&) override {
    return absl::FailedPreconditionError("this process has no data directory");
  }
  std::vector<std::string> list(const std::string&) const override { return {}; }
};
}  // namespace

Runtime::Runtime(RuntimeConfig config) : config_(std::move(config)) {
  std::random_device rd;
  rng_.reseed((uint64_t{rd()} << 32) ^ rd());
  network_ = std::make_unique<TcpNetwork>(io_, config_.self, rng_,
                                          [this](LogLevel l, const std::string& s) { log(l, "net", s); });
  network_->set_anonymous_peers(config_.anonymous_peers);
  if (!config_.listen.empty()) network_->listen(parse_endpoint(config_.listen));
  for (const auto& [id, addr] : config_.peers) {
    if (id != config_.self) network_->add_peer(id, parse_endpoint(addr));
  }
  if (config_.data_dir.empty()) {
    disk_ = std::make_unique<NoDisk>();
  } else {
    disk_ = std::make_unique<PosixDisk>(io_, config_.data_dir);
  }
}

Runtime::~Runtime() {
  timers_.clear();
  network_.reset();
}

void Runtime::run() {
  auto guard = asio::make_work_guard(io_);
  io_.run();
}

void Runtime::stop() { io_.stop(); }

Disk& Runtime::disk() { return *disk_; }

void Runtime::log(LogLevel level, std::string_view component, std::string_view text) {
  if (level < config_.log_level) return;
  static const char* const kLevels[] = {"debug", "info", "warn", "error"};
  const double t = std::chrono::duration<double>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  std::fprintf(stderr, "%.3f node=%u %s %.*s: %.*s\n", t, config_.self,
               kLevels[static_cast<int>(level)], static_cast<int>(component.size()),
               component.data(), static_cast<int>(text.size()), text.data());
}

TimePoint Runtime::now() const {
  return TimePoint(std::chrono::duration_cast<Duration>(
      std::chrono::steady_clock::now().time_since_epoch()));
}

TimerId Runtime::after(Duration d, std::function<void()> fn) {
  const TimerId id = next_timer_++;
  auto timer = std::make_unique<asio::steady_timer>(io_, d);
  timer->async_wait([this, id, fn = std::move(fn)](boost::system::error_code ec) {
    if (ec) return;
    if (timers_.erase(id) == 0) return;
    fn();
  });
  timers_[id] = std::move(timer);
  return id;
}

bool Runtime::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return false;
  it->second->cancel();
  timers_.erase(it);
  return true;
}

}  // namespace shoal::real
