// The collection shard's byte formats: every command, query and result
// round-trips; truncated, trailing, unknown, oversized and non-canonical bytes
// are refused; random bytes never crash a decoder.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "engine/shard/collection_command.h"
#include "tests/shard/collection_test_util.h"

namespace shoal::shard {
namespace {

std::vector<CollectionCommand> sample_commands() {
  return {
      UpsertDocuments{R"([{"_id": "a", "color": "red"}])"},
      UpsertDocuments{""},
      DeleteDocuments{{"a", "b", std::string(kMaxDocumentIdBytes, 'x')}},
      DeleteDocuments{{}},
      OpenPointInTime{},
      ClosePointInTime{0},
      ClosePointInTime{UINT64_MAX},
  };
}

std::vector<CollectionQuery> sample_queries() {
  return {
      SearchQuery{R"({"size": 3})", std::nullopt, 0},
      SearchQuery{"{}", 17, UINT64_MAX},
      GetQuery{"doc-1", std::nullopt, 5},
      GetQuery{"d", 0, 0},
      StatsQuery{9},
      ListIdsQuery{"", 1, 0},
      ListIdsQuery{"m", kMaxListIdsLimit, 3},
  };
}

std::vector<CommandResult> sample_results() {
  return {
      CommandResult{CollectionCode::kOk, 7, 7, 3, 0, ""},
      CommandResult{CollectionCode::kBadRequest, 8, 0, 0, 0, "document \"x\": bad"},
      CommandResult{CollectionCode::kTooManyPointsInTime, UINT64_MAX, 2, 0, 0, std::string(kMaxResultMessageBytes, 'm')},
  };
}

std::vector<QueryResult> sample_query_results() {
  ShardStats stats{4, 3, 2, 9, 1, 1, 0, true};
  return {
      QueryResult{CollectionCode::kOk, 10, 9, "", SearchAnswer{"\x01\x02"}},
      QueryResult{CollectionCode::kOk, 10, 9, "", GetAnswer{R"({"_id":"a"})"}},
      QueryResult{CollectionCode::kOk, 10, 9, "", StatsAnswer{stats}},
      QueryResult{CollectionCode::kOk, 10, 9, "", IdsAnswer{{{"a", 3}, {"b", 9}}, true}},
      QueryResult{CollectionCode::kOk, 10, 9, "", IdsAnswer{{}, false}},
      QueryResult{CollectionCode::kBehind, 4, 0, "applied index 4 is below the requested 6", {}},
      QueryResult{CollectionCode::kNotFound, 4, 4, "", {}},
  };
}

// Every strict prefix of a valid encoding is refused.
template <typename Decode>
void expect_prefixes_refused(const std::string& bytes, Decode decode) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode(std::string_view(bytes).substr(0, n)).ok()) << "prefix of " << n << " bytes";
  }
  EXPECT_FALSE(decode(bytes + '\0').ok()) << "a trailing byte";
}

TEST(CollectionCommand, CommandsRoundTripAndRefuseTruncation) {
  for (const CollectionCommand& c : sample_commands()) {
    const std::string bytes = encode_command(c);
    auto back = decode_command(bytes);
    ASSERT_TRUE(back.ok()) << back.status() << " for " << describe(c);
    EXPECT_EQ(*back, c);
    expect_prefixes_refused(bytes, [](std::string_view b) { return decode_command(b); });
    EXPECT_FALSE(describe(c).empty());
  }
}

TEST(CollectionCommand, QueriesRoundTripAndRefuseTruncation) {
  for (const CollectionQuery& q : sample_queries()) {
    const std::string bytes = encode_query(q);
    auto back = decode_query(bytes);
    ASSERT_TRUE(back.ok()) << back.status() << " for " << describe(q);
    EXPECT_EQ(*back, q);
    expect_prefixes_refused(bytes, [](std::string_view b) { return decode_query(b); });
  }
}

