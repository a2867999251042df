#include "scenarios/shrink.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace shoal::scenarios {
namespace {

// What one isolated run came to: each failing check with its detail (a crash
// counts as the check "crash: <assertion>"), and the recorded schedule.
struct Outcome {
  std::vector<std::pair<std::string, std::string>> failed;
  std::shared_ptr<RunSchedule> schedule;
  uint64_t trace_hash = 0;

  const std::string* detail_of(const std::string& name) const {
    for (const auto& [n, d] : failed) {
      if (n == name) return &d;
    }
    return nullptr;
  }
};

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\t', ' ');
  return s;
}

// The name a stop is shrunk by: an assertion by what failed and where (so a
// candidate that trips another assertion does not count), a bound by its kind.
std::string stop_name(const sim::RunStop& stop) {
  if (stop.is_bound()) return std::string(sim::stop_kind_name(stop.kind));
  return "assertion: " + stop.expression + " (" + stop.file + ":" + std::to_string(stop.line) + ")";
}

// Runs in a forked child that reports through a pipe: "check\tNAME\tDETAIL"
// lines (a stop, then safety, then liveness), "hash\tTRACE_HASH", then
// "schedule\tJSON".
// A child that outlives its wall-time bound by this much (judging included) is killed.
constexpr double kKillGraceSeconds = 30;

Outcome run_isolated(const Scenario& scenario, const ScenarioOptions& opts) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::cout.flush();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    ::dup2(fds[1], STDERR_FILENO);  // an assertion's message comes through too
    std::string out;
    const ScenarioResult r = run_scenario(scenario, opts);
    if (r.stop) out += "check\t" + stop_name(*r.stop) + "\t" + one_line(r.stop->message) + "\n";
    for (const auto& c : r.checks) {
      if (!c.ok) out += "check\t" + c.name + "\t" + one_line(c.message) + "\n";
    }
    if (!r.liveness.ok) out += "check\t" + r.liveness.name + "\t" + one_line(r.liveness.message) + "\n";
    out += "hash\t" + std::to_string(r.trace_hash) + "\n";
    if (r.schedule) out += "schedule\t" + schedule_to_json(*r.schedule);
    for (size_t done = 0; done < out.size();) {
      const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) ::_exit(3);
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[65536];
  // The child's bounds stop a broken engine; a child that hangs outside them
  // (an endless loop within one event) is killed, a failure of its own kind.
  const double kill_after = to_seconds_f(*opts.bounds.wall_time_max) + kKillGraceSeconds;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(kill_after * 1000));
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) == 0) {
      timed_out = true;
      break;
    }
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome o;
  if (timed_out) {
    o.failed.emplace_back("timeout", absl::StrCat("the run did not end within ", kill_after, "s"));
    return o;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    // An engine assertion stops the run inside the child and is reported
    // above; what ends the child itself is a crash outside the engine's
    // assertions, named by its signal.
    const std::string what = WIFSIGNALED(status) ? "crash: signal " + std::to_string(WTERMSIG(status))
                                                 : "crash: exit " + std::to_string(WEXITSTATUS(status));
    o.failed.emplace_back(what, one_line(text.substr(0, 300)));
    return o;
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto tab = line.find('\t');
    const std::string kind = line.substr(0, tab);
    const std::string rest = tab == std::string::npos ? "" : line.substr(tab + 1);
    if (kind == "check") {
      const auto tab2 = rest.find('\t');
      o.failed.emplace_back(rest.substr(0, tab2), tab2 == std::string::npos ? "" : rest.substr(tab2 + 1));
    } else if (kind == "hash") {
      std::from_chars(rest.data(), rest.data() + rest.size(), o.trace_hash);
    } else if (kind == "schedule") {
      auto s = parse_schedule(rest, "the child's schedule");
      if (s.ok()) o.schedule = std::make_shared<RunSchedule>(std::move(*s));
    }
  }
  return o;
}

