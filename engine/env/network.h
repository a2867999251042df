// Network: unreliable datagrams between processes named by NodeId.
//
// send() hands a message to the network and returns at once. A message may be
// delayed, dropped, duplicated or reordered (by the simulator's nemesis, or by
// a TCP reconnect in real mode); it is never corrupted — the real transport
// checksums frames and drops bad ones. Request/response, ids and timeouts are
// helpers built on top (see engine/rpc/rpc.h), not promises of this interface.
//
// Every message names a channel so that one process can host many services
// (health, many raft groups, the client API). Only the owning event loop calls
// these methods; handlers run on that loop.
#pragma once

#include <functional>
#include <string>

#include "engine/core/ids.h"

namespace shoal {

// The largest message payload any layer may send. Larger sends are rejected.
inline constexpr size_t kMaxMessageBytes = 16u << 20;

struct Message {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  ChannelId channel = 0;
  std::string payload;
};

using MessageHandler = std::function<void(Message&& m)>;

class Network {
 public:
  virtual ~Network() = default;

  // REQUIRES: payload.size() <= kMaxMessageBytes.
  // Returns false when the message was rejected locally (too large, unknown
  // destination, send queue full); true only means it was handed over.
  virtual bool send(NodeId to, ChannelId channel, std::string payload) = 0;

  // Installs the handler for one channel; an empty function removes it.
  // Messages on a channel without a handler are dropped (and counted).
  virtual void set_handler(ChannelId channel, MessageHandler handler) = 0;
};

}  // namespace shoal
