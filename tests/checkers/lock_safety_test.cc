// lock_safety's three checks on a good history and on hand-built bad ones
// (one per way each can fail), renewals merging into one lease, and the
// fenced-log text format: a round trip, and malformed text refused with one
// line of error — never a crash, whatever the bytes.
#include "scenarios/checkers/lock_safety.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace shoal::check {
namespace {

constexpr int64_t kMs = 1'000'000;

LeaseRecord lease(size_t client, const std::string& resource, uint64_t token, int64_t from_ms, int64_t until_ms) {
  return LeaseRecord{client, resource, token, from_ms * kMs, until_ms * kMs};
}

FencedWriteRecord write_record(size_t client, const std::string& resource, uint64_t token, const std::string& tag,
                               int64_t invoke_ms, FencedOutcome outcome) {
  return FencedWriteRecord{client, resource, token, tag, invoke_ms * kMs, invoke_ms * kMs + kMs, outcome};
}

// Two holders of "r" one after the other (the first renewed once, by
// acquiring again: the same token), one of "s" at the same time as the first;
// writes acknowledged ok, refused, and of unknown outcome, and the logs they
// left.
LockHistory good_history() {
  LockHistory h;
  h.leases = {
      lease(1, "r", 5, 10, 20),
      lease(1, "r", 5, 25, 40),  // a renewal
      lease(2, "r", 9, 50, 60),
      lease(3, "s", 7, 15, 30),
  };
  h.writes = {
      write_record(1, "r", 5, "c1-1", 12, FencedOutcome::kOk),
      write_record(1, "r", 5, "c1-2", 30, FencedOutcome::kOk),      // under the renewal
      write_record(2, "r", 9, "c2-1", 55, FencedOutcome::kOk),
      write_record(1, "r", 5, "c1-3", 70, FencedOutcome::kFenced),  // paused past its lease: refused
      write_record(1, "r", 5, "c1-4", 45, FencedOutcome::kFail),
      write_record(2, "r", 9, "c2-2", 58, FencedOutcome::kUnknown),  // it landed
      write_record(2, "r", 9, "c2-3", 59, FencedOutcome::kUnknown),  // it did not
      write_record(3, "s", 7, "c3-1", 20, FencedOutcome::kOk),
  };
  h.final_logs = {
      {"r", {{5, "c1-1"}, {5, "c1-2"}, {9, "c2-1"}, {9, "c2-2"}}},
      {"s", {{7, "c3-1"}}},
  };
  return h;
}

bool mentions(const CheckResult& r, const std::string& fragment) {
  return std::any_of(r.violations.begin(), r.violations.end(),
                     [&](const Violation& v) { return v.what.find(fragment) != std::string::npos; });
}

// `r` failed with `count` violations, the first of which says `fragment`,
// each one line.
void expect_failed(const CheckResult& r, size_t count, const std::string& fragment) {
  EXPECT_FALSE(r.ok) << r.message;
  EXPECT_EQ(r.violation_count, count) << r.message;
  EXPECT_TRUE(mentions(r, fragment)) << "no violation says \"" << fragment << "\": " << r.message;
  for (const Violation& v : r.violations) EXPECT_EQ(v.what.find('\n'), std::string::npos) << v.what;
  EXPECT_EQ(r.message.find('\n'), std::string::npos) << r.message;
}

TEST(LockSafety, AGoodHistoryPassesAllThreeChecks) {
  const std::vector<CheckResult> results = check_lock_safety(good_history());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].name, "lock-holders-disjoint");
  EXPECT_EQ(results[1].name, "stale-token-writes-refused");
  EXPECT_EQ(results[2].name, "fenced-writes-in-token-order");
  for (const CheckResult& r : results) EXPECT_TRUE(r.ok) << r.message;
  // The renewal merged: three leases, not four.
  EXPECT_EQ(results[0].message, "lock-holders-disjoint: ok (3 leases)");
  EXPECT_EQ(results[1].message, "stale-token-writes-refused: ok (4 acknowledged fenced writes)");
  EXPECT_EQ(results[2].message, "fenced-writes-in-token-order: ok (5 log entries)");
}

TEST(LockSafety, AnEmptyHistorySaysItJudgedNothing) {
  const std::vector<CheckResult> results = check_lock_safety(LockHistory{});
  for (const CheckResult& r : results) {
    EXPECT_TRUE(r.ok);
    EXPECT_NE(r.message.find("(0 "), std::string::npos) << r.message;
  }
}

