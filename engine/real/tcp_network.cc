#include "engine/real/tcp_network.h"

#include "engine/core/checksum.h"
#include "engine/core/codec.h"

namespace shoal::real {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string encode_frame(NodeId from, NodeId to, ChannelId channel, std::string_view payload) {
  Writer body;
  body.u32(from);
  body.u32(to);
  body.u32(channel);
  body.raw(payload);
  Writer frame;
  frame.u32(static_cast<uint32_t>(body.buffer().size()));
  frame.u32(crc32c(body.buffer()));
  frame.raw(body.buffer());
  return frame.take();
}

std::optional<Message> decode_frame_body(uint32_t crc, std::string_view body) {
  if (body.size() < kEnvelopeBytes || crc32c(body) != crc) return std::nullopt;
  Reader r(body);
  Message m;
  m.from = r.u32();
  m.to = r.u32();
  m.channel = r.u32();
  m.payload.assign(body.substr(kEnvelopeBytes));
  return m;
}

// One TCP connection: outbound to a configured peer (reconnecting), or
// inbound from anyone (closed for good on error).
class TcpNetwork::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TcpNetwork& net, tcp::socket socket)
      : net_(net), socket_(std::move(socket)), retry_(net.io_), connected_(true) {}
  Connection(TcpNetwork& net, NodeId peer, tcp::endpoint where)
      : net_(net), socket_(net.io_), retry_(net.io_), peer_(peer), endpoint_(where) {}

  void start_inbound() { read_header(generation_); }

  void connect() {
    const uint64_t gen = ++generation_;
    socket_ = tcp::socket(net_.io_);
    socket_.async_connect(endpoint_, [self = shared_from_this(), gen](boost::system::error_code ec) {
      if (gen != self->generation_) return;
      if (ec) return self->fail("connect: " + ec.message());
      self->connected_ = true;
      self->backoff_ = kReconnectBackoffMin;
      boost::system::error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->read_header(gen);
      self->write_next();
    });
  }

  bool enqueue(std::string frame) {
    if (queued_bytes_ + frame.size() > kSendQueueBytesMax) return false;
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    if (connected_ && !writing_) write_next();
    return true;
  }

  void shutdown() {
    ++generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    retry_.cancel();
  }

 private:
  void write_next() {
    if (queue_.empty() || writing_ || !connected_) return;
    writing_ = true;
    const uint64_t gen = generation_;
    asio::async_write(socket_, asio::buffer(queue_.front()),
                      [self = shared_from_this(), gen](boost::system::error_code ec, size_t) {
                        if (gen != self->generation_) return;
                        self->writing_ = false;
                        if (ec) return self->fail("write: " + ec.message());
                        self->queued_bytes_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                        self->net_.stats_.frames_sent++;
                        self->write_next();
                      });
  }

  void read_header(uint64_t gen) {
    asio::async_read(socket_, asio::buffer(header_),
                     [self = shared_from_this(), gen](boost::system::error_code ec, size_t) {
                       if (gen != self->generation_) return;
                       if (ec) return self->fail("read: " + ec.message());
                       Reader r(std::string_view(self->header_, sizeof self->header_));
                       const uint32_t length = r.u32();
                       const uint32_t crc = r.u32();
                       if (length > kMaxFrameBytes || length < kEnvelopeBytes) {
                         self->net_.stats_.bad_frames++;
                         return self->fail("frame length " + std::to_string(length) + " out of bounds");
                       }
                       self->read_body(gen, length, crc);
                     });
  }

  void read_body(uint64_t gen, uint32_t length, uint32_t crc) {
    body_.resize(length);
    asio::async_read(socket_, asio::buffer(body_),
                     [self = shared_from_this(), gen, crc](boost::system::error_code ec, size_t) {
                       if (gen != self->generation_) return;
                       if (ec) return self->fail("read: " + ec.message());
                       auto m = decode_frame_body(crc, self->body_);
                       if (!m) {
                         self->net_.stats_.bad_frames++;
                         return self->fail("frame checksum mismatch");
                       }
                       self->net_.stats_.frames_received++;
                       self->net_.on_frame(self.get(), std::move(*m));
                       if (gen == self->generation_) self->read_header(gen);
                     });
  }

  // A failed connection loses what it had queued: the network may drop.
  void fail(const std::string& why) {
    ++generation_;
    connected_ = false;
    writing_ = false;
    queue_.clear();
    queued_bytes_ = 0;
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (!peer_) {
      net_.on_closed(this);  // may destroy *this: nothing after
      return;
    }
    if (reported_down_ == false) {
      net_.log_(LogLevel::kInfo, "connection to node " + std::to_string(*peer_) + " lost: " + why);
      reported_down_ = true;
    }
    schedule_reconnect();
  }

  void schedule_reconnect() {
    // Exponential backoff with jitter, so restarted peers are not stampeded.
    const auto jitter = net_.rng_.range(Duration(0), Duration(backoff_));
    retry_.expires_after(backoff_ + jitter);
    backoff_ = std::min(backoff_ * 2, std::chrono::duration_cast<Duration>(kReconnectBackoffMax));
    retry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      self->net_.stats_.reconnects++;
      self->connect();
    });
  }

  TcpNetwork& net_;
  tcp::socket socket_;
  asio::steady_timer retry_;
  std::optional<NodeId> peer_;
  tcp::endpoint endpoint_;
  uint64_t generation_ = 0;
  bool connected_ = false;
  bool writing_ = false;
  bool reported_down_ = false;
  Duration backoff_ = kReconnectBackoffMin;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  char header_[kFrameHeaderBytes];
  std::string body_;

 public:
  void mark_up() { reported_down_ = false; }
};

