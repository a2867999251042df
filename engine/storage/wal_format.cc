#include "engine/storage/wal_format.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "engine/core/checksum.h"
#include "engine/core/codec.h"

namespace shoal::wal {
namespace {

constexpr uint64_t kSegmentHeaderPayloadBytes = 8 + 4 + 8 + 8;
constexpr size_t kSegmentNameDigits = 20;
constexpr std::string_view kSegmentSuffix = ".log";

uint32_t load_u32(std::string_view buf, uint64_t at) {
  uint32_t v = 0;
  Reader(buf.substr(at, 4)).u32(&v);
  return v;
}

const char* describe(FrameParse p) {
  switch (p) {
    case FrameParse::kTruncated:
      return "frame cut short by the end of the file";
    case FrameParse::kBadHeader:
      return "frame header checksum mismatch";
    case FrameParse::kBadPayload:
      return "frame payload checksum mismatch";
    case FrameParse::kOk:
      break;
  }
  return "no damage";
}

// Writes one frame whose payload is `head` followed by `tail`, without
// first gluing them together (an entry's data is copied only once).
void append_frame_parts(std::string* out, FrameType type, std::string_view head,
                        std::string_view tail) {
  std::string header;
  Writer w(&header);
  w.u32(crc32c_extend(crc32c(head), tail));
  w.u32(static_cast<uint32_t>(head.size() + tail.size()));
  w.u8(static_cast<uint8_t>(type));
  Writer o(out);
  o.u32(crc32c(header));
  o.raw(header);
  o.raw(head);
  o.raw(tail);
}

}  // namespace

void append_frame(std::string* out, FrameType type, std::string_view payload) {
  append_frame_parts(out, type, payload, {});
}

void append_segment_header(std::string* out, const SegmentHeader& h) {
  std::string payload;
  Writer w(&payload);
  w.u64(kSegmentMagic);
  w.u32(kFormatVersion);
  w.u64(h.first_index);
  w.u64(h.prev_term);
  append_frame(out, FrameType::kSegmentHeader, payload);
}

void append_entry(std::string* out, const LogEntry& e) {
  std::string head;
  Writer w(&head);
  w.u64(e.index);
  w.u64(e.term);
  append_frame_parts(out, FrameType::kEntry, head, e.data);
}

FrameParse parse_frame(std::string_view buf, uint64_t offset, Frame* out) {
  if (offset > buf.size() || buf.size() - offset < kFrameHeaderBytes) return FrameParse::kTruncated;
  const uint32_t header_crc = load_u32(buf, offset);
  if (crc32c(buf.substr(offset + 4, kFrameHeaderBytes - 4)) != header_crc) {
    return FrameParse::kBadHeader;
  }
  const uint32_t payload_crc = load_u32(buf, offset + 4);
  const uint64_t payload_len = load_u32(buf, offset + 8);
  const auto type = static_cast<uint8_t>(buf[offset + 12]);
  // A checksum-valid header with an impossible length or type was never
  // written by this code: call it damage, not a frame.
  if (payload_len > kMaxFramePayloadBytes) return FrameParse::kBadHeader;
  if (type != static_cast<uint8_t>(FrameType::kSegmentHeader) &&
      type != static_cast<uint8_t>(FrameType::kEntry)) {
    return FrameParse::kBadHeader;
  }
  if (buf.size() - offset - kFrameHeaderBytes < payload_len) return FrameParse::kTruncated;
  const std::string_view payload = buf.substr(offset + kFrameHeaderBytes, payload_len);
  if (crc32c(payload) != payload_crc) return FrameParse::kBadPayload;
  out->type = static_cast<FrameType>(type);
  out->payload = payload;
  out->size = kFrameHeaderBytes + payload_len;
  return FrameParse::kOk;
}

bool valid_frame_after(std::string_view buf, uint64_t from) {
  Frame f;
  for (uint64_t at = from + 1; at + kFrameHeaderBytes <= buf.size(); ++at) {
    if (parse_frame(buf, at, &f) == FrameParse::kOk) return true;
  }
  return false;
}

bool decode_segment_header(std::string_view payload, SegmentHeader* out) {
  if (payload.size() != kSegmentHeaderPayloadBytes) return false;
  Reader r(payload);
  const uint64_t magic = r.u64();
  const uint32_t version = r.u32();
  out->first_index = r.u64();
  out->prev_term = r.u64();
  return r.finished_ok() && magic == kSegmentMagic && version == kFormatVersion;
}

bool decode_entry(std::string_view payload, LogEntry* out) {
  Reader r(payload);
  out->index = r.u64();
  out->term = r.u64();
  if (!r.ok()) return false;
  out->data.assign(payload.substr(r.position()));
  return true;
}

std::string segment_name(uint64_t first_index) {
  char digits[kSegmentNameDigits + 1];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(first_index));
  return absl::StrCat(std::string(digits), std::string(kSegmentSuffix));
}

