// Helpers the coordinator's reads share (internal): how a read level picks
// its replica, the session token a read carries, and how missing shards are
// described in an answer.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/coordinator/core.h"

namespace shoal::coord {

// kSession: the client's token for the group (0 when it has none); other
// levels need none.
uint64_t session_token(ReadLevel level, const std::map<GroupId, uint64_t>& tokens, GroupId group);

// A read of `payload` on `group`: to the leader for linearizable and lease
// reads, to a random replica for session and any reads.
GroupCallSpec read_spec(ReadLevel level, GroupId group, uint64_t session_index, uint64_t map_version,
                        std::string payload, std::vector<NodeId> replicas, TimePoint deadline);

// {"total", "successful", "failed": [{"shard", "group", "code", "reason"}],
//  "missing": [shard ids]}
boost::json::object shards_json(uint32_t total, const std::vector<ShardFailure>& failed);
// "1 (deadline: ...), 3 (unavailable: ...)"
std::string describe_failures(const std::vector<ShardFailure>& failed);

}  // namespace shoal::coord