TcpNetwork::TcpNetwork(asio::io_context& io, NodeId self, Rng& rng, Logger log)
    : io_(io), self_(self), rng_(rng), log_(std::move(log)) {}

TcpNetwork::~TcpNetwork() {
  for (auto& [id, c] : outbound_) c->shutdown();
  for (auto& [p, c] : inbound_) c->shutdown();
  if (acceptor_) acceptor_->close();
}

void TcpNetwork::listen(const tcp::endpoint& where) {
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  boost::system::error_code ec;
  acceptor_->open(where.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(where, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + where.address().to_string() + ":" +
                             std::to_string(where.port()) + ": " + ec.message());
  }
  accept_next();
}

void TcpNetwork::accept_next() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto c = std::make_shared<Connection>(*this, std::move(socket));
      inbound_[c.get()] = c;
      c->start_inbound();
    }
    accept_next();
  });
}

void TcpNetwork::add_peer(NodeId id, const tcp::endpoint& where) {
  peer_addresses_[id] = where;
  auto c = std::make_shared<Connection>(*this, id, where);
  outbound_[id] = c;
  c->connect();
}

bool TcpNetwork::send(NodeId to, ChannelId channel, std::string payload) {
  if (payload.size() > kMaxMessageBytes) return false;
  if (to == self_) {
    asio::post(io_, [this, m = Message{self_, self_, channel, std::move(payload)}]() mutable {
      on_frame(nullptr, std::move(m));
    });
    return true;
  }
  Connection* c = nullptr;
  if (auto it = outbound_.find(to); it != outbound_.end()) {
    c = it->second.get();
  } else if (auto r = reply_route_.find(to); r != reply_route_.end()) {
    c = r->second;
  }
  if (c == nullptr) return false;
  const NodeId wire_to = anonymous_ ? kNoNode : to;
  if (!c->enqueue(encode_frame(self_, wire_to, channel, payload))) {
    stats_.dropped_queue_full++;
    return false;
  }
  return true;
}

void TcpNetwork::set_handler(ChannelId channel, MessageHandler handler) {
  if (handler) {
    handlers_[channel] = std::move(handler);
  } else {
    handlers_.erase(channel);
  }
}

void TcpNetwork::on_frame(Connection* from, Message&& m) {
  if (m.to != self_ && m.to != kNoNode) return;  // not for this process
  if (from != nullptr && !peer_addresses_.contains(m.from)) reply_route_[m.from] = from;
  if (auto it = outbound_.find(m.from); it != outbound_.end()) it->second->mark_up();
  auto h = handlers_.find(m.channel);
  if (h == handlers_.end()) return;
  MessageHandler handler = h->second;
  handler(std::move(m));
}

void TcpNetwork::on_closed(Connection* c) {
  for (auto it = reply_route_.begin(); it != reply_route_.end();) {
    it = it->second == c ? reply_route_.erase(it) : std::next(it);
  }
  inbound_.erase(c);
}

}  // namespace shoal::real
