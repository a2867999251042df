// Identifiers shared by every layer.
#pragma once

#include <cstdint>
#include <limits>

namespace shoal {

// A process on the network: a node or a client. Node ids are small and
// configured; client ids live at or above kClientIdBase so a transport can tell
// them apart from peers without a lookup.
using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0;
inline constexpr NodeId kClientIdBase = 1u << 30;
inline bool is_client_id(NodeId id) { return id >= kClientIdBase; }

// A logical service on a node's network endpoint (health, a raft group, the
// client API, ...). Messages carry it so one node can host many services.
using ChannelId = uint32_t;

}  // namespace shoal
