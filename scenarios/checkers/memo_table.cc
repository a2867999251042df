#include "scenarios/checkers/memo_table.h"

#include <cstring>

namespace shoal::check::internal {

MemoTable::MemoTable(size_t words) : words_(words), slots_(kMemoInitialSlots, 0), mask_(kMemoInitialSlots - 1) {}

bool MemoTable::equal(uint32_t entry, const uint64_t* bits, uint32_t state, uint64_t hash) const {
  return hashes_[entry] == hash && states_[entry] == state &&
         std::memcmp(&bits_[size_t(entry) * words_], bits, words_ * sizeof(uint64_t)) == 0;
}

bool MemoTable::insert(const uint64_t* bits, uint32_t state, uint64_t hash) {
  size_t slot = hash & mask_;
  while (slots_[slot] != 0) {
    if (equal(slots_[slot] - 1, bits, state, hash)) return false;
    slot = (slot + 1) & mask_;
  }
  const uint32_t entry = uint32_t(states_.size());
  slots_[slot] = entry + 1;
  bits_.insert(bits_.end(), bits, bits + words_);
  states_.push_back(state);
  hashes_.push_back(hash);
  if (states_.size() * kMemoLoadDen > slots_.size() * kMemoLoadNum) grow();
  return true;
}

void MemoTable::grow() {
  slots_.assign(slots_.size() * 2, 0);
  mask_ = slots_.size() - 1;
  for (uint32_t entry = 0; entry < states_.size(); ++entry) {
    size_t slot = hashes_[entry] & mask_;
    while (slots_[slot] != 0) slot = (slot + 1) & mask_;
    slots_[slot] = entry + 1;
  }
}

uint64_t MemoTable::bytes() const {
  return bits_.capacity() * sizeof(uint64_t) + states_.capacity() * sizeof(uint32_t) +
         hashes_.capacity() * sizeof(uint64_t) + slots_.capacity() * sizeof(uint32_t);
}

}  // namespace shoal::check::internal
