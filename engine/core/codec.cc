#include "engine/core/codec.h"

#include <cstring>

namespace shoal {

void Writer::u32(uint32_t v) {
  for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
}

void Writer::u64(uint64_t v) {
  for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
}

void Writer::varint(uint64_t v) {
  while (v >= 0x80) {
    u8(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  u8(static_cast<uint8_t>(v));
}

void Writer::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  u64(bits);
}

void Writer::bytes(std::string_view s) {
  varint(s.size());
  out_->append(s);
}

bool Reader::u8(uint8_t* v) {
  if (failed_ || pos_ >= in_.size()) return fail();
  *v = static_cast<uint8_t>(in_[pos_++]);
  return true;
}

bool Reader::u32(uint32_t* v) {
  if (failed_ || remaining() < 4) return fail();
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  pos_ += 4;
  *v = r;
  return true;
}

bool Reader::u64(uint64_t* v) {
  if (failed_ || remaining() < 8) return fail();
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  pos_ += 8;
  *v = r;
  return true;
}

bool Reader::i64(int64_t* v) {
  uint64_t u;
  if (!u64(&u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

bool Reader::varint(uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b;
    if (!u8(&b)) return false;
    if (shift == 63 && b > 1) return fail();
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return fail();
}

bool Reader::f64(double* v) {
  uint64_t bits;
  if (!u64(&bits)) return false;
  std::memcpy(v, &bits, sizeof bits);
  return true;
}

bool Reader::boolean(bool* v) {
  uint8_t b;
  if (!u8(&b)) return false;
  if (b > 1) return fail();
  *v = b == 1;
  return true;
}

bool Reader::bytes_view(std::string_view* s) {
  uint64_t n;
  if (!varint(&n)) return false;
  if (n > kMaxFieldBytes || n > remaining()) return fail();
  *s = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::bytes(std::string* s) {
  std::string_view v;
  if (!bytes_view(&v)) return false;
  s->assign(v);
  return true;
}

bool Reader::raw(size_t n, std::string_view* s) {
  if (failed_ || n > remaining()) return fail();
  *s = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

}  // namespace shoal
