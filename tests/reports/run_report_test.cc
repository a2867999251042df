// The report directory of a run: which files appear, that result.json and
// history.jsonl read back as what was written, that the page embeds its data
// where nothing in a check's detail can break out of it, that a failure reads
// as one, that huge histories are sampled the same way every time, and that a
// directory that cannot be written is an error naming it.
#include "reports/run_report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "reports/run_digest.h"
#include "reports/run_result_json.h"
#include "scenarios/checkers/history_io.h"

namespace shoal::reports {
namespace {

namespace fs = std::filesystem;
using check::History;
using check::Op;
using check::Outcome;
using scenarios::ScenarioResult;

constexpr const char* kNastyDetail =
    "after the kill at 12.500000s writes resumed only after never; </script><script>alert(1)</script>";

TimePoint at_ms(int64_t ms) { return TimePoint(milliseconds(ms)); }

// Four clients, one operation each every 50 ms for 20 s: writes and reads
// that fail while node 1 is cut off (5 s to 8 s), one that times out, and
// one still pending at the end.
std::shared_ptr<History> small_history() {
  auto h = std::make_shared<History>();
  for (int64_t t_ms = 0; t_ms < 20000; t_ms += 50) {
    for (uint32_t p = 1; p <= 4; ++p) {
      const int64_t invoke_ns = (t_ms + p) * 1000000;
      const size_t i = h->invoke(p, invoke_ns, p % 2 ? Op::write("k", std::to_string(t_ms)) : Op::read("k"));
      const bool cut_off = t_ms >= 5000 && t_ms < 8000 && p == 1;
      h->complete(i, invoke_ns + (cut_off ? 400 : 3) * 1000000, cut_off ? Outcome::kFail : Outcome::kOk);
    }
  }
  const size_t timed_out = h->invoke(5, 12'400'000'000, Op::write("k", "late"));
  h->complete(timed_out, 13'400'000'000, Outcome::kUnknown);
  h->invoke(6, 19'990'000'000, Op::read("k"));
  return h;
}

ScenarioResult synthetic_result() {
  ScenarioResult r;
  r.scenario = "leader-failover";
  r.seed = 7;
  r.nodes = 3;
  r.checks = {{"linearizable", true, ""}, {"writes-again-within-2s", false, kNastyDetail}};
  r.trace_hash = 0xabc;
  r.stats.events = 1234;
  r.stats.messages_sent = 500;
  r.virtual_time = seconds(20);
  r.metrics = {{"failovers", 2}, {"write_recovery_max_ms", 850.5}};
  r.params = {{"clients", "4"}};
  r.notes = {"swarm: intensity high, kinds kill-one", "knobs: election_timeout_min=0.200000s"};
  r.faults = {{at_ms(5000), at_ms(8000), "partition", "{n1} | {n2 n3}"}, {at_ms(12000), at_ms(12000), "kill", "n1"}};
  r.roles = {{1, at_ms(0), at_ms(12000), "leader", 1},    {1, at_ms(12000), at_ms(15000), "down", 1},
             {1, at_ms(15000), at_ms(20000), "follower", 2}, {2, at_ms(0), at_ms(12300), "follower", 1},
             {2, at_ms(12300), at_ms(20000), "leader", 2},   {3, at_ms(0), at_ms(20000), "follower", 2}};
  r.history = small_history();
  return r;
}

RunReportInfo info() {
  RunReportInfo i{"abc1234", "./tools/shoal sim run --scenario leader-failover --seed 7", 1.5};
  for (int n = 0; n < 30; ++n) i.trace_tail.push_back("12.0000" + std::to_string(10 + n) + "s n1 timer timer " + std::to_string(n));
  i.trace_lines_total = 5000;
  return i;
}

// The synthetic result, stopped by an engine assertion at 12 s.
ScenarioResult stopped_result() {
  ScenarioResult r = synthetic_result();
  sim::RunStop stop{sim::StopKind::kAssertion, "engine assertion failed: a < b (engine/raft/raft.cc:42) at 12.000039s",
                    at_ms(12000), 1234};
  stop.expression = "a < b";
  stop.file = "engine/raft/raft.cc";
  stop.line = 42;
  r.stop = stop;
  return r;
}

std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / ("shoal_run_report_" + name);
  fs::remove_all(dir);
  return dir.string();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The JSON of the page's data block.
boost::json::object page_data(const std::string& html) {
  const std::string open = R"(<script type="application/json" id="data">)";
  const size_t begin = html.find(open);
  EXPECT_NE(begin, std::string::npos);
  const size_t end = html.find("</script>", begin);
  return boost::json::parse(html.substr(begin + open.size(), end - begin - open.size())).as_object();
}

std::string text(const boost::json::value& v) { return std::string(v.as_string()); }

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(RunReport, WritesTheFiveFiles) {
  const std::string dir = fresh_dir("five_files");
  ASSERT_TRUE(write_run_report(dir, synthetic_result(), info()).ok());
  for (const char* name : {"result.json", "summary.md", "history.jsonl", "index.html", "trace-tail.txt"}) {
    EXPECT_GT(fs::file_size(fs::path(dir) / name), 100u) << name;
  }
  EXPECT_EQ(read_file(fs::path(dir) / "trace-tail.txt").find(info().trace_tail.front() + "\n"), 0u);
  // Without a tail, a directory used again loses the earlier run's.
  RunReportInfo no_tail = info();
  no_tail.trace_tail.clear();
  ASSERT_TRUE(write_run_report(dir, synthetic_result(), no_tail).ok());
  EXPECT_FALSE(fs::exists(fs::path(dir) / "trace-tail.txt"));
}

TEST(RunReport, AStoppedRunSaysWhyWithItsLastEvents) {
  const ScenarioResult r = stopped_result();
  EXPECT_EQ(exit_code_for(r), 5);
  EXPECT_EQ(verdict_text(r), "FAIL (assertion)");
  const auto first = first_failure(r);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->check, "assertion");
  EXPECT_EQ(first->at_seconds, 12.0);
  const std::string md = render_run_summary_markdown(r, info());
  EXPECT_NE(md.find("## Stopped: assertion\n\n" + r.stop->message), std::string::npos) << md;
  // The last kTraceTailLinesShown lines of the tail, and no earlier one.
  EXPECT_NE(md.find(info().trace_tail.back()), std::string::npos) << md;
  EXPECT_NE(md.find(info().trace_tail[info().trace_tail.size() - kTraceTailLinesShown]), std::string::npos);
  EXPECT_EQ(md.find(info().trace_tail[info().trace_tail.size() - kTraceTailLinesShown - 1]), std::string::npos);
  const std::string html = render_run_report_html(r, info());
  EXPECT_NE(html.find("Stopped: assertion"), std::string::npos);
  EXPECT_NE(html.find(info().trace_tail.back()), std::string::npos);
  const auto o = run_result_json(r, info());
  EXPECT_EQ(text(o.at("stop").at("kind")), "assertion");
  EXPECT_EQ(text(o.at("stop").at("file")), "engine/raft/raft.cc");
  EXPECT_EQ(o.at("stop").at("line").to_number<int>(), 42);
  EXPECT_EQ(o.at("stop").at("events").to_number<uint64_t>(), 1234u);
  EXPECT_EQ(o.at("exit_code").to_number<int>(), 5);
}

TEST(RunReport, ABoundIsAClassOfItsOwn) {
  ScenarioResult r = stopped_result();
  r.stop->kind = sim::StopKind::kMemoryMax;
  EXPECT_EQ(exit_code_for(r), 6);
  EXPECT_EQ(verdict_text(r), "FAIL (bound: memory-max)");
  EXPECT_FALSE(r.passed());
  // Even when every check passed: a run that did not finish is no pass.
  r.checks.clear();
  r.liveness.ok = true;
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(exit_code_for(r), 6);
  const auto o = run_result_json(r, info());
  EXPECT_EQ(text(o.at("stop").at("kind")), "memory-max");
  EXPECT_FALSE(o.at("stop").as_object().contains("file"));
}

TEST(RunReport, ResultJsonHoldsTheRun) {
  const std::string dir = fresh_dir("result_json");
  ASSERT_TRUE(write_run_report(dir, synthetic_result(), info()).ok());
  const boost::json::object o = boost::json::parse(read_file(fs::path(dir) / "result.json")).as_object();
  EXPECT_EQ(text(o.at("scenario")), "leader-failover");
  EXPECT_EQ(o.at("seed").to_number<uint64_t>(), 7u);
  EXPECT_EQ(text(o.at("commit")), "abc1234");
  EXPECT_EQ(o.at("nodes").to_number<int>(), 3);
  EXPECT_FALSE(o.at("passed").as_bool());
  EXPECT_EQ(o.at("exit_code").to_number<int>(), 1);
  EXPECT_EQ(text(o.at("trace_hash")), "0000000000000abc");
  EXPECT_EQ(o.at("virtual_seconds").to_number<double>(), 20.0);
  EXPECT_EQ(o.at("wall_seconds").to_number<double>(), 1.5);
  EXPECT_EQ(text(o.at("params").at("clients")), "4");
  ASSERT_EQ(o.at("setup").as_array().size(), 2u);
  EXPECT_EQ(text(o.at("setup").as_array()[0]), "swarm: intensity high, kinds kill-one");
  const auto& checks = o.at("checks").as_array();
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_FALSE(checks[1].at("ok").as_bool());
  EXPECT_EQ(text(checks[1].at("detail")), kNastyDetail);
  EXPECT_EQ(text(checks[2].at("name")), "liveness");
  EXPECT_EQ(o.at("metrics").at("write_recovery_max_ms").to_number<double>(), 850.5);
  EXPECT_EQ(o.at("stats").at("events").to_number<uint64_t>(), 1234u);
  EXPECT_EQ(o.at("stats").at("messages_sent").to_number<uint64_t>(), 500u);
  EXPECT_EQ(o.at("history").at("operations").to_number<uint64_t>(), 4 * 400 + 2u);
  EXPECT_EQ(o.at("history").at("unknown").to_number<uint64_t>(), 1u);
  EXPECT_EQ(o.at("history").at("pending").to_number<uint64_t>(), 1u);
  const auto& faults = o.at("faults").as_array();
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0].at("start_s").to_number<double>(), 5.0);
  EXPECT_EQ(faults[0].at("end_s").to_number<double>(), 8.0);
  EXPECT_EQ(text(faults[0].at("kind")), "partition");
  EXPECT_EQ(text(faults[1].at("detail")), "n1");
  EXPECT_EQ(o.at("roles").as_array().size(), 6u);
  EXPECT_EQ(o.at("roles").as_array()[4].at("term").to_number<uint64_t>(), 2u);
  EXPECT_EQ(text(o.at("replay")), info().replay_command);
  EXPECT_EQ(text(o.at("trace_tail_file")), "trace-tail.txt");
  EXPECT_TRUE(o.at("stop").is_null());
  EXPECT_EQ(o.at("bounds").at("events_max").to_number<uint64_t>(), sim::RunBounds{}.events_max);
}

TEST(RunReport, HistoryReadsBackEqual) {
  const std::string dir = fresh_dir("history");
  const ScenarioResult r = synthetic_result();
  ASSERT_TRUE(write_run_report(dir, r, info()).ok());
  absl::StatusOr<History> back = check::read_history_file((fs::path(dir) / "history.jsonl").string(),
                                                          check::HistoryFormat::kShoal);
  ASSERT_TRUE(back.ok()) << back.status();
  for (check::Operation& o : back->mutable_operations()) o.source_line = 0;
  EXPECT_EQ(*back, *r.history);
}

TEST(RunReport, PageEmbedsTheDataWhereNoDetailCanBreakOut) {
  const std::string html = render_run_report_html(synthetic_result(), info());
  // Only the data block and the script end a script element.
  EXPECT_EQ(count_of(html, "</script>"), 2u);
  EXPECT_NE(html.find("\\u003c/script>\\u003cscript>alert(1)"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);
  const boost::json::object data = page_data(html);
  EXPECT_EQ(text(data.at("result").at("checks").at(1).at("detail")), kNastyDetail);
  EXPECT_EQ(count_of(html, "<svg class=\"plot\""), 3u);
  for (const char* plot : {"latency", "throughput", "roles"}) {
    EXPECT_NE(html.find(std::string("data-plot=\"") + plot + "\""), std::string::npos) << plot;
  }
  EXPECT_NE(html.find("document.body.dataset.rendered"), std::string::npos);
  EXPECT_NE(html.find("<h2>Setup</h2>"), std::string::npos);
  EXPECT_NE(html.find("swarm: intensity high, kinds kill-one"), std::string::npos);
}

TEST(RunReport, PageIsSelfContained) {
  const std::string html = render_run_report_html(synthetic_result(), info());
  // The SVG namespace is a name, not an address the page fetches.
  const std::string svg_namespace = "http://www.w3.org/2000/svg";
  std::string rest = html;
  for (size_t at; (at = rest.find(svg_namespace)) != std::string::npos;) rest.erase(at, svg_namespace.size());
  for (const char* outside : {"http://", "https://", "<link", "src=", "@import", "url("}) {
    EXPECT_EQ(rest.find(outside), std::string::npos) << outside;
  }
}

TEST(RunReport, FailingRunReadsAsFailure) {
  const ScenarioResult r = synthetic_result();
  const std::string html = render_run_report_html(r, info());
  EXPECT_NE(html.find("<title>FAIL (safety) leader-failover seed 7</title>"), std::string::npos);
  EXPECT_NE(html.find("class=\"verdict fail\""), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"failed\"><td>writes-again-within-2s</td><td>FAILED</td>"), std::string::npos);
  const std::string md = render_run_summary_markdown(r, info());
  EXPECT_EQ(md.rfind("# FAIL (safety) — leader-failover, seed 7\n", 0), 0u) << md;
  EXPECT_NE(md.find("| writes-again-within-2s | **FAILED** |"), std::string::npos) << md;
  EXPECT_NE(md.find("First failing check: `writes-again-within-2s` at 12.500 s"), std::string::npos) << md;
}

TEST(RunReport, LivenessFailureAndPassAreToldApart) {
  ScenarioResult r = synthetic_result();
  r.checks[1].ok = true;
  r.liveness = {"liveness", false, "no write succeeded within 5.000000s of the faults stopping at 20.000000s"};
  std::string html = render_run_report_html(r, info());
  EXPECT_NE(html.find("<title>FAIL (liveness)"), std::string::npos);
  EXPECT_EQ(page_data(html).at("result").at("exit_code").to_number<int>(), 3);
  EXPECT_EQ(page_data(html).at("failure").at("at_s").to_number<double>(), 20.0);
  r.liveness.ok = true;
  html = render_run_report_html(r, info());
  EXPECT_NE(html.find("<title>PASS"), std::string::npos);
  EXPECT_NE(html.find("class=\"verdict pass\""), std::string::npos);
  EXPECT_EQ(html.find("FAILED"), std::string::npos);
  EXPECT_TRUE(page_data(html).at("failure").is_null());
  EXPECT_EQ(render_run_summary_markdown(r, info()).rfind("# PASS", 0), 0u);
}

TEST(RunReport, FirstFailureIsPlacedOnlyWhenItsDetailNamesAMoment) {
  ScenarioResult r = synthetic_result();
  EXPECT_EQ(page_data(render_run_report_html(r, info())).at("failure").at("at_s").to_number<double>(), 12.5);
  r.checks[1].message = "writes resumed only after 2500ms; no leader within 1.000000s";
  const boost::json::object data = page_data(render_run_report_html(r, info()));
  EXPECT_EQ(text(data.at("failure").at("check")), "writes-again-within-2s");
  EXPECT_TRUE(data.at("failure").at("at_s").is_null());
}

TEST(RunReport, PlotsGetEveryCompletedOperationAndSecondBuckets) {
  const ScenarioResult r = synthetic_result();
  const boost::json::object data = page_data(render_run_report_html(r, info()));
  const auto& ops = data.at("ops").as_object();
  EXPECT_EQ(ops.at("points").as_array().size(), 4 * 400 + 1u);  // all but the pending one
  EXPECT_EQ(ops.at("pending").to_number<uint64_t>(), 1u);
  EXPECT_EQ(text(ops.at("sample_note")), "");
  const auto& tp = data.at("throughput").as_object();
  EXPECT_EQ(tp.at("bucket_s").to_number<double>(), 1.0);
  ASSERT_EQ(tp.at("ok").as_array().size(), 20u);
  uint64_t ok = 0, other = 0;
  for (const auto& v : tp.at("ok").as_array()) ok += v.to_number<uint64_t>();
  for (const auto& v : tp.at("other").as_array()) other += v.to_number<uint64_t>();
  EXPECT_EQ(ok, 4 * 400 - 60u);  // client 1 fails for 3 s, once per 50 ms
  EXPECT_EQ(other, 60 + 1u);
  EXPECT_EQ(tp.at("ok").as_array()[0].to_number<uint64_t>(), 80u);
}

TEST(RunReport, NoHistoryMeansNothingToDrawAndNoHistoryFile) {
  const std::string dir = fresh_dir("no_history");
  ScenarioResult with = synthetic_result();
  ASSERT_TRUE(write_run_report(dir, with, info()).ok());
  ScenarioResult without = synthetic_result();
  without.history = nullptr;
  without.faults.clear();
  without.roles.clear();
  ASSERT_TRUE(write_run_report(dir, without, info()).ok());
  EXPECT_FALSE(fs::exists(fs::path(dir) / "history.jsonl"));  // not left over from the first run
  const std::string html = read_file(fs::path(dir) / "index.html");
  const boost::json::object data = page_data(html);
  EXPECT_EQ(data.at("ops").at("total").to_number<uint64_t>(), 0u);
  EXPECT_TRUE(data.at("ops").at("points").as_array().empty());
  EXPECT_TRUE(data.at("result").at("history").is_null());
  EXPECT_EQ(count_of(html, "<svg class=\"plot\""), 3u);
  EXPECT_EQ(html.find("history.jsonl"), std::string::npos);
  EXPECT_NE(read_file(fs::path(dir) / "summary.md").find("| client operations | none (no clients) |"),
            std::string::npos);
}

// 100k operations, one in a hundred failed: the plot keeps every failure,
// samples the rest within budget, says so, and does the same every time.
TEST(RunReport, HugeHistoryIsSampledTheSameWayEveryTime) {
  ScenarioResult r = synthetic_result();
  auto h = std::make_shared<History>();
  for (int64_t k = 0; k < 100000; ++k) {
    const int64_t t = k * 200000;  // 5000 operations per second for 20 s
    const size_t i = h->invoke(uint32_t(k % 16), t, Op::write("k", "v"));
    h->complete(i, t + 1000000 + (k % 97) * 50000, k % 100 == 0 ? Outcome::kFail : Outcome::kOk);
  }
  r.history = h;
  const std::string html = render_run_report_html(r, info());
  EXPECT_EQ(html, render_run_report_html(r, info()));
  const boost::json::object data = page_data(html);
  const auto& points = data.at("ops").at("points").as_array();
  EXPECT_LE(points.size(), kLatencyPointsMax);
  EXPECT_GE(points.size(), kLatencyPointsMax - 1);
  size_t failed = 0;
  for (const auto& p : points) failed += p.at(2).to_number<int>() == 1;
  EXPECT_EQ(failed, 1000u);
  EXPECT_NE(data.at("ops").at("sample_note").as_string().find("showing"), std::string::npos);
  EXPECT_LT(html.size(), size_t{2} << 20);
  // tests/cli/report_browser.sh opens this report in a headless browser.
  if (const char* keep = std::getenv("SHOAL_REPORT_KEEP_DIR")) {
    ASSERT_TRUE(write_run_report(keep, r, info()).ok());
  }
}

TEST(RunReport, LongRunsGetWiderThroughputBuckets) {
  ScenarioResult r = synthetic_result();
  r.virtual_time = seconds(3600);
  const boost::json::object data = page_data(render_run_report_html(r, info()));
  EXPECT_EQ(data.at("throughput").at("bucket_s").to_number<double>(), 6.0);
  EXPECT_EQ(data.at("throughput").at("ok").as_array().size(), 600u);
}

TEST(RunReport, SummaryListsChecksFaultsReplayAndFiles) {
  const std::string md = render_run_summary_markdown(synthetic_result(), info());
  EXPECT_NE(md.find("| linearizable | ok |  |"), std::string::npos) << md;
  EXPECT_NE(md.find("| failovers | 2 |"), std::string::npos) << md;
  EXPECT_NE(md.find("2 fault windows."), std::string::npos) << md;
  EXPECT_NE(md.find("| partition | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("```\n" + info().replay_command + "\n```"), std::string::npos) << md;
  for (const char* file : {"index.html", "result.json", "history.jsonl", "trace-tail.txt"}) {
    EXPECT_NE(md.find(std::string("- [") + file + "](" + file + ")"), std::string::npos) << file;
  }
}

TEST(RunReport, UnwritableDirectoryIsAnErrorNamingIt) {
  const std::string base = fresh_dir("unwritable");
  fs::create_directories(base);
  std::ofstream(fs::path(base) / "a-file") << "not a directory";
  const std::string dir = (fs::path(base) / "a-file" / "report").string();
  const absl::Status s = write_run_report(dir, synthetic_result(), info());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(dir), std::string::npos) << s;
  // A directory whose page is in the way: the error names the page.
  const std::string taken = (fs::path(base) / "taken").string();
  fs::create_directories(fs::path(taken) / "index.html");
  const absl::Status t = write_run_report(taken, synthetic_result(), info());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find((fs::path(taken) / "index.html").string()), std::string::npos) << t;
}

}  // namespace
}  // namespace shoal::reports
