// The real world: one node process's Env on Boost.Asio, TCP and POSIX files.
//
// A Runtime owns an io_context and runs every callback of the node on the one
// thread that calls run(): timers are steady_timers, the network is TCP
// between configured peers (see tcp_network.h), the disk is a directory of
// files made durable with fdatasync (see posix_disk.h), and randomness is
// seeded from the operating system. Nothing here is used by the simulator.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio.hpp>

#include "engine/env/env.h"
#include "engine/real/tcp_network.h"

namespace shoal::real {

struct RuntimeConfig {
  NodeId self = kNoNode;
  std::string data_dir;          // empty: no disk (clients)
  std::string listen;            // "host:port"; empty: do not listen (clients)
  std::map<NodeId, std::string> peers;  // id -> "host:port"
  // Clients address a node by endpoint without knowing its id.
  bool anonymous_peers = false;
  LogLevel log_level = LogLevel::kInfo;
};

class Runtime final : public Env, private Clock {
 public:
  // Throws std::runtime_error with a one-line message on bad configuration
  // (unparsable address, unusable data directory, port in use).
  explicit Runtime(RuntimeConfig config);
  ~Runtime() override;

  // Runs the event loop until stop(). REQUIRES: called on one thread only.
  void run();
  void stop();
  boost::asio::io_context& io() { return io_; }

  NodeId self() const override { return config_.self; }
  shoal::Clock& clock() override { return *this; }
  Rng& random() override { return rng_; }
  Network& network() override { return *network_; }
  Disk& disk() override;
  void log(LogLevel level, std::string_view component, std::string_view text) override;

 private:
  TimePoint now() const override;
  TimerId after(Duration d, std::function<void()> fn) override;
  bool cancel(TimerId id) override;

  RuntimeConfig config_;
  boost::asio::io_context io_;
  Rng rng_;
  std::unique_ptr<TcpNetwork> network_;
  std::unique_ptr<Disk> disk_;
  std::map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
  TimerId next_timer_ = 1;
};

// Parses "host:port". Throws std::runtime_error naming the bad address.
boost::asio::ip::tcp::endpoint parse_endpoint(const std::string& address);

}  // namespace shoal::real