TEST(CollectionCommand, ResultsRoundTripAndRefuseTruncation) {
  for (const CommandResult& r : sample_results()) {
    const std::string bytes = encode_result(r);
    auto back = decode_result(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, r);
    expect_prefixes_refused(bytes, [](std::string_view b) { return decode_result(b); });
  }
  for (const QueryResult& r : sample_query_results()) {
    const std::string bytes = encode_query_result(r);
    auto back = decode_query_result(bytes);
    ASSERT_TRUE(back.ok()) << back.status() << " for " << describe(r);
    EXPECT_EQ(*back, r);
    expect_prefixes_refused(bytes, [](std::string_view b) { return decode_query_result(b); });
  }
}

TEST(CollectionCommand, KindsAreNotConfused) {
  // Each decoder refuses the other kinds' bytes at the first byte.
  const std::string command = encode_command(OpenPointInTime{});
  const std::string query = encode_query(StatsQuery{});
  const std::string result = encode_result(CommandResult{});
  const std::string answer = encode_query_result(sample_query_results()[0]);
  for (const std::string& b : {query, result, answer}) EXPECT_FALSE(decode_command(b).ok());
  for (const std::string& b : {command, result, answer}) EXPECT_FALSE(decode_query(b).ok());
  for (const std::string& b : {command, query, answer}) EXPECT_FALSE(decode_result(b).ok());
  for (const std::string& b : {command, query, result}) EXPECT_FALSE(decode_query_result(b).ok());
}

TEST(CollectionCommand, UnknownKindsAndCodesAreRefused) {
  std::string command = encode_command(OpenPointInTime{});
  command[1] = 9;
  EXPECT_FALSE(decode_command(command).ok());
  std::string query = encode_query(StatsQuery{});
  query[1] = 0;
  EXPECT_FALSE(decode_query(query).ok());
  std::string result = encode_result(CommandResult{});
  result[1] = kMaxCollectionCode + 1;
  EXPECT_FALSE(decode_result(result).ok());
  std::string answer = encode_query_result(QueryResult{CollectionCode::kBehind, 1, 0, "", {}});
  answer[1] = kMaxCollectionCode + 1;
  EXPECT_FALSE(decode_query_result(answer).ok());
}

TEST(CollectionCommand, AnswerMustMatchCode) {
  // kOk without an answer, or an error with one, is not something a machine says.
  EXPECT_FALSE(decode_query_result(encode_query_result(QueryResult{CollectionCode::kOk, 1, 1, "", {}})).ok());
  EXPECT_FALSE(
      decode_query_result(encode_query_result(QueryResult{CollectionCode::kNotFound, 1, 1, "", GetAnswer{"{}"}}))
          .ok());
}

TEST(CollectionCommand, NonCanonicalBytesAreRefused) {
  // ClosePointInTime{5} with an overlong varint (0x85 0x00 means 5 too).
  std::string bytes = encode_command(ClosePointInTime{5});
  ASSERT_EQ(bytes.back(), '\x05');
  bytes.back() = '\x85';
  bytes.push_back('\0');
  EXPECT_FALSE(decode_command(bytes).ok());
  // A boolean byte other than 0 or 1.
  std::string get = encode_query(GetQuery{"a", 3, 0});
  get[4] = 2;  // tag, kind, len, 'a', has_revision
  EXPECT_FALSE(decode_query(get).ok());
}

