// `shoal sim sweep`: many seeds of one or all scenarios, in parallel processes.
//
// Each seed runs as a child `shoal sim run --json` so a crash or a hang of one
// seed cannot take the sweep down, and so the jobs use every core. A progress
// line (done, failed, seeds/s, ETA) updates on stderr; the sweep ends with a
// table of failures, each with the one command that replays it, and exits 1
// when anything failed. --shard I/N keeps every N-th job starting at I, so a
// CI matrix or indexed batch jobs can split one sweep across machines.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <iostream>
#include <map>

#include <boost/json.hpp>

#include "scenarios/scenario.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

struct SweepFlags {
  std::string scenario = "all";
  std::string seeds = "1..100";
  int jobs = 0;
  std::string shard;
  std::string timeout = "300s";
  std::vector<std::string> params;
  size_t max_failures = 0;  // stop starting seeds after this many failures (0: never)
  std::string report_dir;   // keep a report of each failure under it
};


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

// Reports kept at most per sweep (each is a full re-run of the seed).
constexpr size_t kReportsKeptMax = 20;

struct Failure {
  Job job;
  int exit_code;
  std::string summary;
};

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "shoal";
}

Running spawn(const std::string& exe, const Job& job, const std::vector<std::string>& params,
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
    for (const auto& p : params) {
      args.push_back("--param");
      args.push_back(p);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  return Running{job, pid, pipefd[0], "", wall_seconds()};
}

// The failing checks of a run's JSON, as one line.
std::string summarise(const std::string& json_text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json_text, ec);
  if (ec || !v.is_object()) return "no result (the run crashed?)";
  std::string s;
  for (const auto& c : v.as_object().at("checks").as_array()) {
    const auto& o = c.as_object();
    if (!o.at("ok").as_bool()) s += std::string(o.at("name").as_string().c_str()) + "; ";
  }
  return s.empty() ? "?" : s;
}