// ---- lock-holders-disjoint --------------------------------------------------------

TEST(LockSafety, RenewalsWithTheSameTokenAreOneLeaseNotAnOverlap) {
  LockHistory h;
  h.leases = {lease(1, "r", 5, 10, 30), lease(1, "r", 5, 20, 40), lease(1, "r", 5, 35, 50)};
  const CheckResult r = check_lock_holders_disjoint(h);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "lock-holders-disjoint: ok (1 leases)");
}

TEST(LockSafety, OverlappingHoldersFail) {
  LockHistory h;
  h.leases = {lease(1, "r", 5, 10, 30), lease(2, "r", 9, 25, 40)};
  const CheckResult r = check_lock_holders_disjoint(h);
  expect_failed(r, 1, "client 2 held token 9 from 25ms while client 1 still held token 5 (until 30ms)");
}

TEST(LockSafety, AMergedRenewalReachesAsFarAsItsLastGrant) {
  LockHistory h;
  // Token 5's first grant ends before token 9 begins, but its renewal does not.
  h.leases = {lease(1, "r", 5, 10, 20), lease(1, "r", 5, 25, 40), lease(2, "r", 9, 30, 50)};
  expect_failed(check_lock_holders_disjoint(h), 1, "still held token 5 (until 40ms)");
}

TEST(LockSafety, HoldersMayFollowEachOtherClosely) {
  LockHistory h;
  h.leases = {LeaseRecord{1, "r", 5, 10, 20}, LeaseRecord{2, "r", 9, 21, 30}};  // one ns apart
  EXPECT_TRUE(check_lock_holders_disjoint(h).ok);
  h.leases[1].acquired_ns = 20;  // the same ns: both acted as holder at once
  EXPECT_FALSE(check_lock_holders_disjoint(h).ok);
}

TEST(LockSafety, HoldersOfDifferentResourcesMayOverlap) {
  LockHistory h;
  h.leases = {lease(1, "r", 5, 10, 30), lease(2, "s", 5, 10, 30), lease(3, "t", 9, 0, 100)};
  const CheckResult r = check_lock_holders_disjoint(h);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(LockSafety, ALaterHolderWithALowerTokenFails) {
  LockHistory h;
  h.leases = {lease(1, "r", 9, 10, 20), lease(2, "r", 5, 30, 40)};
  expect_failed(check_lock_holders_disjoint(h), 1, "token 5 (client 2, from 30ms) was held after token 9");
}

TEST(LockSafety, ViolationsAreCountedBeyondTheOnesKept) {
  LockHistory h;
  const size_t holders = kViolationsKeptMax + 50;
  // Every lease from 0 to 1000 ms: each after the first overlaps the ones before.
  for (size_t i = 0; i < holders; ++i) h.leases.push_back(lease(i, "r", i + 1, 0, 1000));
  const CheckResult r = check_lock_holders_disjoint(h);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.violation_count, holders - 1);
  EXPECT_EQ(r.violations.size(), kViolationsKeptMax);
}

// ---- stale-token-writes-refused -------------------------------------------------------

TEST(LockSafety, AnOkWriteSentAfterANewerGrantWasAcknowledgedFails) {
  LockHistory h = good_history();
  h.writes.push_back(write_record(1, "r", 5, "late", 51, FencedOutcome::kOk));
  h.final_logs["r"].push_back({5, "late"});  // keep the log check out of it
  expect_failed(check_stale_token_writes_refused(h), 1,
                "client 1's write late with token 5 was sent at 51ms and acknowledged ok, but token 9 had been "
                "granted at 50ms");
}

TEST(LockSafety, AStaleWriteIsFineWhenRefusedOrSentBeforeTheNewerGrant) {
  LockHistory h = good_history();
  h.writes.push_back(write_record(1, "r", 5, "refused", 51, FencedOutcome::kFenced));
  h.writes.push_back(write_record(1, "r", 5, "unknown", 51, FencedOutcome::kUnknown));
  h.writes.push_back(write_record(1, "r", 5, "early", 49, FencedOutcome::kOk));  // in flight when 9 was granted
  h.writes.push_back(write_record(1, "q", 5, "no-lease", 49, FencedOutcome::kOk));  // a resource no grant names
  const CheckResult r = check_stale_token_writes_refused(h);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.message, "stale-token-writes-refused: ok (6 acknowledged fenced writes)");
}