TEST(CollectionCommand, BoundsAreEnforced) {
  EXPECT_FALSE(check_command(DeleteDocuments{{""}}).ok());
  EXPECT_FALSE(check_command(DeleteDocuments{{std::string(kMaxDocumentIdBytes + 1, 'x')}}).ok());
  EXPECT_FALSE(check_command(DeleteDocuments{std::vector<std::string>(kMaxIdsPerCommand + 1, "x")}).ok());
  EXPECT_TRUE(check_command(DeleteDocuments{std::vector<std::string>(kMaxIdsPerCommand, "x")}).ok());
  EXPECT_FALSE(check_command(UpsertDocuments{std::string(kMaxDocumentsJsonBytes + 1, ' ')}).ok());
  EXPECT_TRUE(check_command(UpsertDocuments{std::string(kMaxDocumentsJsonBytes, ' ')}).ok());
  // The largest valid upsert still encodes within the command bound.
  EXPECT_LE(encode_command(UpsertDocuments{std::string(kMaxDocumentsJsonBytes, ' ')}).size(), kMaxCommandBytes);
  EXPECT_FALSE(decode_command(std::string(kMaxCommandBytes + 1, 'c')).ok());

  EXPECT_FALSE(check_query(GetQuery{"", std::nullopt, 0}).ok());
  EXPECT_FALSE(check_query(ListIdsQuery{"", 0, 0}).ok());
  EXPECT_FALSE(check_query(ListIdsQuery{"", kMaxListIdsLimit + 1, 0}).ok());
  EXPECT_FALSE(check_query(SearchQuery{std::string(kMaxRequestJsonBytes + 1, ' '), std::nullopt, 0}).ok());
  // Encoded out-of-bound values are refused by the decoders as well.
  EXPECT_FALSE(decode_command(encode_command(DeleteDocuments{{""}})).ok());
  EXPECT_FALSE(decode_query(encode_query(ListIdsQuery{"", 0, 0})).ok());
  EXPECT_FALSE(decode_query(encode_query(GetQuery{"", std::nullopt, 0})).ok());
  EXPECT_FALSE(
      decode_result(encode_result(CommandResult{CollectionCode::kOk, 1, 1, 0, 0,
                                                std::string(kMaxResultMessageBytes + 1, 'm')}))
          .ok());
}

TEST(CollectionCommand, ForgedCountsDoNotAllocate) {
  // A delete claiming 2^60 ids in a handful of bytes is refused at the count.
  std::string bytes = "c";
  bytes.push_back(2);
  for (int i = 0; i < 8; ++i) bytes.push_back('\xff');
  bytes.push_back('\x0f');
  EXPECT_FALSE(decode_command(bytes).ok());
}

TEST(CollectionCommand, ErrorCodesMapToTheClusterCodes) {
  EXPECT_EQ(to_error_code(CollectionCode::kOk), ErrorCode::kNone);
  EXPECT_EQ(to_error_code(CollectionCode::kBadRequest), ErrorCode::kBadRequest);
  EXPECT_EQ(to_error_code(CollectionCode::kNotFound), ErrorCode::kNotFound);
  EXPECT_EQ(to_error_code(CollectionCode::kBehind), ErrorCode::kUnavailable);
  EXPECT_EQ(to_error_code(CollectionCode::kRevisionGone), ErrorCode::kNotFound);
  EXPECT_EQ(to_error_code(CollectionCode::kTooManyPointsInTime), ErrorCode::kOverloaded);
  EXPECT_TRUE(is_retryable(to_error_code(CollectionCode::kBehind)));
  for (uint8_t c = 0; c <= kMaxCollectionCode; ++c) {
    EXPECT_NE(code_name(static_cast<CollectionCode>(c)), "unknown");
  }
}

// ---- Properties -------------------------------------------------------------

rc::Gen<std::string> any_id() {
  return rc::gen::map(rc::gen::inRange<size_t>(1, 40), [](size_t n) { return std::string(n, 'i'); });
}

rc::Gen<CollectionCommand> any_command() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::arbitrary<std::string>(),
                   [](std::string s) { return CollectionCommand{UpsertDocuments{std::move(s)}}; }),
      rc::gen::map(rc::gen::container<std::vector<std::string>>(any_id()),
                   [](std::vector<std::string> ids) { return CollectionCommand{DeleteDocuments{std::move(ids)}}; }),
      rc::gen::just(CollectionCommand{OpenPointInTime{}}),
      rc::gen::map(rc::gen::arbitrary<uint64_t>(),
                   [](uint64_t r) { return CollectionCommand{ClosePointInTime{r}}; }));
}

rc::Gen<std::optional<uint64_t>> any_revision() {
  return rc::gen::oneOf(rc::gen::just(std::optional<uint64_t>()),
                        rc::gen::map(rc::gen::arbitrary<uint64_t>(), [](uint64_t r) { return std::optional(r); }));
}

