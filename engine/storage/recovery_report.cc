#include "engine/storage/recovery_report.h"

#include "absl/strings/str_cat.h"

namespace shoal {

std::string RecoveryReport::summary() const {
  std::string s = absl::StrCat(segments, " segments, ", entries, " entries");
  for (const TornTail& t : torn_tails) {
    absl::StrAppend(&s, "; torn tail of ", t.file, " cut at ", t.offset, " (", t.bytes_dropped,
                    " bytes dropped)");
  }
  for (const std::string& f : removed_files) absl::StrAppend(&s, "; removed ", f);
  if (rereads > 0) absl::StrAppend(&s, "; ", rereads, " re-reads of a flaky medium");
  if (corruption) {
    absl::StrAppend(&s, "; CORRUPTION in ", corruption->file, " at offset ", corruption->offset,
                    ": ", corruption->reason);
  }
  return s;
}

absl::Status corruption_error(const Corruption& c) {
  return absl::DataLossError(
      absl::StrCat("corruption in ", c.file, " at offset ", c.offset, ": ", c.reason));
}

absl::StatusOr<std::string> read_stably(const ReadFn& read, const CleanFn& clean,
                                        const std::string& what, uint64_t* rereads) {
  std::optional<std::string> previous;
  for (int attempt = 0; attempt < kMaxReadAttempts; ++attempt) {
    if (attempt > 0) ++*rereads;
    absl::StatusOr<std::string> bytes = read();
    if (!bytes.ok()) return bytes.status();
    if (clean(*bytes)) return bytes;
    // Damage seen twice in the same place is in the stored bytes.
    if (previous && *previous == *bytes) return bytes;
    previous = std::move(*bytes);
  }
  return absl::UnavailableError(absl::StrCat("reads of ", what, " disagree ", kMaxReadAttempts,
                                             " times in a row: the medium is failing"));
}

}  // namespace shoal
