// Schedule files: what is written reads back equal, and bad files are
// refused with one line that names the entry and the field.
#include <gtest/gtest.h>

#include "scenarios/schedule.h"

namespace shoal::scenarios {
namespace {

RunSchedule sample() {
  RunSchedule s;
  s.scenario = "chaos-kv";
  s.seed = 17;
  s.params = {{"nemesis.intensity", "high"}};
  s.faults = {{milliseconds(2300), chaos::FaultKind::kKillOne, milliseconds(800), 12345},
              {seconds(5), chaos::FaultKind::kClockJump, Duration{0}, UINT64_MAX}};
  s.has_workload = true;
  s.clients = {{{milliseconds(12), check::Op::write("k1", "c0-1")},
                {milliseconds(3), check::Op::cas("k1", std::nullopt, "c0-2")},
                {milliseconds(7), check::Op::cas("k1", std::string("c0-2"), "c0-3")},
                {milliseconds(1), check::Op::read("k1")}},
               {},
               {{Duration{0}, check::Op::append("a0", "c2-1;")}, {milliseconds(9), check::Op::del("k2")}}};
  return s;
}

TEST(Schedule, RoundTripsThroughJson) {
  const RunSchedule s = sample();
  auto back = parse_schedule(schedule_to_json(s), "test");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
  RunSchedule faults_only = s;
  faults_only.has_workload = false;
  faults_only.clients.clear();
  auto back2 = parse_schedule(schedule_to_json(faults_only), "test");
  ASSERT_TRUE(back2.ok()) << back2.status();
  EXPECT_EQ(*back2, faults_only);
  EXPECT_EQ(s.operation_count(), 6u);
  // The cluster size and duration the run was given come back too.
  RunSchedule shaped = s;
  shaped.nodes = 5;
  shaped.duration = seconds(20);
  auto back3 = parse_schedule(schedule_to_json(shaped), "test");
  ASSERT_TRUE(back3.ok()) << back3.status();
  EXPECT_EQ(*back3, shaped);
}

void expect_refused(const std::string& text, const std::string& words) {
  auto r = parse_schedule(text, "f.json");
  ASSERT_FALSE(r.ok()) << text;
  const std::string message(r.status().message());
  EXPECT_EQ(message.rfind("f.json", 0), 0u) << message;
  EXPECT_NE(message.find(words), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(Schedule, BadFilesAreRefusedByName) {
  const std::string head = R"({"shoal_schedule": 1, "scenario": "chaos-kv", "seed": 3, )";
  expect_refused("nonsense", "not JSON");
  expect_refused(R"({"scenario": "x"})", "not a schedule");
  expect_refused(R"({"shoal_schedule": 1, "seed": 3, "faults": []})", "\"scenario\" is missing");
  expect_refused(head + R"("faults": [{"at_ns": 1, "kind": "meteor", "length_ns": 0, "salt": 1}]})",
                 "fault 0: unknown fault kind 'meteor'");
  expect_refused(head + R"("faults": [{"at_ns": -1, "kind": "pause", "length_ns": 0, "salt": 1}]})",
                 "fault 0: \"at_ns\" must be an integer");
  expect_refused(head + R"("faults": [{"at_ns": 1, "kind": "pause", "length_ns": 0}]})", "\"salt\" is missing");
  expect_refused(head + R"("faults": [{"at_ns": 1, "kind": "pause", "length_ns": 0, "salt": 1, "x": 2}]})",
                 "unknown field \"x\"");
  expect_refused(head + R"("faults": [], "clients": [[{"think_ns": 1, "f": "put", "key": "k"}]]})",
                 "client 0 op 0: put needs a value");
  expect_refused(head + R"("faults": [], "clients": [[{"think_ns": 1, "f": "launch", "key": "k"}]]})",
                 "unknown operation 'launch'");
  expect_refused(head + R"("faults": [], "colour": "red"})", "unknown field \"colour\"");
  expect_refused(head + R"("faults": [], "nodes": 0})", "\"nodes\" must be an integer");
  expect_refused(head + R"("faults": [], "duration_ns": "20s"})", "\"duration_ns\" must be an integer");
}

}  // namespace
}  // namespace shoal::scenarios
