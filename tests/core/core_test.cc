#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/core/checksum.h"
#include "engine/core/codec.h"
#include "engine/core/random.h"

namespace shoal {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  // The CRC-32C check value from RFC 3720 / the Castagnoli catalogue.
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
}

RC_GTEST_PROP(Crc32c, ExtendEqualsWhole, (const std::string& a, const std::string& b)) {
  RC_ASSERT(crc32c_extend(crc32c(a), b) == crc32c(a + b));
}

RC_GTEST_PROP(Codec, RoundTripsEveryField,
              (uint8_t a, uint32_t b, uint64_t c, int64_t d, uint64_t e, const std::string& s, bool f)) {
  Writer w;
  w.u8(a); w.u32(b); w.u64(c); w.i64(d); w.varint(e); w.bytes(s); w.boolean(f); w.f64(1.5);
  std::string buf = w.take();
  Reader r(buf);
  RC_ASSERT(r.u8() == a);
  RC_ASSERT(r.u32() == b);
  RC_ASSERT(r.u64() == c);
  RC_ASSERT(r.i64() == d);
  RC_ASSERT(r.varint() == e);
  RC_ASSERT(r.bytes() == s);
  RC_ASSERT(r.boolean() == f);
  RC_ASSERT(r.f64() == 1.5);
  RC_ASSERT(r.finished_ok());
}

RC_GTEST_PROP(Codec, TruncatedInputFailsWithoutCrashing, (const std::string& s, uint64_t v)) {
  Writer w;
  w.varint(v);
  w.bytes(s);
  std::string buf = w.take();
  const size_t cut = *rc::gen::inRange<size_t>(0, buf.size());
  Reader r(std::string_view(buf).substr(0, cut));
  r.varint();
  r.bytes();
  RC_ASSERT(!r.ok());
}

TEST(Codec, RejectsOversizedLengthPrefix) {
  Writer w;
  w.varint(kMaxFieldBytes + 1);
  std::string buf = w.take();
  Reader r(buf);
  std::string out;
  EXPECT_FALSE(r.bytes(&out));
}

TEST(Rng, SameSeedSameStreamDifferentSeedDifferentStream) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs |= x != c.next_u64();
  }
  EXPECT_TRUE(differs);
}

RC_GTEST_PROP(Rng, RangeStaysInBounds, (uint64_t seed, int32_t lo, uint16_t span)) {
  Rng r(seed);
  const int64_t hi = static_cast<int64_t>(lo) + span;
  for (int i = 0; i < 50; ++i) {
    int64_t x = r.range(lo, hi);
    RC_ASSERT(x >= lo);
    RC_ASSERT(x <= hi);
  }
}

TEST(Rng, BelowIsRoughlyUniform) {
  Rng r(7);
  int counts[10] = {};
  for (int i = 0; i < 100000; ++i) counts[r.below(10)]++;
  for (int c : counts) {
    EXPECT_GT(c, 9500);
    EXPECT_LT(c, 10500);
  }
}

}  // namespace
}  // namespace shoal
