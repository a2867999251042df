// The byte format of write-ahead-log segments, and the scanner that reads one
// back and says how it ends.
//
// A segment file "wal/<first index, 20 digits>.log" is a sequence of frames:
//
//   u32 header_crc   CRC32C of the next 9 bytes
//   u32 payload_crc  CRC32C of the payload
//   u32 payload_len
//   u8  type         kSegmentHeader (first frame only) or kEntry
//   payload
//
// The header has its own checksum so a scanner can test any offset cheaply
// for "a frame starts here" — that is how damage in the middle of a segment
// is told apart from a torn tail: a torn write leaves nothing valid after it.
// A zero-filled region never parses as a frame (the CRC of nine zero bytes is
// not zero).
//
// Payloads (integers little-endian):
//   kSegmentHeader: u64 magic, u32 version, u64 first_index, u64 prev_term
//                   (the term of entry first_index - 1, 0 when none)
//   kEntry:         u64 index, u64 term, data (the rest of the payload)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/storage/log_storage.h"

namespace shoal::wal {

enum class FrameType : uint8_t { kSegmentHeader = 1, kEntry = 2 };

inline constexpr uint64_t kFrameHeaderBytes = 13;
inline constexpr uint64_t kEntryOverheadBytes = kFrameHeaderBytes + 16;
// No valid frame is larger: an entry frame of the largest entry.
inline constexpr uint64_t kMaxFramePayloadBytes = kMaxEntryDataBytes + 16;
inline constexpr uint64_t kSegmentMagic = 0x4c41574c414f4853ULL;  // "SHOALWAL"
inline constexpr uint32_t kFormatVersion = 1;

struct SegmentHeader {
  uint64_t first_index = 0;
  uint64_t prev_term = 0;
};

void append_frame(std::string* out, FrameType type, std::string_view payload);
void append_segment_header(std::string* out, const SegmentHeader& h);
void append_entry(std::string* out, const LogEntry& e);

enum class FrameParse { kOk, kTruncated, kBadHeader, kBadPayload };
struct Frame {
  FrameType type = FrameType::kEntry;
  std::string_view payload;
  uint64_t size = 0;  // header and payload
};
// Parses the frame at `offset`. kTruncated: the buffer ends inside a frame
// whose header is valid, or inside the header itself.
FrameParse parse_frame(std::string_view buf, uint64_t offset, Frame* out);
// True when a whole, checksum-valid frame starts at some offset > from.
bool valid_frame_after(std::string_view buf, uint64_t from);

bool decode_segment_header(std::string_view payload, SegmentHeader* out);
bool decode_entry(std::string_view payload, LogEntry* out);

std::string segment_name(uint64_t first_index);
// Parses "00000000000000000042.log" (no directory). False for other names.
bool parse_segment_name(std::string_view name, uint64_t* first_index);

// What a segment's bytes hold and how they end.
struct SegmentScan {
  enum class End {
    kClean,    // every byte belongs to a valid frame
    kTorn,     // damage at the end with nothing valid after it
    kCorrupt,  // damage followed by valid frames, or a valid frame that makes no sense
  };
  End end = End::kClean;
  bool has_header = false;
  SegmentHeader header;
  std::vector<LogEntry> entries;
  std::vector<uint64_t> entry_offsets;  // where each entry's frame starts
  uint64_t valid_bytes = 0;             // end of the last good frame
  uint64_t damage_offset = 0;           // where the damage starts (kTorn, kCorrupt)
  std::string reason;
};

// Scans a whole segment. Checks that it opens with a header naming
// `expected_first_index`, and that entries are consecutive from there with
// terms non-decreasing from the header's prev_term.
SegmentScan scan_segment(std::string_view bytes, uint64_t expected_first_index);

}  // namespace shoal::wal