TEST(LockSafety, ARenewalIsNoNewerGrant) {
  LockHistory h;
  h.leases = {lease(1, "r", 5, 10, 20), lease(1, "r", 5, 25, 40)};
  h.writes = {write_record(1, "r", 5, "w", 30, FencedOutcome::kOk)};
  EXPECT_TRUE(check_stale_token_writes_refused(h).ok);
}

// ---- fenced-writes-in-token-order -------------------------------------------------------

TEST(LockSafety, AFinalLogWhoseTokensDecreaseFails) {
  LockHistory h = good_history();
  std::swap(h.final_logs["r"][1], h.final_logs["r"][2]);  // c2-1 (token 9) before c1-2 (token 5)
  expect_failed(check_fenced_writes_in_token_order(h), 1,
                "write c1-2 with token 5 landed after a write with token 9");
}

TEST(LockSafety, AnAcknowledgedWriteMissingFromTheLogFails) {
  LockHistory h = good_history();
  h.final_logs["r"].erase(h.final_logs["r"].begin() + 2);  // c2-1
  expect_failed(check_fenced_writes_in_token_order(h), 1,
                "write c2-1 with token 9 was acknowledged ok but is not in the log");
  h.final_logs.erase("s");
  EXPECT_EQ(check_fenced_writes_in_token_order(h).violation_count, 2u) << "a whole log missing";
}

TEST(LockSafety, AFencedOrFailedWriteInTheLogFails) {
  LockHistory fenced = good_history();
  fenced.final_logs["r"].push_back({5, "c1-3"});
  expect_failed(check_fenced_writes_in_token_order(fenced), 2, "write c1-3 was answered fenced but is in the log");
  EXPECT_TRUE(mentions(check_fenced_writes_in_token_order(fenced), "with token 5 landed after a write with token 9"))
      << "it is also out of token order";

  LockHistory failed = good_history();
  failed.final_logs["r"].insert(failed.final_logs["r"].begin() + 2, {5, "c1-4"});
  expect_failed(check_fenced_writes_in_token_order(failed), 1, "write c1-4 was answered fail but is in the log");
}

TEST(LockSafety, AnEntryOfNoKnownWriteFails) {
  LockHistory ghost = good_history();
  ghost.final_logs["r"].push_back({9, "ghost"});
  expect_failed(check_fenced_writes_in_token_order(ghost), 1,
                "entry ghost (token 9) is no write made under that token");

  LockHistory wrong_token = good_history();
  wrong_token.final_logs["r"][3].token = 10;  // c2-2 was made under token 9
  expect_failed(check_fenced_writes_in_token_order(wrong_token), 1, "entry c2-2 (token 10) is no write");

  LockHistory wrong_resource = good_history();
  wrong_resource.final_logs["s"].push_back({9, "c2-2"});  // a write of "r" in the log of "s"
  const CheckResult r = check_fenced_writes_in_token_order(wrong_resource);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(mentions(r, "lock s: entry c2-2 (token 9) is no write made under that token")) << r.message;
}

TEST(LockSafety, AnEntryTwiceFails) {
  LockHistory h = good_history();
  h.final_logs["r"].insert(h.final_logs["r"].begin() + 1, {5, "c1-1"});
  expect_failed(check_fenced_writes_in_token_order(h), 1, "write c1-1 is in the log twice");
  LockHistory unknown_twice = good_history();
  unknown_twice.final_logs["r"].push_back({9, "c2-2"});  // an unknown outcome may land, but once
  expect_failed(check_fenced_writes_in_token_order(unknown_twice), 1, "write c2-2 is in the log twice");
}

// ---- The fenced-log text ------------------------------------------------------------

std::string encode_log(const std::vector<FencedLogEntry>& entries) {
  std::string text;
  for (const FencedLogEntry& e : entries) text += fenced_log_entry(e.token, e.tag);
  return text;
}

void expect_same_entries(const std::vector<FencedLogEntry>& a, const std::vector<FencedLogEntry>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].token, b[i].token) << i;
    EXPECT_EQ(a[i].tag, b[i].tag) << i;
  }
}

