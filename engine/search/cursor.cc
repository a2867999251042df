#include "engine/search/cursor.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "engine/search/str_cat.h"
#include "engine/core/codec.h"
#include "engine/search/sort.h"

namespace shoal::search {

namespace {

// Leading bytes that tell the two token kinds (and a future format) apart.
constexpr uint8_t kCursorFormat = 0xC1;
constexpr uint8_t kPitFormat = 0xA1;

absl::StatusOr<std::string> unwrap(std::string_view token, std::string_view what) {
  if (token.size() > kMaxTokenBytes) return absl::InvalidArgumentError(str_cat(what, " token is too long"));
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(to_absl(token), &bytes)) {
    return absl::InvalidArgumentError(str_cat(what, " token is not valid base64"));
  }
  return bytes;
}

}  // namespace

std::string encode_cursor(const Cursor& c) {
  Writer w;
  w.u8(kCursorFormat);
  w.u64(c.sort_fingerprint);
  w.bytes(c.pit_id);
  w.varint(c.after.size());
  for (const Value& v : c.after) v.encode(w);
  return absl::WebSafeBase64Escape(w.take());
}

absl::StatusOr<Cursor> decode_cursor(std::string_view token) {
  auto bytes = unwrap(token, "cursor");
  if (!bytes.ok()) return bytes.status();
  Reader r(*bytes);
  Cursor c;
  if (r.u8() != kCursorFormat) return absl::InvalidArgumentError("cursor token has an unknown format");
  c.sort_fingerprint = r.u64();
  c.pit_id = r.bytes();
  const uint64_t n = r.varint();
  if (!r.ok() || n > kMaxSortClauses + 1) return absl::InvalidArgumentError("cursor token is malformed");
  c.after.resize(n);
  for (Value& v : c.after) {
    if (!Value::decode(r, &v)) return absl::InvalidArgumentError("cursor token is malformed");
  }
  if (!r.finished_ok()) return absl::InvalidArgumentError("cursor token is malformed");
  return c;
}

std::optional<uint64_t> PointInTime::revision_of(uint32_t shard) const {
  auto it = std::lower_bound(shard_revisions.begin(), shard_revisions.end(), std::make_pair(shard, uint64_t{0}));
  if (it == shard_revisions.end() || it->first != shard) return std::nullopt;
  return it->second;
}

std::string encode_pit(const PointInTime& pit) {
  Writer w;
  w.u8(kPitFormat);
  w.varint(pit.shard_revisions.size());
  for (const auto& [shard, revision] : pit.shard_revisions) {
    w.u32(shard);
    w.u64(revision);
  }
  return absl::WebSafeBase64Escape(w.take());
}

absl::StatusOr<PointInTime> decode_pit(std::string_view token) {
  auto bytes = unwrap(token, "point-in-time");
  if (!bytes.ok()) return bytes.status();
  Reader r(*bytes);
  if (r.u8() != kPitFormat) return absl::InvalidArgumentError("point-in-time token has an unknown format");
  const uint64_t n = r.varint();
  if (!r.ok() || n > kMaxPitShards) return absl::InvalidArgumentError("point-in-time token is malformed");
  PointInTime pit;
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t shard = r.u32();
    const uint64_t revision = r.u64();
    // Shards are strictly increasing: one revision per shard, searchable.
    if (!pit.shard_revisions.empty() && shard <= pit.shard_revisions.back().first) {
      return absl::InvalidArgumentError("point-in-time token is malformed");
    }
    pit.shard_revisions.emplace_back(shard, revision);
  }
  if (!r.finished_ok()) return absl::InvalidArgumentError("point-in-time token is malformed");
  return pit;
}

}  // namespace shoal::search
