// Internal to the linearizability checker: the set of search states already
// explored, (bitset of linearized operations, model state).
//
// An open-addressing hash set specialised for fixed-width bitsets: the bits of
// every entry live in one flat pool and the caller supplies the hash (the
// search keeps a Zobrist hash of the bitset up to date incrementally, so no
// bitset is ever rehashed from scratch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace shoal::check::internal {

class MemoTable {
 public:
  // `words`: 64-bit words per bitset.
  explicit MemoTable(size_t words);

  // Adds (bits, state) unless present. Returns true when it was added.
  bool insert(const uint64_t* bits, uint32_t state, uint64_t hash);
  size_t size() const { return states_.size(); }
  uint64_t bytes() const;

 private:
  bool equal(uint32_t entry, const uint64_t* bits, uint32_t state, uint64_t hash) const;
  void grow();

  size_t words_;
  std::vector<uint64_t> bits_;    // entry i: bits_[i * words_ ... (i + 1) * words_)
  std::vector<uint32_t> states_;  // entry i's model state
  std::vector<uint64_t> hashes_;  // entry i's hash
  std::vector<uint32_t> slots_;   // 0 = empty, else entry index + 1
  size_t mask_ = 0;
};

// The table doubles when it is this full (as a fraction num/den), which keeps
// linear probing short.
inline constexpr size_t kMemoLoadNum = 1;
inline constexpr size_t kMemoLoadDen = 2;
inline constexpr size_t kMemoInitialSlots = 1024;

}  // namespace shoal::check::internal
