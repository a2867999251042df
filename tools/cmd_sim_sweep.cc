// `shoal sim sweep`: many seeds of one or all scenarios, in parallel processes.
//
// Each seed runs as a child `shoal sim run --json` so a crash or a hang of one
// seed cannot take the sweep down, and so the jobs use every core. A progress
// line (done, failed, seeds/s, ETA) updates on stderr; the sweep ends with a
// table of failures, each with the one command that replays it, and exits 1
// when anything failed. --shard I/N keeps every N-th job starting at I, so a
// CI matrix or indexed batch jobs can split one sweep across machines. Each
// seed's run has the bounds of `sim run` (--events-max, --wall-time-max,
// --memory-max), so a seed that livelocks or asserts ends with its own class.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <tuple>

#include <boost/json.hpp>

#include "scenarios/replay.h"
#include "scenarios/scenario.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/sim_flags.h"

namespace shoal::tools {
namespace {

struct SweepFlags {
  std::string scenario = "all";
  std::string seeds = "1..100";
  int jobs = 0;
  std::string shard;
  std::vector<std::string> params;
  BoundFlags bounds;        // per seed, passed on to each run
  size_t max_failures = 0;  // stop starting seeds after this many failures (0: never)
  std::string report_dir;   // keep a report of each failure under it
  size_t reports_max = 20;  // reports kept at most (each is a full re-run of the seed)
};

// A seed's run stops itself at its wall-time bound and then judges and
// prints its result; past the bound by this much it is killed as hung.
constexpr double kKillGraceSeconds = 60;

struct Job {
  std::string scenario;
  uint64_t seed;
};

struct Running {
  Job job;
  pid_t pid;
  int fd;
  std::string out;
  double started;
};

struct Failure {
  Job job;
  int exit_code;
  std::string summary;
  std::string trace_hash;  // as the run printed it; "?" when it printed none
};

// Runs `shoal sim run --json` for one seed in a child process, with the
// sweep's parameters and bounds (`pass_on`), and --report DIR when given.
Running spawn(const std::string& exe, const Job& job, const std::vector<std::string>& pass_on,
              const std::string& report_dir = "") {
  int pipefd[2];
  if (::pipe(pipefd) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(pipefd[1], STDOUT_FILENO);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    const std::string seed = std::to_string(job.seed);
    std::vector<std::string> args = {exe, "sim", "run", "--scenario", job.scenario, "--seed", seed, "--json"};
    if (!report_dir.empty()) {
      args.push_back("--report");
      args.push_back(report_dir);
    }
    args.insert(args.end(), pass_on.begin(), pass_on.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  return Running{job, pid, pipefd[0], "", wall_seconds()};
}

// What a failed run printed, from its JSON: what failed, as one line (the
// stop when it stopped, else the failing checks), and its trace hash.
Failure failure_of(const Job& job, int exit_code, const std::string& json_text) {
  Failure f{job, exit_code, "", "?"};
  boost::system::error_code ec;
  auto v = boost::json::parse(json_text, ec);
  if (ec || !v.is_object()) {
    f.summary = exit_code > 128 ? "no result: the run died on signal " + std::to_string(exit_code - 128)
                                : "no result: the run printed no JSON";
    return f;
  }
  const auto& o = v.as_object();
  if (const auto* hash = o.if_contains("trace_hash"); hash != nullptr && hash->is_string()) {
    f.trace_hash = std::string(hash->as_string());
  }
  if (const auto* stop = o.if_contains("stop"); stop != nullptr && stop->is_object()) {
    f.summary = std::string(stop->as_object().at("kind").as_string()) + ": " +
                std::string(stop->as_object().at("message").as_string());
    return f;
  }
  for (const auto& c : o.at("checks").as_array()) {
    const auto& check = c.as_object();
    if (!check.at("ok").as_bool()) f.summary += std::string(check.at("name").as_string().c_str()) + "; ";
  }
  if (f.summary.empty()) f.summary = "?";
  return f;
}

// Runs one failed seed again (deterministically the same run) with --report,
// and returns the report's directory, or why there is none.
std::string keep_report(const std::string& exe, const Job& job, const std::vector<std::string>& pass_on,
                        const std::string& root) {
  std::string name = job.scenario;
  for (char& c : name) {
    if (c == '/' || c == '.') c = '_';
  }
  const std::string dir = root + "/" + name + "-" + std::to_string(job.seed);
  Running r = spawn(exe, job, pass_on, dir);
  char buf[8192];
  while (::read(r.fd, buf, sizeof buf) > 0) {
  }
  ::close(r.fd);
  int status = 0;
  ::waitpid(r.pid, &status, 0);
  if (WIFSIGNALED(status)) return dir + " (the run died on signal " + std::to_string(WTERMSIG(status)) + " before its report)";
  return dir;
}

void progress(size_t done, size_t total, size_t failed, double start) {
  // On a terminal the line redraws itself; in a log, a line every few seconds.
  static const bool tty = ::isatty(STDERR_FILENO);
  static double last_line = 0;
  if (!tty && done != total && wall_seconds() - last_line < 5) return;
  last_line = wall_seconds();
  const double elapsed = wall_seconds() - start;
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  const int width = 30;
  const int filled = total ? static_cast<int>(width * done / total) : width;
  std::fprintf(stderr, tty ? "\r[%s%s] %zu/%zu done, %zu failed, %.1f seeds/s, ETA %.0fs   "
                           : "[%s%s] %zu/%zu done, %zu failed, %.1f seeds/s, ETA %.0fs\n",
               std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), '.').c_str(), done, total, failed, rate, eta);
  std::fflush(stderr);
}

// The sweep's jobs, in order: every seed of every scenario asked for, kept
// to this shard. "" or what is wrong with the flags.
std::string plan_jobs(const SweepFlags& f, std::deque<Job>* pending) {
  const auto range = parse_seed_range("--seeds", f.seeds);
  if (!range.ok()) return std::string(range.status().message());
  uint64_t shard_index = 0, shard_count = 1;
  if (!f.shard.empty()) {
    const auto slash = f.shard.find('/');
    const auto index = parse_whole_number(std::string_view(f.shard).substr(0, slash));
    const auto count =
        slash == std::string::npos ? std::nullopt : parse_whole_number(std::string_view(f.shard).substr(slash + 1));
    if (!index || !count || *count == 0 || *index >= *count) return "--shard: '" + f.shard + "' is not I/N with 0 <= I < N";
    shard_index = *index;
    shard_count = *count;
  }
  std::vector<std::string> names;
  if (f.scenario == "all") {
    for (const auto& s : scenarios::catalogue()) names.push_back(s.name);
  } else {
    auto found = scenarios::load_scenario(f.scenario);
    if (!found.ok()) return std::string(found.status().message());
    names.push_back((*found)->name);
  }
  uint64_t k = 0;
  for (const auto& n : names) {
    // Counted from the first seed, so a range that ends at 2^64-1 ends.
    for (uint64_t i = 0; i <= range->second - range->first; ++i, ++k) {
      if (k % shard_count == shard_index) pending->push_back({n, range->first + i});
    }
  }
  return "";
}

// What the sweep passes on to every run: its parameters and bounds.
std::vector<std::string> pass_on_args(const SweepFlags& f) {
  std::vector<std::string> args;
  for (const auto& p : f.params) args.insert(args.end(), {"--param", p});
  if (!f.bounds.events_max.empty()) args.insert(args.end(), {"--events-max", f.bounds.events_max});
  if (!f.bounds.wall_time_max.empty()) args.insert(args.end(), {"--wall-time-max", f.bounds.wall_time_max});
  if (!f.bounds.memory_max.empty()) args.insert(args.end(), {"--memory-max", f.bounds.memory_max});
  return args;
}

struct SweepOutcome {
  std::vector<Failure> failures;
  size_t done = 0;
};

// Runs the jobs, `jobs` at a time, until they are done or max_failures is
// reached; a run still going kill_after_seconds after it started is killed.
SweepOutcome run_jobs(const SweepFlags& f, std::deque<Job> pending, const std::vector<std::string>& pass_on,
                      double kill_after_seconds) {
  const size_t total = pending.size();
  const int jobs = f.jobs > 0 ? f.jobs : static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  const std::string exe = scenarios::running_binary();
  std::vector<Running> running;
  SweepOutcome out;
  const double start = wall_seconds();
  while (!pending.empty() || !running.empty()) {
    if (f.max_failures > 0 && out.failures.size() >= f.max_failures) pending.clear();
    while (!pending.empty() && static_cast<int>(running.size()) < jobs) {
      running.push_back(spawn(exe, pending.front(), pass_on));
      pending.pop_front();
    }
    std::vector<pollfd> fds;
    for (const auto& r : running) fds.push_back({r.fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 200);
    for (size_t i = 0; i < running.size();) {
      Running& r = running[i];
      bool finished = false;
      if (fds[i].revents & (POLLIN | POLLHUP)) {
        char buf[8192];
        const ssize_t n = ::read(r.fd, buf, sizeof buf);
        if (n > 0) r.out.append(buf, static_cast<size_t>(n));
        finished = n <= 0;
      }
      const bool hung = wall_seconds() - r.started > kill_after_seconds;
      if (!finished && !hung) {
        ++i;
        continue;
      }
      if (hung) ::kill(r.pid, SIGKILL);
      int status = 0;
      ::waitpid(r.pid, &status, 0);
      ::close(r.fd);
      const int code = hung ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (hung) {
        out.failures.push_back({r.job, code, "hung: killed past its wall-time bound and the grace after it", "?"});
      } else if (code != 0) {
        out.failures.push_back(failure_of(r.job, code, r.out));
      }
      ++out.done;
      fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      progress(out.done, total, out.failures.size(), start);
    }
  }
  if (::isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
  return out;
}

// The table of failures with their replay commands, the reports kept (at
// most --reports-max, each a re-run of its seed) and why the others were not.
void print_failures(const SweepFlags& f, const std::vector<Failure>& failures, const std::vector<std::string>& pass_on,
                    const scenarios::ScenarioOptions& given) {
  size_t kept = 0;
  for (const Failure& fl : failures) {
    const scenarios::RunCommand replay{fl.job.scenario, fl.job.seed, std::nullopt, std::nullopt,
                                       given.params,    "",          given.bounds};
    std::printf("  FAILED %-20s seed %-8llu exit %d  trace %s  %s\n         replay: %s\n", fl.job.scenario.c_str(),
                static_cast<unsigned long long>(fl.job.seed), fl.exit_code, fl.trace_hash.c_str(),
                fl.summary.c_str(), scenarios::replay_command(replay, scenarios::running_binary()).c_str());
    if (!f.report_dir.empty() && kept < f.reports_max) {
      ++kept;
      std::printf("         report: %s\n",
                  keep_report(scenarios::running_binary(), fl.job, pass_on, f.report_dir).c_str());
    }
  }
  if (f.report_dir.empty() || failures.empty()) return;
  std::printf("reports: kept %zu of %zu failing seeds under %s", kept, failures.size(), f.report_dir.c_str());
  if (kept < failures.size()) std::printf("; %zu not kept: --reports-max %zu reached", failures.size() - kept, f.reports_max);
  std::printf("\n");
}

int sweep(const SweepFlags& f) {
  std::deque<Job> pending;
  if (std::string err = plan_jobs(f, &pending); !err.empty()) return usage_error(err);
  // What every run is given, checked here once (each run would refuse it
  // alike) and named in each replay command.
  scenarios::ScenarioOptions given;
  RunFlags run_flags;
  run_flags.params = f.params;
  run_flags.bounds = f.bounds;
  if (std::string err = options_from(run_flags, &given); !err.empty()) return usage_error(err);
  const double kill_after =
      to_seconds_f(given.bounds.wall_time_max.value_or(sim::RunBounds{}.wall_time_max)) + kKillGraceSeconds;
  const std::vector<std::string> pass_on = pass_on_args(f);
  const size_t total = pending.size();
  const double start = wall_seconds();
  SweepOutcome out = run_jobs(f, std::move(pending), pass_on, kill_after);
  // In the order of the jobs, not of their finishing.
  std::sort(out.failures.begin(), out.failures.end(), [](const Failure& a, const Failure& b) {
    return std::tie(a.job.scenario, a.job.seed) < std::tie(b.job.scenario, b.job.seed);
  });
  const double wall = wall_seconds() - start;
  std::printf("%zu seeds in %.1fs (%.0f seeds/hour), %zu failed\n", out.done, wall,
              wall > 0 ? static_cast<double>(out.done) / wall * 3600 : 0, out.failures.size());
  if (out.done < total) {
    std::printf("stopped after %zu failures (--max-failures %zu reached); %zu seeds not run\n", out.failures.size(),
                f.max_failures, total - out.done);
  }
  print_failures(f, out.failures, pass_on, given);
  return out.failures.empty() ? kExitPass : kExitCheckFailed;
}

CommandRegistration reg("sim-sweep", [](CLI::App& root) {
  CLI::App& sim = group(root, "sim", "run seeded scenarios in the deterministic simulator");
  auto f = std::make_shared<SweepFlags>();
  CLI::App* s = sim.add_subcommand("sweep", "run many seeds in parallel processes and list the failures");
  s->footer("Each seed runs as `shoal sim run` with the bounds above and exits with its class: 0 pass, 1 a checker "
            "failed, 3 liveness, 5 an engine assertion stopped the run, 6 the run passed a bound; a seed still "
            "running a minute past its wall-time bound is killed as hung. The sweep exits 1 when any seed failed, "
            "2 on bad flags.");
  s->add_option("--scenario", f->scenario, "a scenario name, or all")->capture_default_str();
  s->add_option("--seeds", f->seeds, "seed range A..B (inclusive)")->capture_default_str();
  s->add_option("--jobs", f->jobs, "parallel processes (default: one per core)")->check(CLI::Range(0, 256));
  s->add_option("--shard", f->shard, "I/N: run only every N-th job, starting at I");
  s->add_option("--param", f->params, "a scenario parameter name=value, passed to every run (repeatable)");
  add_bound_flags(*s, f->bounds, "each seed's run");
  s->add_option("--report-dir", f->report_dir,
                "keep a report (index.html, result.json, trace-tail.txt...) of each failing seed under DIR");
  s->add_option("--reports-max", f->reports_max, "reports kept at most (each re-runs its seed)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{100000}));
  s->add_option("--max-failures", f->max_failures, "stop starting new seeds after this many failures (0: run all)")
      ->check(CLI::Range(size_t{0}, size_t{1000000}));
  set_action(*s, [f] { return sweep(*f); });
});

}  // namespace
}  // namespace shoal::tools
