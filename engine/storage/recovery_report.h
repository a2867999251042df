// What opening a storage found and repaired, and the error that stops it.
//
// Recovery repairs exactly one kind of damage on its own: a torn tail — the
// end of the newest log segment (or a temporary file) that a crash cut short
// before it was synced, so no completion ever vouched for it. Everything else
// that fails a checksum or makes no sense is corruption of bytes that may
// have been acknowledged: recovery names the file and byte offset and the
// open fails with DataLoss. The node must not serve from such a storage;
// repairing it (from peers) is a separate, explicit step.
//
// A medium may also return flipped bits on read without the stored bytes being
// bad. Recovery therefore re-reads a file whose bytes look damaged and acts
// only on damage two consecutive reads agree on (see read_stably).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace shoal {

// How many times a file that looks damaged is read before recovery gives up
// on getting two reads that agree.
inline constexpr int kMaxReadAttempts = 4;

struct TornTail {
  std::string file;
  uint64_t offset = 0;         // the file now ends here
  uint64_t bytes_dropped = 0;  // bytes cut off (a whole file when offset is 0 and it was removed)
};

struct Corruption {
  std::string file;
  uint64_t offset = 0;  // first damaged byte range: the frame or chunk that starts here
  std::string reason;
};

struct RecoveryReport {
  std::vector<TornTail> torn_tails;
  std::vector<std::string> removed_files;  // temporaries of unfinished writes
  std::optional<Corruption> corruption;
  uint64_t segments = 0;  // log segments in use after recovery
  uint64_t entries = 0;   // log entries recovered
  uint64_t rereads = 0;   // extra reads because reads disagreed (a flaky medium)

  // One line for the operator's log.
  std::string summary() const;
};

// DataLoss naming the file and offset; the status every open returns on corruption.
absl::Status corruption_error(const Corruption& c);

using ReadFn = std::function<absl::StatusOr<std::string>()>;
using CleanFn = std::function<bool(std::string_view)>;

// Reads with `read` until one read passes `clean`, or two consecutive reads
// return the same bytes (the damage is really stored, not a read error).
// Unavailable when kMaxReadAttempts reads all differ; `what` names the file.
// PROMISES: *rereads grows by the number of reads after the first.
absl::StatusOr<std::string> read_stably(const ReadFn& read, const CleanFn& clean,
                                        const std::string& what, uint64_t* rereads);

}  // namespace shoal
