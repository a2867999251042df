// The invalidation encoding (engine/client/invalidation.h): every
// well-formed invalidation round-trips; the limits and the one canonical
// form are enforced at decode; no byte string — random, cut short or
// bit-flipped — crashes the decoder or decodes to a malformed invalidation.
#include "engine/client/invalidation.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "engine/core/codec.h"

namespace shoal {
namespace {

std::vector<Invalidation> samples() {
  return {
      {"d1", false, ""},
      {"d1*", true, "p0 wrote d1 at 42"},
      {"[!a-c]?x", true, std::string(kInvalidationMetadataBytesMax, 'm')},
      {std::string(kv::kMaxKeyBytes, 'k'), false, std::string(kInvalidationMetadataBytesMax, '\0')},
      {std::string(kGlobBytesMax, '*'), true, ""},
      // A key need not be a well-formed pattern: it is not one.
      {"a[", false, ""},
  };
}

TEST(InvalidationTest, EveryKindRoundTrips) {
  for (const Invalidation& inv : samples()) {
    ASSERT_TRUE(check_invalidation(inv).ok()) << inv.key_or_pattern;
    const std::string bytes = encode_invalidation(inv);
    EXPECT_LE(bytes.size(), kInvalidationEncodedBytesMax);
    absl::StatusOr<Invalidation> back = decode_invalidation(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, inv);
  }
}

TEST(InvalidationTest, MalformedInvalidationsAreRefusedByName) {
  EXPECT_FALSE(check_invalidation({"", false, ""}).ok());
  EXPECT_FALSE(check_invalidation({std::string(kv::kMaxKeyBytes + 1, 'k'), false, ""}).ok());
  EXPECT_FALSE(check_invalidation({"d1", false, std::string(kInvalidationMetadataBytesMax + 1, 'm')}).ok());
  EXPECT_FALSE(check_invalidation({"d[", true, ""}).ok());
  EXPECT_FALSE(check_invalidation({"", true, ""}).ok());
  EXPECT_FALSE(check_invalidation({std::string(kGlobBytesMax + 1, '*'), true, ""}).ok());
}

// Hand-made bytes: a header, the key or pattern and the metadata as given.
std::string bytes_of(uint8_t version, uint8_t flags, std::string_view key, std::string_view metadata) {
  Writer w;
  w.u8(version);
  w.u8(flags);
  w.bytes(key);
  w.bytes(metadata);
  return w.take();
}

TEST(InvalidationTest, DecodeRefusesWhatIsNotTheCanonicalFormOfAWellFormedOne) {
  ASSERT_TRUE(decode_invalidation(bytes_of(1, 1, "d1*", "m")).ok());
  EXPECT_FALSE(decode_invalidation("").ok());
  EXPECT_FALSE(decode_invalidation(bytes_of(2, 0, "d1", "")).ok()) << "an unknown version";
  EXPECT_FALSE(decode_invalidation(bytes_of(1, 2, "d1", "")).ok()) << "an unknown flag";
  EXPECT_FALSE(decode_invalidation(bytes_of(1, 0, "", "")).ok()) << "an empty key";
  EXPECT_FALSE(decode_invalidation(bytes_of(1, 1, "d[", "")).ok()) << "an unclosed set";
  EXPECT_FALSE(decode_invalidation(bytes_of(1, 0, "d1", "") + "x").ok()) << "trailing bytes";
  std::string cut = bytes_of(1, 0, "d1", "meta");
  cut.pop_back();
  EXPECT_FALSE(decode_invalidation(cut).ok()) << "cut short";
  // The key's length as an overlong varint: 0x82 0x00 is 2 in two bytes.
  std::string overlong = std::string("\x01\x00\x82\x00", 4) + "d1" + std::string("\x00", 1);
  EXPECT_FALSE(decode_invalidation(overlong).ok()) << "a non-canonical length";
  // A length that claims more than is there, and input past the bound.
  EXPECT_FALSE(decode_invalidation(std::string("\x01\x00\xff\xff\xff\xff\x0f", 7)).ok());
  EXPECT_FALSE(decode_invalidation(std::string(kInvalidationEncodedBytesMax + 1, '\x01')).ok());
  EXPECT_FALSE(decode_invalidation(bytes_of(1, 0, std::string(kv::kMaxKeyBytes + 1, 'k'), "")).ok());
}

rc::Gen<Invalidation> any_invalidation() {
  return rc::gen::apply(
      [](bool glob, std::string text, std::string metadata) {
        if (glob) {
          // Sets only where they close: `[` is replaced unless `]` follows.
          for (size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '[' && (i + 2 >= text.size() || text.find(']', i + 2) == std::string::npos)) text[i] = '?';
          }
        }
        if (text.empty()) text = glob ? "*" : "k";
        return Invalidation{text, glob, metadata};
      },
      rc::gen::arbitrary<bool>(),
      rc::gen::container<std::string>(*rc::gen::inRange<size_t>(0, 40), rc::gen::elementOf(std::string("d1*?[]!-a"))),
      rc::gen::container<std::string>(*rc::gen::inRange<size_t>(0, 60), rc::gen::arbitrary<char>()));
}

RC_GTEST_PROP(InvalidationProperty, WellFormedOnesRoundTrip, ()) {
  const Invalidation inv = *any_invalidation();
  RC_PRE(check_invalidation(inv).ok());
  const absl::StatusOr<Invalidation> back = decode_invalidation(encode_invalidation(inv));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == inv);
}

// Random bytes, and encodings with bits flipped or cut short: never a
// crash, and whatever decodes is well formed and encodes back to the bytes.
RC_GTEST_PROP(InvalidationProperty, GarbageNeverCrashesTheDecoder, ()) {
  std::string bytes;
  const int which = *rc::gen::inRange(0, 3);
  if (which == 0) {
    bytes = *rc::gen::arbitrary<std::string>();
  } else {
    Invalidation inv = *any_invalidation();
    RC_PRE(check_invalidation(inv).ok());
    bytes = encode_invalidation(inv);
    if (which == 1) {
      const size_t flips = *rc::gen::inRange<size_t>(1, 4);
      for (size_t i = 0; i < flips; ++i) {
        const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << *rc::gen::inRange(0, 8)));
      }
    } else {
      bytes.resize(*rc::gen::inRange<size_t>(0, bytes.size()));
    }
  }
  const absl::StatusOr<Invalidation> got = decode_invalidation(bytes);
  if (got.ok()) {
    RC_ASSERT(check_invalidation(*got).ok());
    RC_ASSERT(encode_invalidation(*got) == bytes);
  }
}

}  // namespace
}  // namespace shoal