rc::Gen<CollectionQuery> any_query() {
  return rc::gen::oneOf(
      rc::gen::apply([](std::string json, std::optional<uint64_t> rev,
                        uint64_t min) { return CollectionQuery{SearchQuery{std::move(json), rev, min}}; },
                     rc::gen::arbitrary<std::string>(), any_revision(), rc::gen::arbitrary<uint64_t>()),
      rc::gen::apply([](std::string id, std::optional<uint64_t> rev,
                        uint64_t min) { return CollectionQuery{GetQuery{std::move(id), rev, min}}; },
                     any_id(), any_revision(), rc::gen::arbitrary<uint64_t>()),
      rc::gen::map(rc::gen::arbitrary<uint64_t>(), [](uint64_t m) { return CollectionQuery{StatsQuery{m}}; }),
      rc::gen::apply([](uint32_t limit, uint64_t min) { return CollectionQuery{ListIdsQuery{"a", limit, min}}; },
                     rc::gen::inRange<uint32_t>(1, kMaxListIdsLimit + 1), rc::gen::arbitrary<uint64_t>()));
}

RC_GTEST_PROP(CollectionCommandProperty, CommandsAndQueriesRoundTrip, ()) {
  const CollectionCommand c = *any_command();
  auto back = decode_command(encode_command(c));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == c);
  const CollectionQuery q = *any_query();
  auto qback = decode_query(encode_query(q));
  RC_ASSERT(qback.ok());
  RC_ASSERT(*qback == q);
}

RC_GTEST_PROP(CollectionCommandProperty, ResultsRoundTrip, ()) {
  CommandResult r;
  r.code = static_cast<CollectionCode>(*rc::gen::inRange<uint8_t>(0, kMaxCollectionCode + 1));
  r.index = *rc::gen::arbitrary<uint64_t>();
  r.revision = *rc::gen::arbitrary<uint64_t>();
  r.upserted = *rc::gen::arbitrary<uint64_t>();
  r.deleted = *rc::gen::arbitrary<uint64_t>();
  r.message = *rc::gen::container<std::string>(*rc::gen::inRange<size_t>(0, 40), rc::gen::arbitrary<char>());
  auto back = decode_result(encode_result(r));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == r);

  QueryResult q;
  q.applied_index = *rc::gen::arbitrary<uint64_t>();
  q.revision = *rc::gen::arbitrary<uint64_t>();
  q.answer = IdsAnswer{*rc::gen::container<std::vector<LiveId>>(rc::gen::apply(
                           [](std::string id, uint64_t rev) { return LiveId{std::move(id), rev}; }, any_id(),
                           rc::gen::arbitrary<uint64_t>())),
                       *rc::gen::arbitrary<bool>()};
  auto qback = decode_query_result(encode_query_result(q));
  RC_ASSERT(qback.ok());
  RC_ASSERT(*qback == q);
}

// Random bytes, and valid encodings with random damage, never crash a decoder;
// whatever a decoder accepts re-encodes to the same bytes.
RC_GTEST_PROP(CollectionCommandProperty, GarbageNeverCrashes, ()) {
  const int which = *rc::gen::inRange(0, 3);
  std::string bytes;
  if (which == 0) {
    bytes = *rc::gen::arbitrary<std::string>();
  } else {
    bytes = which == 1 ? encode_command(*any_command()) : encode_query(*any_query());
    const size_t flips = *rc::gen::inRange<size_t>(1, 4);
    for (size_t i = 0; i < flips && !bytes.empty(); ++i) {
      const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
      bytes[at] = static_cast<char>(bytes[at] ^ (1 << *rc::gen::inRange(0, 8)));
    }
  }
  if (auto c = decode_command(bytes); c.ok()) RC_ASSERT(encode_command(*c) == bytes);
  if (auto q = decode_query(bytes); q.ok()) RC_ASSERT(encode_query(*q) == bytes);
  if (auto r = decode_result(bytes); r.ok()) RC_ASSERT(encode_result(*r) == bytes);
  if (auto a = decode_query_result(bytes); a.ok()) RC_ASSERT(encode_query_result(*a) == bytes);
  // With the right leading byte, so the body is what gets exercised.
  for (char tag : {'c', 'q', 'r', 'a'}) {
    const std::string tagged = std::string(1, tag) + bytes;
    (void)decode_command(tagged);
    (void)decode_query(tagged);
    (void)decode_result(tagged);
    if (auto a = decode_query_result(tagged); a.ok()) RC_ASSERT(encode_query_result(*a) == tagged);
  }
}

}  // namespace
}  // namespace shoal::shard
