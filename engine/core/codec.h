// Byte encoding for messages, log records and snapshots.
//
// Writer appends little-endian fixed-width integers, LEB128 varints and
// length-prefixed strings to a std::string. Reader consumes the same and never
// reads past the end: every getter returns false on truncated or malformed
// input and the reader stays failed, so a decoder checks ok() once at the end.
// Bad bytes from a disk or a socket are an error, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shoal {

// Upper bound on one length-prefixed field; anything larger is malformed.
inline constexpr uint64_t kMaxFieldBytes = 64u << 20;

class Writer {
 public:
  Writer() = default;
  explicit Writer(std::string* out) : out_(out) {}
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void u8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void varint(uint64_t v);
  void f64(double v);
  void boolean(bool v) { u8(v ? 1 : 0); }
  void bytes(std::string_view s);  // varint length + bytes
  void raw(std::string_view s) { out_->append(s); }

  std::string& buffer() { return *out_; }
  std::string take() { return std::move(*out_); }

 private:
  std::string own_;
  std::string* out_ = &own_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  // A Reader only views its input: reading a temporary string would dangle.
  explicit Reader(std::string&&) = delete;

  bool u8(uint8_t* v);
  bool u32(uint32_t* v);
  bool u64(uint64_t* v);
  bool i64(int64_t* v);
  bool varint(uint64_t* v);
  bool f64(double* v);
  bool boolean(bool* v);
  bool bytes(std::string* s);
  bool bytes_view(std::string_view* s);
  bool raw(size_t n, std::string_view* s);

  // Convenience for decoders: value or 0 / empty, sets failed on error.
  uint8_t u8() { uint8_t v = 0; u8(&v); return v; }
  uint32_t u32() { uint32_t v = 0; u32(&v); return v; }
  uint64_t u64() { uint64_t v = 0; u64(&v); return v; }
  int64_t i64() { int64_t v = 0; i64(&v); return v; }
  uint64_t varint() { uint64_t v = 0; varint(&v); return v; }
  double f64() { double v = 0; f64(&v); return v; }
  bool boolean() { bool v = false; boolean(&v); return v; }
  std::string bytes() { std::string s; bytes(&s); return s; }

  bool ok() const { return !failed_; }
  bool done() const { return pos_ == in_.size(); }
  // True when every byte was consumed and nothing failed.
  bool finished_ok() const { return ok() && done(); }
  size_t position() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  bool fail() { failed_ = true; return false; }
  std::string_view in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace shoal