bool parse_segment_name(std::string_view name, uint64_t* first_index) {
  if (name.size() != kSegmentNameDigits + kSegmentSuffix.size()) return false;
  if (name.substr(kSegmentNameDigits) != kSegmentSuffix) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < kSegmentNameDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *first_index = v;
  return true;
}

namespace {

// Checks one valid frame against what the segment must hold at this point.
// Returns an empty string when it fits, else why it does not.
std::string accept_frame(const Frame& f, uint64_t expected_first_index, SegmentScan& s) {
  if (!s.has_header) {
    if (f.type != FrameType::kSegmentHeader || !decode_segment_header(f.payload, &s.header)) {
      return "segment does not open with a valid segment header";
    }
    if (s.header.first_index != expected_first_index) {
      return absl::StrCat("segment header names first index ", s.header.first_index,
                          " but the file name says ", expected_first_index);
    }
    s.has_header = true;
    return "";
  }
  LogEntry e;
  if (f.type != FrameType::kEntry || !decode_entry(f.payload, &e)) {
    return "frame in the middle of a segment is not an entry";
  }
  const uint64_t want_index = s.header.first_index + s.entries.size();
  if (e.index != want_index) {
    return absl::StrCat("entry has index ", e.index, ", expected ", want_index);
  }
  const uint64_t prev_term = s.entries.empty() ? s.header.prev_term : s.entries.back().term;
  if (e.term < prev_term) {
    return absl::StrCat("entry ", e.index, " has term ", e.term, " below the term before it, ",
                        prev_term);
  }
  s.entries.push_back(std::move(e));
  return "";
}

}  // namespace

SegmentScan scan_segment(std::string_view bytes, uint64_t expected_first_index) {
  SegmentScan s;
  uint64_t offset = 0;
  while (offset < bytes.size()) {
    Frame f;
    const FrameParse p = parse_frame(bytes, offset, &f);
    if (p != FrameParse::kOk) {
      // A torn write leaves nothing valid behind it; anything valid after the
      // damage means bytes that once were good went bad.
      s.end =
          valid_frame_after(bytes, offset) ? SegmentScan::End::kCorrupt : SegmentScan::End::kTorn;
      s.damage_offset = offset;
      s.reason = describe(p);
      return s;
    }
    const size_t entries_before = s.entries.size();
    std::string wrong = accept_frame(f, expected_first_index, s);
    if (!wrong.empty()) {
      s.end = SegmentScan::End::kCorrupt;
      s.damage_offset = offset;
      s.reason = std::move(wrong);
      return s;
    }
    if (s.entries.size() > entries_before) s.entry_offsets.push_back(offset);
    offset += f.size;
    s.valid_bytes = offset;
  }
  if (!s.has_header) {
    s.end = SegmentScan::End::kTorn;
    s.damage_offset = 0;
    s.reason = "empty segment: its header never reached the disk";
  }
  return s;
}

}  // namespace shoal::wal
