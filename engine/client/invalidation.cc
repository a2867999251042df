#include "engine/client/invalidation.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/codec.h"

namespace shoal {
namespace {

constexpr uint8_t kInvalidationVersion = 1;
constexpr uint8_t kFlagGlob = 1;

}  // namespace

absl::Status check_invalidation(const Invalidation& inv) {
  if (inv.metadata.size() > kInvalidationMetadataBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalidation metadata of ", inv.metadata.size(), " bytes is over ", kInvalidationMetadataBytesMax));
  }
  if (inv.glob) {
    if (!glob_well_formed(inv.key_or_pattern)) {
      return absl::InvalidArgumentError(absl::StrCat("an invalidation's pattern has 1..", kGlobBytesMax,
                                                     " bytes and closes every '['"));
    }
    return absl::OkStatus();
  }
  if (inv.key_or_pattern.empty() || inv.key_or_pattern.size() > kv::kMaxKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("an invalidated key has 1..", kv::kMaxKeyBytes, " bytes"));
  }
  return absl::OkStatus();
}

std::string encode_invalidation(const Invalidation& inv) {
  SHOAL_ASSERT(check_invalidation(inv).ok());
  Writer w;
  w.u8(kInvalidationVersion);
  w.u8(inv.glob ? kFlagGlob : 0);
  w.bytes(inv.key_or_pattern);
  w.bytes(inv.metadata);
  return w.take();
}

absl::StatusOr<Invalidation> decode_invalidation(std::string_view bytes) {
  if (bytes.size() > kInvalidationEncodedBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat("an invalidation of ", bytes.size(), " bytes is over ",
                                                   kInvalidationEncodedBytesMax));
  }
  Reader r(bytes);
  const uint8_t version = r.u8();
  const uint8_t flags = r.u8();
  Invalidation inv;
  inv.glob = (flags & kFlagGlob) != 0;
  r.bytes(&inv.key_or_pattern);
  r.bytes(&inv.metadata);
  if (!r.finished_ok()) return absl::InvalidArgumentError("a truncated or overlong invalidation");
  if (version != kInvalidationVersion) {
    return absl::InvalidArgumentError(absl::StrCat("an invalidation of unknown version ", version));
  }
  if ((flags & ~kFlagGlob) != 0) return absl::InvalidArgumentError(absl::StrCat("unknown invalidation flags ", flags));
  if (absl::Status s = check_invalidation(inv); !s.ok()) return s;
  // Only the canonical encoding is accepted (no overlong varint lengths), so
  // one invalidation has one byte form.
  if (encode_invalidation(inv) != bytes) return absl::InvalidArgumentError("a non-canonical invalidation encoding");
  return inv;
}

}  // namespace shoal
