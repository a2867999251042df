// The history model and its three formats: round trips, what the Jepsen
// parsers take from real-looking input, and bad input named by file and line.
#include "scenarios/checkers/history_io.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/core/random.h"
#include "scenarios/checkers/history_gen.h"

namespace shoal::check {
namespace {

using Parser = absl::StatusOr<History> (*)(std::string_view text, std::string_view source);
using Complaints = std::vector<std::pair<std::string, std::string>>;  // bad line, what the error must say

// Each bad line, following a good first line, must be rejected with one
// message that starts "SOURCE:2: " and says what is wrong.
void expect_rejected_on_line_2(Parser parse, const std::string& first_line, const std::string& source,
                               const Complaints& cases) {
  for (const auto& [line, complaint] : cases) {
    absl::StatusOr<History> h = parse(first_line + "\n" + line + "\n", source);
    ASSERT_FALSE(h.ok()) << line;
    const std::string message(h.status().message());
    EXPECT_EQ(message.rfind(source + ":2: ", 0), 0u) << message;
    EXPECT_NE(message.find(complaint), std::string::npos) << message;
  }
}

History without_source_lines(History h) {
  for (Operation& o : h.mutable_operations()) o.source_line = 0;
  return h;
}

TEST(History, RecordsInvocationsAndCompletions) {
  History h;
  const size_t w = h.invoke(3, 100, Op::write("k", "v"));
  const size_t r = h.invoke(4, 150, Op::read("k"));
  h.complete(w, 200, Outcome::kOk);
  EXPECT_EQ(h[r].outcome, Outcome::kPending);
  EXPECT_TRUE(h[r].effect_unknown());
  h.complete(r, 250, Outcome::kUnknown);
  EXPECT_EQ(h[w].complete_ns, 200);
  EXPECT_TRUE(h[w].ok());
  EXPECT_FALSE(h[w].precedes(h[r]));  // 200 is not before 150
  EXPECT_EQ(h.keys(), std::vector<std::string>{"k"});
}

TEST(History, IntervalsAreClosed) {
  History h;
  const size_t a = h.invoke(1, 0, Op::write("k", "1"));
  h.complete(a, 10, Outcome::kOk);
  const size_t b = h.invoke(2, 10, Op::read("k"));
  h.complete(b, 20, Outcome::kOk, Result{"1", true});
  EXPECT_FALSE(h[a].precedes(h[b]));  // completes at the instant b begins: they overlap
}

TEST(History, OfKeyKeepsThatKeysOperationsInOrderAndTheInitialValue) {
  History h;
  h.set_initial_value(std::string());
  h.invoke(1, 10, Op::write("a", "1"));
  h.invoke(2, 20, Op::write("b", "2"));
  h.invoke(3, 30, Op::read("a"));
  const History a = h.of_key("a");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], h[0]);
  EXPECT_EQ(a[1], h[2]);
  EXPECT_EQ(a.initial_value(), Value(""));
  EXPECT_TRUE(h.of_key("c").empty());
}

TEST(History, MisuseOfCompleteThrows) {
  History h;
  const size_t i = h.invoke(1, 100, Op::read("k"));
  EXPECT_THROW(h.complete(i, 50, Outcome::kOk), std::logic_error);
  EXPECT_THROW(h.complete(7, 150, Outcome::kOk), std::out_of_range);
  h.complete(i, 150, Outcome::kOk);
  EXPECT_THROW(h.complete(i, 160, Outcome::kOk), std::logic_error);
}

RC_GTEST_PROP(ShoalFormat, RoundTripsGeneratedHistories, (uint64_t seed)) {
  Rng rng(seed);
  GeneratorOptions o;
  o.model = rng.chance(0.5) ? Model::kKv : Model::kCasRegister;
  o.operations = size_t(rng.range(0, 60));
  o.unknown_probability = 0.2;
  History h = generate_linearizable_history(o, rng);
  if (rng.chance(0.5)) h.set_initial_value(std::string("start"));
  if (!h.empty() && rng.chance(0.5)) {
    Operation& pending = h.mutable_operations()[rng.below(h.size())];
    pending.outcome = Outcome::kPending;
    pending.complete_ns = kOpenEnd_ns;
    pending.result = Result{};
  }
  absl::StatusOr<History> back = parse_shoal_history(to_shoal_json_lines(h), "mem");
  RC_ASSERT(back.ok());
  RC_ASSERT(without_source_lines(*back) == h);
}

