// Invalidation: what an application tells the caches of its readers when it
// changes data — "the key K changed", or "every key matching the glob G
// changed" (glob.h) — and the bytes that carry it through a KV key.
//
// The encoding is one version byte, one flags byte (bit 0: glob; the others
// zero), then the key or pattern and the metadata, each as a varint length
// and its bytes. Decoding never trusts its input: anything but the one
// canonical encoding of a well-formed invalidation (decode(b) succeeds only
// if encode of the result is b again) is an InvalidArgument error, never a
// crash, and nothing longer than kInvalidationEncodedBytesMax is read.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/client/glob.h"
#include "engine/shard/kv_command.h"

namespace shoal {

struct Invalidation {
  std::string key_or_pattern;  // a key (1..kv::kMaxKeyBytes), or a well-formed glob when `glob`
  bool glob = false;
  std::string metadata;        // the application's own (why, who), 0..kInvalidationMetadataBytesMax
  bool operator==(const Invalidation&) const = default;
};

inline constexpr size_t kInvalidationMetadataBytesMax = 1 << 10;
// The longest encoding of a well-formed invalidation: two header bytes, two
// varint lengths of at most two bytes each, the longest key and metadata.
inline constexpr size_t kInvalidationEncodedBytesMax = 2 + 2 + kv::kMaxKeyBytes + 2 + kInvalidationMetadataBytesMax;

// OK when `inv` is well formed (the limits above; a glob, well formed per
// glob.h); otherwise InvalidArgument naming the problem.
absl::Status check_invalidation(const Invalidation& inv);

// REQUIRES: check_invalidation(inv).ok().
// PROMISES: decode_invalidation(encode_invalidation(inv)) == inv.
std::string encode_invalidation(const Invalidation& inv);
absl::StatusOr<Invalidation> decode_invalidation(std::string_view bytes);

}  // namespace shoal
