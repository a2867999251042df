// The channels every node serves on its network endpoint. One node hosts many
// services; each message names its channel (see engine/env/network.h).
#pragma once

#include "engine/core/ids.h"

namespace shoal {

inline constexpr ChannelId kHealthChannel = 1;
inline constexpr ChannelId kAdminChannel = 2;
// Channel 3 carried the client protocol before it moved onto rpc; unused.
// engine/rpc/rpc.h: requests on 4, replies on 5.
// Raft group g uses kRaftChannelBase + g.
inline constexpr ChannelId kRaftChannelBase = 1000;

}  // namespace shoal