TEST(ShoalFormat, BadInputNamesFileAndLine) {
  const std::string good =
      R"({"process":1,"f":"read","key":"k","invoke_ns":1,"complete_ns":2,"outcome":"ok","result":"v"})";
  const Complaints cases = {
      {"not json", "not JSON"},
      {"[1,2]", "expected a JSON object"},
      {R"({"process":1,"f":"fly","invoke_ns":1,"complete_ns":2,"outcome":"ok"})", "\"f\""},
      {R"({"process":1,"f":"read","invoke_ns":5,"complete_ns":2,"outcome":"ok"})", "before invoke_ns"},
      {R"({"process":1,"f":"write","invoke_ns":1,"complete_ns":2,"outcome":"ok"})", "\"value\" is required"},
      {R"({"process":1,"f":"read","invoke_ns":1,"complete_ns":2,"outcome":"maybe"})", "\"outcome\""},
      {R"({"process":-1,"f":"read","invoke_ns":1,"complete_ns":2,"outcome":"ok"})", "\"process\""},
      {R"({"process":1,"f":"read","invoke_ns":1,"complete_ns":null,"outcome":"ok"})", "complete_ns"},
  };
  expect_rejected_on_line_2(parse_shoal_history, good, "h.jsonl", cases);
}

TEST(JepsenLog, ReadsEventsSkipsNoiseAndAcceptsSpacesOrTabs) {
  const std::string log =
      "2017-01-01 INFO  jepsen.core - Running test\n"
      "INFO  jepsen.util - 0\t:invoke\t:write\t3\n"
      "INFO  jepsen.util - 1   :invoke :cas    [nil 4]\n"
      "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
      "INFO  jepsen.util - 0\t:ok\t:write\t3\n"
      "INFO  jepsen.util - 1   :fail   :cas    [nil 4]\n"
      "INFO  jepsen.util - 2\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 3\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 2\t:ok\t:read\t3\n"
      "INFO  jepsen.util - 3\t:fail\t:read\t:timed-out\n"
      "INFO  jepsen.util - 4\t:invoke\t:write\t1\n"
      "INFO  jepsen.util - 4\t:info\t:write\t1\n";
  absl::StatusOr<History> h = parse_jepsen_log(log, "etcd.log");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->size(), 5u);
  EXPECT_EQ((*h)[0].op, Op::write("", "3"));
  EXPECT_EQ((*h)[0].invoke_ns, 2);  // time is the line number
  EXPECT_EQ((*h)[0].complete_ns, 5);
  EXPECT_EQ((*h)[1].op, Op::cas("", std::nullopt, "4"));
  EXPECT_EQ((*h)[1].outcome, Outcome::kFail);
  EXPECT_EQ((*h)[2].result.value, Value("3"));
  EXPECT_EQ((*h)[3].outcome, Outcome::kFail);
  EXPECT_EQ((*h)[4].outcome, Outcome::kUnknown);
  EXPECT_FALSE(h->initial_value().has_value());
}

TEST(JepsenLog, BadInputNamesFileAndLine) {
  const Complaints cases = {
      {"INFO  jepsen.util - 0\t:invoke\t:fly\tnil", "unknown function"},
      {"INFO  jepsen.util - 0\t:maybe\t:read\tnil", "unknown event type"},
      {"INFO  jepsen.util - 0\t:invoke\t:cas\t[1]", "[EXPECTED NEW]"},
      {"INFO  jepsen.util - 0\t:invoke\t:write\tnil", "a value to write"},
      {"INFO  jepsen.util - 5\t:ok\t:read\t3", "never invoked"},
      {"INFO  jepsen.util - 0\t:invoke\t:read\tnil", "still pending"},
      {"INFO  jepsen.util - 0\t:ok\t:write\t1", "invoked a read"},
  };
  expect_rejected_on_line_2(parse_jepsen_log, "INFO  jepsen.util - 0\t:invoke\t:read\tnil", "x.log", cases);
}

TEST(JepsenEdn, ReadsKeysValuesAndSkipsTheNemesis) {
  const std::string edn =
      "{:process 9, :type :invoke, :f :append, :key \"0\", :value \"x 9 0 y\"}\n"
      "{:process :nemesis, :type :info, :f :start, :value nil}\n"
      "\n"
      "{:process 1, :type :invoke, :f :get, :key \"0\", :value nil}\n"
      "{:process 9, :type :ok, :f :append, :key \"0\", :value \"x 9 0 y\"}\n"
      "{:process 1, :type :ok, :f :get, :key \"0\", :value \"x 9 0 y\"}\n"
      "{:process 2, :type :invoke, :f :put, :key \"1\", :value \"a \\\"quoted\\\" b\"}\n";
  absl::StatusOr<History> h = parse_jepsen_edn(edn, "c.edn");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].op, Op::append("0", "x 9 0 y"));
  EXPECT_EQ((*h)[1].op, Op::read("0"));
  EXPECT_EQ((*h)[1].result.value, Value("x 9 0 y"));
  EXPECT_EQ((*h)[2].op, Op::write("1", "a \"quoted\" b"));
  EXPECT_EQ((*h)[2].outcome, Outcome::kPending);
  EXPECT_EQ(h->initial_value(), Value(""));  // Jepsen's multi-key tests start every key at ""
}

TEST(JepsenEdn, ARegisterHistoryWithoutKeysStartsAbsent) {
  const std::string edn =
      "{:process 0, :type :invoke, :f :cas, :value [1 2]}\n"
      "{:process 0, :type :ok, :f :cas, :value [1 2]}\n";
  absl::StatusOr<History> h = parse_jepsen_edn(edn, "r.edn");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ((*h)[0].op, Op::cas("", Value("1"), "2"));
  EXPECT_FALSE(h->initial_value().has_value());
}

