// `lock-reads-agree`: what lock status and active-locks reads answered
// agrees with the lock table the committed log implies, at the index each
// read was served at (its Result::index: the replica's applied index).
//
// `changes` are the lock table's transitions in log order, as the first
// application of each committed entry left them: at `index`, `resource`
// became held under `token` (a grant: a new token; a renewal keeps it) or
// free (token 0: a release, a force-release or the leader's expiry). A read
// served at index I is judged against the table after every change with
// index <= I:
//   status-disagrees   a status read of one resource named another token,
//                      or free when held, or held when free
//   active-disagrees   an active-locks listing (the whole table: reads
//                      start from the first resource and the run holds
//                      fewer locks than one page) missed a held lock,
//                      listed a free one, or named another token
// Changes whose indexes go back are "bad-history". Reads are judged at the
// point they claim to reflect, not their real time: whether that point was
// fresh enough is the read levels' checkers' concern. The message counts
// the reads judged, so a caller can require some were. Pure; O((changes +
// reads) log changes + listed locks).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

struct LockChange {
  uint64_t index = 0;
  std::string resource;
  uint64_t token = 0;  // 0: the lock became free
};

struct LockRead {
  size_t client = 0;
  bool active = false;      // an active-locks listing, else one resource's status
  std::string resource;     // status: the resource asked
  uint64_t served_index = 0;
  std::map<std::string, uint64_t> held;  // what it answered: resource -> token (status: at most the one)
};

CheckResult check_lock_reads(const std::vector<LockChange>& changes, const std::vector<LockRead>& reads);

}  // namespace shoal::check