// Runs one failed seed again (deterministically the same run) with --report,
// and returns the report's directory, or why there is none.
std::string keep_report(const std::string& exe, const Job& job, const std::vector<std::string>& params,
                        const std::string& root) {
  std::string name = job.scenario;
  for (char& c : name) {
    if (c == '/' || c == '.') c = '_';
  }
  const std::string dir = root + "/" + name + "-" + std::to_string(job.seed);
  Running r = spawn(exe, job, params, dir);
  char buf[8192];
  while (::read(r.fd, buf, sizeof buf) > 0) {
  }
  ::close(r.fd);
  int status = 0;
  ::waitpid(r.pid, &status, 0);
  if (WIFSIGNALED(status)) return dir + " (the run crashed before its report; the trace is there)";
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

int sweep(const SweepFlags& f) {
  const auto range = parse_seed_range("--seeds", f.seeds);
  if (!range.ok()) return usage_error(std::string(range.status().message()));
  const auto timeout = parse_duration(f.timeout);
  if (!timeout) return usage_error("--timeout: '" + f.timeout + "' is not a duration");
  uint64_t shard_index = 0, shard_count = 1;
  if (!f.shard.empty()) {
    const auto slash = f.shard.find('/');
    const auto index = parse_whole_number(std::string_view(f.shard).substr(0, slash));
    const auto count =
        slash == std::string::npos ? std::nullopt : parse_whole_number(std::string_view(f.shard).substr(slash + 1));
    if (!index || !count || *count == 0 || *index >= *count) {
      return usage_error("--shard: '" + f.shard + "' is not I/N with 0 <= I < N");
    }
    shard_index = *index;
    shard_count = *count;
  }
  std::vector<std::string> names;
  if (f.scenario == "all") {
    for (const auto& s : scenarios::catalogue()) names.push_back(s.name);
  } else {
    auto found = scenarios::load_scenario(f.scenario);
    if (!found.ok()) return usage_error(std::string(found.status().message()));
    names.push_back((*found)->name);
  }
  std::deque<Job> pending;
  uint64_t k = 0;
  for (const auto& n : names) {
    // Counted from the first seed, so a range that ends at 2^64-1 ends.
    for (uint64_t i = 0; i <= range->second - range->first; ++i, ++k) {
      if (k % shard_count == shard_index) pending.push_back({n, range->first + i});
    }
  }
  const size_t total = pending.size();
  const int jobs = f.jobs > 0 ? f.jobs : static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  const std::string exe = self_exe();
  std::vector<Running> running;
  std::vector<Failure> failures;
  size_t done = 0;
  const double start = wall_seconds();
  while (!pending.empty() || !running.empty()) {
    if (f.max_failures > 0 && failures.size() >= f.max_failures) pending.clear();
    while (!pending.empty() && static_cast<int>(running.size()) < jobs) {
      running.push_back(spawn(exe, pending.front(), f.params));
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
      const bool hung = wall_seconds() - r.started > to_seconds_f(*timeout);
      if (!finished && !hung) {
        ++i;
        continue;
      }
      if (hung) ::kill(r.pid, SIGKILL);
      int status = 0;
      ::waitpid(r.pid, &status, 0);
      ::close(r.fd);
      const int code = hung ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (code != 0) failures.push_back({r.job, code, hung ? "hung past --timeout" : summarise(r.out)});
      ++done;
      fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      progress(done, total, failures.size(), start);
    }
  }
  if (::isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
  std::string param_args;
  for (const auto& p : f.params) param_args += " --param " + p;
  const double wall = wall_seconds() - start;
  std::printf("%zu seeds in %.1fs (%.0f seeds/hour), %zu failed\n", done, wall,
              wall > 0 ? static_cast<double>(done) / wall * 3600 : 0, failures.size());
  if (done < total) std::printf("stopped after %zu failures; %zu seeds not run\n", failures.size(), total - done);
  for (size_t i = 0; i < failures.size(); ++i) {
    const Failure& fl = failures[i];
    std::printf("  FAILED %-20s seed %-8llu exit %d  %s\n         replay: ./tools/shoal sim run --scenario %s --seed %llu%s\n",
                fl.job.scenario.c_str(), static_cast<unsigned long long>(fl.job.seed), fl.exit_code,
                fl.summary.c_str(), fl.job.scenario.c_str(), static_cast<unsigned long long>(fl.job.seed),
                param_args.c_str());
    if (!f.report_dir.empty() && i < kReportsKeptMax) {
      std::printf("         report: %s\n", keep_report(exe, fl.job, f.params, f.report_dir).c_str());
    }
  }
  return failures.empty() ? kExitPass : kExitCheckFailed;
}

CommandRegistration reg("sim-sweep", [](CLI::App& root) {
  CLI::App& sim = group(root, "sim", "run seeded scenarios in the deterministic simulator");
  auto f = std::make_shared<SweepFlags>();
  CLI::App* s = sim.add_subcommand("sweep", "run many seeds in parallel processes and list the failures");
  s->add_option("--scenario", f->scenario, "a scenario name, or all")->capture_default_str();
  s->add_option("--seeds", f->seeds, "seed range A..B (inclusive)")->capture_default_str();
  s->add_option("--jobs", f->jobs, "parallel processes (default: one per core)")->check(CLI::Range(0, 256));
  s->add_option("--shard", f->shard, "I/N: run only every N-th job, starting at I");
  s->add_option("--timeout", f->timeout, "kill a seed that runs longer than this")->capture_default_str();
  s->add_option("--param", f->params, "a scenario parameter name=value, passed to every run (repeatable)");
  s->add_option("--report-dir", f->report_dir,
                "keep a report (index.html, result.json, trace...) of each failing seed under DIR");
  s->add_option("--max-failures", f->max_failures, "stop starting new seeds after this many failures (0: run all)");
  set_action(*s, [f] { return sweep(*f); });
});

}  // namespace
}  // namespace shoal::tools
