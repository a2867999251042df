// CRC32C (Castagnoli), the checksum on every WAL record, snapshot chunk and
// wire frame. Implemented with Boost.CRC's table-driven generator.
#pragma once

#include <cstdint>
#include <string_view>

namespace shoal {

uint32_t crc32c(std::string_view data);
uint32_t crc32c_extend(uint32_t crc, std::string_view data);

}  // namespace shoal
