// TcpNetwork: the real Network, messages over TCP between node processes.
//
// Wire format, per frame: u32 length of the body, u32 CRC32C of the body, then
// the body: u32 from, u32 to, u32 channel, payload. A frame longer than
// kMaxFrameBytes or failing its checksum closes the connection (with a log
// line); the sender reconnects. To a configured peer a node keeps one
// outbound connection, reconnecting with exponential backoff and jitter, and
// a bounded send queue: when it is full, new messages are dropped, which the
// Network contract allows. Messages to a process that is not a configured
// peer (a client) go back over the connection it last sent from.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio.hpp>

#include "engine/core/random.h"
#include "engine/env/env.h"

namespace shoal::real {

inline constexpr size_t kFrameHeaderBytes = 8;
inline constexpr size_t kEnvelopeBytes = 12;
inline constexpr size_t kMaxFrameBytes = kMaxMessageBytes + kEnvelopeBytes;
inline constexpr size_t kSendQueueBytesMax = 64u << 20;
inline constexpr auto kReconnectBackoffMin = std::chrono::milliseconds(20);
inline constexpr auto kReconnectBackoffMax = std::chrono::milliseconds(1000);

// Encodes one frame. Exposed for tests of the framing.
std::string encode_frame(NodeId from, NodeId to, ChannelId channel, std::string_view payload);
// Validates and decodes a frame body (everything after the 8-byte header).
std::optional<Message> decode_frame_body(uint32_t crc, std::string_view body);

class TcpNetwork final : public Network {
 public:
  using Logger = std::function<void(LogLevel, const std::string&)>;

  TcpNetwork(boost::asio::io_context& io, NodeId self, Rng& rng, Logger log);
  ~TcpNetwork() override;

  // Starts accepting on `listen`. Throws std::runtime_error when it cannot bind.
  void listen(const boost::asio::ip::tcp::endpoint& listen);
  void add_peer(NodeId id, const boost::asio::ip::tcp::endpoint& where);
  // Frames to peers carry to = kNoNode ("whoever is there"): for clients.
  void set_anonymous_peers(bool anonymous) { anonymous_ = anonymous; }

  bool send(NodeId to, ChannelId channel, std::string payload) override;
  void set_handler(ChannelId channel, MessageHandler handler) override;

  struct Stats {
    uint64_t frames_sent = 0, frames_received = 0, bad_frames = 0, dropped_queue_full = 0,
             reconnects = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  class Connection;
  friend class Connection;

  void accept_next();
  void on_frame(Connection* from, Message&& m);
  void on_closed(Connection* c);

  boost::asio::io_context& io_;
  NodeId self_;
  Rng& rng_;
  Logger log_;
  bool anonymous_ = false;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::map<NodeId, boost::asio::ip::tcp::endpoint> peer_addresses_;
  std::map<NodeId, std::shared_ptr<Connection>> outbound_;
  std::map<Connection*, std::shared_ptr<Connection>> inbound_;
  std::map<NodeId, Connection*> reply_route_;  // non-peers: their last connection
  std::map<ChannelId, MessageHandler> handlers_;
  Stats stats_;
};

}  // namespace shoal::real