// ddmin over `items` (Zeller and Hildebrandt, 2002): tries each chunk alone,
// then the rest without each chunk, refining the chunks when neither fails.
// Returns a subset (order kept) for which fails() holds, 1-minimal when the
// budget allows. Granularity stops at `granularity_max`.
template <typename T>
std::vector<T> ddmin(std::vector<T> items, const std::function<bool(const std::vector<T>&)>& fails,
                     const std::function<bool()>& budget_left, size_t granularity_max) {
  if (items.size() == 1 && budget_left() && fails({})) return {};
  size_t n = 2;
  while (items.size() >= 2 && budget_left()) {
    const size_t chunk = (items.size() + n - 1) / n;
    bool reduced = false;
    // A chunk alone may fail: the biggest step down.
    for (size_t start = 0; start < items.size() && budget_left() && n > 2; start += chunk) {
      std::vector<T> alone(items.begin() + static_cast<std::ptrdiff_t>(start),
                           items.begin() + static_cast<std::ptrdiff_t>(std::min(start + chunk, items.size())));
      if (fails(alone)) {
        items = std::move(alone);
        n = 2;
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    // Else the rest without a chunk.
    for (size_t start = 0; start < items.size() && budget_left(); start += chunk) {
      std::vector<T> rest(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(start));
      rest.insert(rest.end(), items.begin() + static_cast<std::ptrdiff_t>(std::min(start + chunk, items.size())),
                  items.end());
      if (fails(rest)) {
        items = std::move(rest);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    if (n >= items.size() || n >= granularity_max) break;
    n = std::min(n * 2, items.size());
  }
  if (items.size() == 1 && budget_left() && fails({})) return {};
  return items;
}

}  // namespace

ShrinkReport shrink_failure(const Scenario& scenario, ScenarioOptions opts, const ShrinkOptions& options) {
  ShrinkReport report;
  opts.schedule = nullptr;
  opts.tracer = nullptr;
  if (!opts.bounds.wall_time_max) opts.bounds.wall_time_max = seconds(options.run_timeout_seconds);
  if (!scenario.records_schedule) {
    report.error = scenario.name + " records no schedule; only swarm scenarios (chaos-*, spec files) shrink";
    return report;
  }
  const Outcome first = run_isolated(scenario, opts);
  report.runs = 1;
  if (first.failed.empty()) {
    report.error = absl::StrCat("seed ", opts.seed, " of ", scenario.name, " passes: nothing to shrink");
    return report;
  }
  report.target = first.failed.front().first;
  if (first.schedule) {
    report.original = *first.schedule;
  } else {
    ScenarioOptions plan = opts;
    plan.plan_only = true;
    report.original = *run_scenario(scenario, plan).schedule;
  }
  RunSchedule best = report.original;
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  auto budget_left = [&] { return report.runs < options.runs_max; };
  auto fails = [&](const RunSchedule& candidate) {
    ScenarioOptions o = opts;
    o.schedule = std::make_shared<RunSchedule>(candidate);
    const Outcome r = run_isolated(scenario, o);
    ++report.runs;
    const std::string* detail = r.detail_of(report.target);
    if (detail) {
      report.verdict = *detail;
      report.trace_hash = r.trace_hash;
    }
    return detail != nullptr;
  };
  if (!fails(best)) {
    report.error = "the recorded schedule does not reproduce the failure: the schedule misses a choice of the run "
                   "(a harness bug; please report it with the seed)";
    return report;
  }
  say(absl::StrCat(report.target, " fails; ", best.faults.size(), " faults, ", best.operation_count(), " operations"));

  // 1. Faults.
  std::function<bool(const std::vector<chaos::Fault>&)> faults_fail = [&](const std::vector<chaos::Fault>& fs) {
    RunSchedule c = best;
    c.faults = fs;
    return fails(c);
  };
  best.faults = ddmin(best.faults, faults_fail, budget_left, SIZE_MAX);
  say(absl::StrCat("faults: ", report.original.faults.size(), " -> ", best.faults.size()));

  // 2. Shorter faults.
  for (size_t i = 0; i < best.faults.size(); ++i) {
    while (best.faults[i].length > milliseconds(20) && budget_left()) {
      RunSchedule c = best;
      c.faults[i].length /= 2;
      if (!fails(c)) break;
      best = std::move(c);
    }
  }

  // 3. The workload. A liveness failure is kept out: with fewer operations
  // "no write succeeded after the heal" becomes true for the wrong reason.
  if (report.target != "liveness" && best.has_workload) {
    for (size_t c = 0; c < best.clients.size() && budget_left(); ++c) {
      if (best.clients[c].empty()) continue;
      RunSchedule without = best;
      without.clients[c].clear();
      if (fails(without)) best = std::move(without);
    }
    for (size_t c = 0; c < best.clients.size(); ++c) {
      // The shortest failing prefix, by bisection.
      size_t lo = 0, hi = best.clients[c].size();
      while (lo < hi && budget_left()) {
        const size_t mid = lo + (hi - lo) / 2;
        RunSchedule cut = best;
        cut.clients[c].resize(mid);
        if (fails(cut)) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      best.clients[c].resize(hi);
    }
    for (size_t c = 0; c < best.clients.size(); ++c) {
      std::function<bool(const std::vector<ScriptedOp>&)> ops_fail = [&](const std::vector<ScriptedOp>& ops) {
        RunSchedule cand = best;
        cand.clients[c] = ops;
        return fails(cand);
      };
      best.clients[c] = ddmin(best.clients[c], ops_fail, budget_left, 64);
    }
    say(absl::StrCat("operations: ", report.original.operation_count(), " -> ", best.operation_count()));
  }

  // The final schedule's own run, for its verdicts and the report.
  if (!fails(best)) {
    report.error = "the shrunk schedule no longer fails (non-determinism between runs; please report it)";
    return report;
  }
  report.shrunk = best;
  return report;
}

}  // namespace shoal::scenarios
