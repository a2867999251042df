#include "engine/coordinator/pit_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/core/codec.h"
#include "engine/coordinator/bounds.h"

namespace shoal::coord {
namespace {

constexpr uint32_t kPitMagic = 0x54495043;  // "CPIT"
constexpr uint8_t kPitVersion = 1;
// A token's bytes: header, name, version, count, and per shard four integers.
constexpr size_t kPitTokenBytesMax = 64 + kCollectionNameBytesMax + kShardsPerRequestMax * 40;

absl::Status bad(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("point-in-time id: ", std::string(what)));
}

}  // namespace

std::string encode_pit_token(const PitToken& token) {
  Writer w;
  w.u32(kPitMagic);
  w.u8(kPitVersion);
  w.bytes(token.collection);
  w.varint(token.map_version);
  w.varint(token.shards.size());
  for (const PitShard& s : token.shards) {
    w.varint(s.shard);
    w.varint(s.group);
    w.varint(s.revision);
    w.varint(s.open_index);
  }
  return absl::WebSafeBase64Escape(w.take());
}

absl::StatusOr<PitToken> decode_pit_token(std::string_view id) {
  if (id.empty() || id.size() > kPitTokenBytesMax * 2) return bad("empty or too long");
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(std::string(id), &bytes)) return bad("not base64");
  Reader r(bytes);
  PitToken t;
  if (r.u32() != kPitMagic || r.u8() != kPitVersion || !r.ok()) return bad("unknown format");
  t.collection = r.bytes();
  t.map_version = r.varint();
  const uint64_t n = r.varint();
  if (!r.ok() || t.collection.empty() || t.collection.size() > kCollectionNameBytesMax) return bad("malformed");
  if (n == 0 || n > kShardsPerRequestMax) return bad("bad shard count");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t shard = r.varint(), group = r.varint();
    PitShard s;
    s.revision = r.varint();
    s.open_index = r.varint();
    if (!r.ok() || shard >= kShardsPerRequestMax || group > UINT32_MAX) return bad("malformed shard");
    s.shard = static_cast<uint32_t>(shard);
    s.group = static_cast<GroupId>(group);
    if (!t.shards.empty() && s.shard <= t.shards.back().shard) return bad("shards out of order");
    t.shards.push_back(s);
  }
  if (!r.finished_ok()) return bad("trailing or truncated bytes");
  // Only the canonical form is accepted, so an id names one PIT.
  if (encode_pit_token(t) != id) return bad("not canonical");
  return t;
}

Error check_pit_matches(const PitToken& token, const cluster::CollectionInfo& info) {
  if (token.shards.size() != info.shards.size()) {
    return make_error(ErrorCode::kConflict,
                      absl::StrCat("the point in time covers ", token.shards.size(), " shards; the collection has ",
                                   info.shards.size(), " now"));
  }
  for (const PitShard& s : token.shards) {
    if (s.shard >= info.shards.size() || info.shards[s.shard].group != s.group) {
      return make_error(ErrorCode::kConflict, absl::StrCat("shard ", s.shard, " of the point in time was in group ",
                                                           s.group, ", which no longer holds it"));
    }
  }
  return Error{};
}

}  // namespace shoal::coord
