#include "engine/core/checksum.h"

#include <boost/crc.hpp>

namespace shoal {

using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

uint32_t crc32c(std::string_view data) { return crc32c_extend(0, data); }

static uint32_t reflect32(uint32_t x) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i, x >>= 1) r = (r << 1) | (x & 1);
  return r;
}

uint32_t crc32c_extend(uint32_t crc, std::string_view data) {
  // To continue a CRC, undo the final xor; Boost takes the initial remainder
  // unreflected, while a reflected CRC's register holds it reflected.
  Crc32c c(reflect32(crc ^ 0xFFFFFFFF));
  c.process_bytes(data.data(), data.size());
  return c.checksum();
}

}  // namespace shoal