TEST(FencedLog, EntriesRoundTripThroughTheText) {
  const std::vector<FencedLogEntry> entries = {{5, "c1-1"}, {0, "x"}, {UINT64_MAX, "c3-45"}, {9, "tag:with:colons"}};
  EXPECT_EQ(fenced_log_entry(12, "c3-45"), "t12:c3-45;");
  std::vector<FencedLogEntry> back;
  std::string error;
  ASSERT_TRUE(parse_fenced_log(encode_log(entries), &back, &error)) << error;
  expect_same_entries(back, entries);
  back.clear();
  EXPECT_TRUE(parse_fenced_log("", &back, &error));
  EXPECT_TRUE(back.empty());
}

TEST(FencedLog, MalformedTextIsOneLineOfError) {
  const std::vector<std::pair<std::string, std::string>> malformed = {
      {"x5:a;", "malformed fenced-log entry at offset 0"},
      {"t:a;", "malformed fenced-log entry at offset 0"},      // no token
      {"t5:;", "malformed fenced-log entry at offset 0"},      // no tag
      {"t5:a", "malformed fenced-log entry at offset 0"},      // no end
      {"t5a;", "malformed fenced-log entry at offset 0"},      // no colon
      {"t5;a:", "malformed fenced-log entry at offset 0"},     // the colon after the end
      {"t5x:a;", "malformed token at offset 2"},
      {"t-5:a;", "malformed token at offset 1"},
      {"t1:a;tx:b;", "malformed token at offset 6"},
      {"t1:a;q", "malformed fenced-log entry at offset 5"},
      {"t1:a;;", "malformed fenced-log entry at offset 5"},
      {"t" + std::string(21, '1') + ":a;", "malformed fenced-log entry at offset 0"},  // a token too long
      {std::string("t1:a;\0", 6), "malformed fenced-log entry at offset 5"},
  };
  for (const auto& [text, expected] : malformed) {
    std::vector<FencedLogEntry> out;
    std::string error;
    EXPECT_FALSE(parse_fenced_log(text, &out, &error)) << text;
    EXPECT_EQ(error, expected) << text;
  }
}

RC_GTEST_PROP(FencedLogProperty, AnyTextGivesEntriesOrOneLineOfError, (const std::string& text)) {
  std::vector<FencedLogEntry> out;
  std::string error;
  if (!parse_fenced_log(text, &out, &error)) {
    RC_ASSERT(!error.empty());
    RC_ASSERT(error.find('\n') == std::string::npos);
    return;
  }
  // Each entry ends at the first ';' after its start, so the entries are the
  // ';'s, and no tag holds one.
  RC_ASSERT(out.size() == static_cast<size_t>(std::count(text.begin(), text.end(), ';')));
  for (const FencedLogEntry& e : out) {
    RC_ASSERT(!e.tag.empty());
    RC_ASSERT(e.tag.find(';') == std::string::npos);
  }
}

RC_GTEST_PROP(FencedLogProperty, AnyTextOfLogLikeBytesGivesEntriesOrOneLineOfError, ()) {
  // Random text over the format's own alphabet reaches far deeper than
  // arbitrary bytes do.
  const std::string text = *rc::gen::container<std::string>(rc::gen::element('t', ':', ';', '1', '9', 'c', '-'));
  std::vector<FencedLogEntry> out;
  std::string error;
  if (!parse_fenced_log(text, &out, &error)) {
    RC_ASSERT(!error.empty());
    RC_ASSERT(error.find('\n') == std::string::npos);
  } else {
    RC_ASSERT(out.size() == static_cast<size_t>(std::count(text.begin(), text.end(), ';')));
  }
}

RC_GTEST_PROP(FencedLogProperty, AnyEntriesRoundTrip, ()) {
  const auto tag_char = rc::gen::suchThat(rc::gen::arbitrary<char>(), [](char c) { return c != ';'; });
  const size_t count = *rc::gen::inRange<size_t>(0, 8);
  std::vector<FencedLogEntry> entries;
  for (size_t i = 0; i < count; ++i) {
    const std::string tag = *rc::gen::nonEmpty(rc::gen::container<std::string>(tag_char));
    entries.push_back({*rc::gen::arbitrary<uint64_t>(), tag});
  }
  std::vector<FencedLogEntry> back;
  std::string error;
  RC_ASSERT(parse_fenced_log(encode_log(entries), &back, &error));
  RC_ASSERT(back.size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    RC_ASSERT(back[i].token == entries[i].token);
    RC_ASSERT(back[i].tag == entries[i].tag);
  }
}

}  // namespace
}  // namespace shoal::check