TEST(JepsenEdn, UnicodeEscapesBecomeUtf8) {
  absl::StatusOr<History> h =
      parse_jepsen_edn("{:process 0, :type :invoke, :f :put, :key \"k\", :value \"caf\\u00e9 \\u20ac\"}\n", "u.edn");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ((*h)[0].op.value, Value("caf\xc3\xa9 \xe2\x82\xac"));
}

TEST(JepsenEdn, BadInputNamesFileAndLine) {
  const Complaints cases = {
      {"{:process 1, :type :invoke", "not an EDN map"},
      {"[1 2]", "expected a map"},
      {"{:process 1, :type :invoke, :f :fly}", "unknown function"},
      {"{:process 1, :f :get}", ":type"},
      {"{:type :invoke, :f :get}", ":process"},
      {"{:process 1, :type :invoke, :f :cas, :value 3}", "[EXPECTED NEW]"},
      {"{:process 1, :type :invoke, :f :get, :key \"unterminated}", "unterminated string"},
  };
  expect_rejected_on_line_2(parse_jepsen_edn, "{:process 0, :type :invoke, :f :get, :key \"k\"}", "b.edn", cases);
}

TEST(HistoryFile, AMissingFileIsNamed) {
  absl::StatusOr<History> h = read_history_file("/nonexistent/history.jsonl", HistoryFormat::kShoal);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(std::string(h.status().message()).find("/nonexistent/history.jsonl"), std::string::npos);
}

// --- input that holds no operation ---

constexpr HistoryFormat kAllFormats[] = {HistoryFormat::kShoal, HistoryFormat::kJepsenLog, HistoryFormat::kJepsenEdn};

TEST(HistoryInput, AnEmptyOrBlankTextIsAnEmptyHistoryInEveryFormat) {
  for (HistoryFormat format : kAllFormats) {
    for (const char* text : {"", "\n", "  \n\t\r\n"}) {
      absl::StatusOr<History> h = parse_history(text, format, "e.txt");
      ASSERT_FALSE(h.ok()) << to_string(format);
      EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition) << h.status();
      EXPECT_EQ(std::string(h.status().message()), "e.txt: empty history: nothing to check");
    }
  }
}

TEST(HistoryInput, WellFormedLinesWithoutAnOperationAreAnEmptyHistory) {
  const std::pair<HistoryFormat, std::string> cases[] = {
      {HistoryFormat::kShoal, "{\"shoal_history\":1,\"initial\":null}\n"},
      {HistoryFormat::kJepsenLog, "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"},
      {HistoryFormat::kJepsenEdn, "{:process :nemesis, :type :info, :f :start, :value nil}\n"},
  };
  for (const auto& [format, text] : cases) {
    absl::StatusOr<History> h = parse_history(text, format, "n.txt");
    ASSERT_FALSE(h.ok()) << to_string(format);
    EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition) << h.status();
    EXPECT_NE(h.status().message().find("empty history"), std::string::npos) << h.status();
  }
}

TEST(HistoryInput, ALogWithNoEventLineIsBadInputNamingItsFirstLine) {
  absl::StatusOr<History> h = parse_history("Running test\nsetting up\n", HistoryFormat::kJepsenLog, "x.log");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << h.status();
  const std::string message(h.status().message());
  EXPECT_EQ(message.rfind("x.log: no line", 0), 0u) << message;
  EXPECT_NE(message.find("Running test"), std::string::npos) << message;
}

TEST(HistoryInput, ErrorsShowControlBytesEscapedOnOneLine) {
  const char bytes[] = "\x7f" "ELF\x02\x01\x00\x00\x1b[0m\xff\r\n\x01";
  const std::string binary(bytes, sizeof(bytes) - 1);
  for (HistoryFormat format : kAllFormats) {
    absl::StatusOr<History> h = parse_history(binary, format, "b.bin");
    ASSERT_FALSE(h.ok()) << to_string(format);
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << h.status();
    for (char c : h.status().message()) {
      EXPECT_FALSE(c == '\n' || c == '\r' || c == '\0' || c == '\x1b') << to_string(format) << ": " << h.status();
    }
  }
}

// Whatever the bytes, a parse gives an error or at least one operation.
RC_GTEST_PROP(HistoryInput, AnyBytesGiveAnErrorOrOperations, (const std::string& bytes, uint8_t format_index)) {
  const HistoryFormat format = kAllFormats[format_index % 3];
  absl::StatusOr<History> h = parse_history(bytes, format, "any");
  // (Computed first: RC_ASSERT's capture of `||` would not short-circuit.)
  const bool refused_or_has_operations = !h.ok() || !h->empty();
  RC_ASSERT(refused_or_has_operations);
}

}  // namespace
}  // namespace shoal::check
