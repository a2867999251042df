// The WAL's byte format and the segment scanner's verdicts, without a disk.
#include "engine/storage/wal_format.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/core/checksum.h"
#include "engine/core/codec.h"
#include "engine/storage/hard_state_file.h"

namespace shoal {
namespace {

using wal::SegmentScan;

std::string segment_bytes(uint64_t first, const std::vector<LogEntry>& es, uint64_t prev_term = 0) {
  std::string out;
  wal::append_segment_header(&out, {first, prev_term});
  for (const LogEntry& e : es) wal::append_entry(&out, e);
  return out;
}

std::vector<LogEntry> some_entries(uint64_t first, uint64_t n) {
  std::vector<LogEntry> out;
  for (uint64_t i = 0; i < n; ++i) {
    out.push_back(LogEntry{first + i, 1 + i / 3, std::string(i * 5, static_cast<char>('a' + i))});
  }
  return out;
}

TEST(WalFormat, SegmentNamesSortByIndexAndParseBack) {
  EXPECT_EQ(wal::segment_name(42), "00000000000000000042.log");
  EXPECT_LT(wal::segment_name(9), wal::segment_name(10));
  uint64_t v = 0;
  ASSERT_TRUE(wal::parse_segment_name(wal::segment_name(UINT64_MAX), &v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_FALSE(wal::parse_segment_name("0000000000000000042.log", &v));
  EXPECT_FALSE(wal::parse_segment_name("00000000000000000042.lag", &v));
  EXPECT_FALSE(wal::parse_segment_name("0000000000000000004x.log", &v));
  EXPECT_FALSE(wal::parse_segment_name("99999999999999999999.log", &v));  // overflows
}

TEST(WalFormat, ACleanSegmentScansBackWhole) {
  const auto es = some_entries(7, 10);
  const SegmentScan s = wal::scan_segment(segment_bytes(7, es, 1), 7);
  EXPECT_EQ(s.end, SegmentScan::End::kClean);
  EXPECT_EQ(s.header.first_index, 7u);
  EXPECT_EQ(s.header.prev_term, 1u);
  EXPECT_EQ(s.entries, es);
  EXPECT_EQ(s.entry_offsets.size(), es.size());
}

TEST(WalFormat, ZerosNeverParseAsAFrame) {
  const std::string zeros(64, '\0');
  wal::Frame f;
  EXPECT_EQ(wal::parse_frame(zeros, 0, &f), wal::FrameParse::kBadHeader);
  EXPECT_FALSE(wal::valid_frame_after(zeros, 0));
}

TEST(WalFormat, EntriesThatDoNotFollowOnAreCorruptionEvenWithGoodChecksums) {
  auto es = some_entries(1, 4);
  es[2].index = 9;
  EXPECT_EQ(wal::scan_segment(segment_bytes(1, es), 1).end, SegmentScan::End::kCorrupt);
  es = some_entries(1, 4);
  es[3].term = 0;
  EXPECT_EQ(wal::scan_segment(segment_bytes(1, es), 1).end, SegmentScan::End::kCorrupt);
  EXPECT_EQ(wal::scan_segment(segment_bytes(1, some_entries(1, 4), 5), 1).end,
            SegmentScan::End::kCorrupt);  // first term below the header's prev_term
  EXPECT_EQ(wal::scan_segment(segment_bytes(2, some_entries(2, 4)), 1).end,
            SegmentScan::End::kCorrupt);  // header disagrees with the file name
}

// A segment cut anywhere — inside any frame, or right after one — scans as the
// entries before the cut and a torn tail exactly at the last whole frame.
RC_GTEST_PROP(WalFormatProperty, ACutAnywhereIsATornTailAtTheLastWholeFrame, ()) {
  const uint64_t n = *rc::gen::inRange<uint64_t>(1, 12);
  const auto es = some_entries(1, n);
  const std::string whole = segment_bytes(1, es);
  const size_t cut = *rc::gen::inRange<size_t>(0, whole.size());
  const SegmentScan s = wal::scan_segment(std::string_view(whole).substr(0, cut), 1);
  RC_ASSERT(s.end != SegmentScan::End::kCorrupt);
  RC_ASSERT(s.valid_bytes <= cut);
  if (s.end == SegmentScan::End::kClean) RC_ASSERT(s.valid_bytes == cut);
  if (s.end == SegmentScan::End::kTorn) RC_ASSERT(s.damage_offset == s.valid_bytes);
  RC_ASSERT(s.entries == std::vector<LogEntry>(es.begin(), es.begin() + s.entries.size()));
}

// One flipped bit anywhere is always noticed: corruption when good frames
// follow it, a torn tail only when it lies in the last frame.
RC_GTEST_PROP(WalFormatProperty, OneFlippedBitIsAlwaysNoticed, ()) {
  const uint64_t n = *rc::gen::inRange<uint64_t>(1, 12);
  const auto es = some_entries(1, n);
  std::string bytes = segment_bytes(1, es);
  const SegmentScan clean = wal::scan_segment(bytes, 1);
  const size_t bit = *rc::gen::inRange<size_t>(0, bytes.size() * 8);
  bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
  const SegmentScan s = wal::scan_segment(bytes, 1);
  RC_ASSERT(s.end != SegmentScan::End::kClean);
  const bool in_last_frame = bit / 8 >= clean.entry_offsets.back();
  RC_ASSERT(s.end == (in_last_frame ? SegmentScan::End::kTorn : SegmentScan::End::kCorrupt));
}

TEST(HardStateFile, ReadsVersionOneFilesWithoutAVoteFloor) {
  // u32 magic, u8 version 1, u64 term, u32 vote, u32 CRC32C.
  Writer w;
  w.u32(0x53484853);
  w.u8(1);
  w.u64(41);
  w.u32(3);
  w.u32(crc32c(w.buffer()));
  const std::string v1 = w.take();
  ASSERT_EQ(v1.size(), kHardStateFileBytesV1);
  HardState out;
  ASSERT_TRUE(decode_hard_state(v1, &out));
  EXPECT_EQ(out, (HardState{41, 3, 0}));
  std::string relabelled = v1;
  relabelled[4] = 2;  // a version-2 label on a version-1 body is damage
  EXPECT_FALSE(decode_hard_state(relabelled, &out));
}

TEST(HardStateFile, RoundTripsAndRejectsAnyDamage) {
  const HardState hs{123456789, 7, kVotesSuspended};
  const std::string bytes = encode_hard_state(hs);
  ASSERT_EQ(bytes.size(), kHardStateFileBytes);
  HardState out;
  ASSERT_TRUE(decode_hard_state(bytes, &out));
  EXPECT_EQ(out, hs);
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string bad = bytes;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(decode_hard_state(bad, &out)) << bit;
  }
  EXPECT_FALSE(decode_hard_state(bytes.substr(1), &out));
  EXPECT_FALSE(decode_hard_state(bytes + "x", &out));
}

}  // namespace
}  // namespace shoal
