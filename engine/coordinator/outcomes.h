// What a coordinator's write reports, shard by shard, and what a read says
// of the shards that did not answer. Plain values, shared by the coordinator,
// its rpc API (api_codec.h) and the client library (engine/client), so this
// header holds only inline code: the client links no coordinator library.
//
// A write of many documents is many shard commands. Each ends in one of three
// outcomes a history checker can use:
//   kOk      the shard applied it (or, at leader level, its leader holds it);
//   kFail    it certainly did not take effect (refused before anything ran);
//   kUnknown it may have taken effect or not (a timeout, a lost leadership
//            after the append, an rpc that ended by its deadline).
// A timed-out write is never kFail.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"
#include "engine/raft/raft.h"

namespace shoal::coord {

enum class Outcome : uint8_t { kOk = 0, kFail = 1, kUnknown = 2 };
inline constexpr uint8_t kOutcomeMax = 2;

inline const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kFail: return "fail";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

// The outcome of several parts together: ok when every part is ok, fail when
// every part failed (nothing happened), unknown otherwise — including a mix
// of ok and fail, since then the whole neither happened nor did not.
// No parts is fail: nothing was done.
inline Outcome combine(const std::vector<Outcome>& parts) {
  if (parts.empty()) return Outcome::kFail;
  bool all_ok = true;
  bool all_fail = true;
  for (Outcome o : parts) {
    all_ok = all_ok && o == Outcome::kOk;
    all_fail = all_fail && o == Outcome::kFail;
  }
  return all_ok ? Outcome::kOk : all_fail ? Outcome::kFail : Outcome::kUnknown;
}

// One shard command of a write.
struct ShardWrite {
  uint32_t shard = 0;
  GroupId group = 0;
  uint64_t map_version = 0;  // the map the command was routed by
  Outcome outcome = Outcome::kUnknown;
  // kOk at leader level: the leader holds it durably but had not applied it
  // (it takes effect unless the leader fails first; count is unknown, 0).
  bool accepted = false;
  uint64_t index = 0;  // kOk: the command's log index, which is the revision written
  uint64_t count = 0;  // kOk and applied: documents upserted, or ids deleted that were live
  Error error;         // kFail / kUnknown: why
  std::vector<std::string> ids;  // the documents (upsert) or ids (delete) it carried
};

struct WriteOutcome {
  // kNone when every shard command is ok. Otherwise the request-level error
  // (kBadRequest, kNotFound collection, kOverloaded: then `shards` is empty
  // and nothing was done), or the first failure among the shard commands
  // (kDeadline / kOutcomeUnknown when an outcome is unknown).
  Error error;
  std::vector<ShardWrite> shards;

  Outcome outcome() const {
    std::vector<Outcome> parts;
    for (const ShardWrite& s : shards) parts.push_back(s.outcome);
    return combine(parts);
  }
  // The outcome for one document id: over every shard command that carried
  // it (a delete under range or vector sharding goes to every shard). fail
  // for an id no command carried.
  Outcome document_outcome(std::string_view id) const {
    std::vector<Outcome> parts;
    for (const ShardWrite& s : shards) {
      for (const std::string& x : s.ids) {
        if (x == id) parts.push_back(s.outcome);
      }
    }
    return combine(parts);
  }
};

// A shard a read could not use: who, and why (a typed error).
struct ShardFailure {
  uint32_t shard = 0;
  GroupId group = 0;
  Error error;
};

}  // namespace shoal::coord
