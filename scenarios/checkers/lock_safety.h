// Lock safety: the promises of locks with fencing tokens (kv_command.h,
// lock_client.h), judged from what clients saw.
//
// The scenario records, per granted lease, the interval in which its client
// acted as the holder — from the moment the grant's answer arrived to the
// last moment the client, having checked its lease was still valid, began an
// action under it (or began its release) — and every write the client made
// under a fence, with its outcome; at the end it reads back, per resource,
// the log the fenced writes appended to (each entry names its token and a
// tag unique to its write). Times are true (simulated) time in ns.
//
//   lock-holders-disjoint        two leases of one resource with different
//                                tokens never have overlapping holder
//                                intervals, and a later holder's token is
//                                higher (tokens grow in the order the lock
//                                changed hands). A renewal keeps its token,
//                                so grants with equal tokens are one lease.
//   stale-token-writes-refused   a fenced write acknowledged ok was not sent
//                                after a grant with a higher token for its
//                                resource had been acknowledged (the store
//                                must have refused it: kFenced).
//   fenced-writes-in-token-order the final log of each resource lists tokens
//                                in non-decreasing order; it holds every
//                                write acknowledged ok exactly once, and no
//                                write refused (fenced or failed); every
//                                entry is some write of that token whose
//                                outcome was ok or unknown.
//
// A run that granted no lease or made no acknowledged fenced write judged
// nothing: the caller requires both counts above zero (every-kind-served).
// Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

struct LeaseRecord {
  size_t client = 0;
  std::string resource;
  uint64_t token = 0;
  int64_t acquired_ns = 0;    // the grant's answer arrived
  int64_t held_until_ns = 0;  // last act as holder; >= acquired_ns
};

enum class FencedOutcome : uint8_t { kOk, kFenced, kFail, kUnknown };
const char* to_string(FencedOutcome o);

struct FencedWriteRecord {
  size_t client = 0;
  std::string resource;
  uint64_t token = 0;
  std::string tag;  // unique per write: what it appended
  int64_t invoke_ns = 0, complete_ns = 0;
  FencedOutcome outcome = FencedOutcome::kUnknown;
};

// One entry of a resource's final log.
struct FencedLogEntry {
  uint64_t token = 0;
  std::string tag;
};

struct LockHistory {
  std::vector<LeaseRecord> leases;
  std::vector<FencedWriteRecord> writes;
  std::map<std::string, std::vector<FencedLogEntry>> final_logs;  // by resource, in log order
};

CheckResult check_lock_holders_disjoint(const LockHistory& h);
CheckResult check_stale_token_writes_refused(const LockHistory& h);
CheckResult check_fenced_writes_in_token_order(const LockHistory& h);
// All three, in that order.
std::vector<CheckResult> check_lock_safety(const LockHistory& h);

// "t12:c3-45;" entries as the scenario appends them, parsed back; malformed
// text is an error naming the offset (never a crash).
bool parse_fenced_log(const std::string& text, std::vector<FencedLogEntry>* out, std::string* error);
std::string fenced_log_entry(uint64_t token, const std::string& tag);

}  // namespace shoal::check
