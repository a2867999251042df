#include "engine/coordinator/read_common.h"

#include <boost/json/array.hpp>

#include "absl/strings/str_cat.h"

namespace shoal::coord {

uint64_t session_token(ReadLevel level, const std::map<GroupId, uint64_t>& tokens, GroupId group) {
  if (level != ReadLevel::kSession) return 0;
  auto it = tokens.find(group);
  return it == tokens.end() ? 0 : it->second;
}

GroupCallSpec read_spec(ReadLevel level, GroupId group, uint64_t session_index, uint64_t map_version,
                        std::string payload, std::vector<NodeId> replicas, TimePoint deadline) {
  GroupCallSpec spec;
  spec.request = ClientRequest{group, false, static_cast<uint8_t>(level), session_index, map_version,
                               std::move(payload)};
  spec.replicas = std::move(replicas);
  spec.to_leader = level == ReadLevel::kLinearizable || level == ReadLevel::kLease;
  spec.deadline = deadline;
  return spec;
}

boost::json::object shards_json(uint32_t total, const std::vector<ShardFailure>& failed) {
  boost::json::array list;
  boost::json::array missing;
  for (const ShardFailure& f : failed) {
    list.push_back(boost::json::object{{"shard", f.shard},
                                       {"group", f.group},
                                       {"code", std::string(to_string(f.error.code))},
                                       {"reason", f.error.describe()}});
    missing.push_back(f.shard);
  }
  return boost::json::object{{"total", total},
                             {"successful", total - failed.size()},
                             {"failed", std::move(list)},
                             {"missing", std::move(missing)}};
}

std::string describe_failures(const std::vector<ShardFailure>& failed) {
  std::string out;
  for (const ShardFailure& f : failed) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", f.shard, " (", f.error.describe(), ")");
  }
  return out;
}

}  // namespace shoal::coord
