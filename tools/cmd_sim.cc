// `shoal sim run` and `shoal sim list`: seeded scenarios from the command line.
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "reports/report_files.h"
#include "reports/run_report.h"
#include "scenarios/schedule.h"
#include "scenarios/shrink.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/sim_output.h"

namespace shoal::tools {
namespace {

struct RunFlags {
  std::string scenario = scenarios::kDefaultScenario;
  uint64_t seed = 1;
  int nodes = 0;
  std::string duration;
  bool check_determinism = false;
  std::string trace_file;
  std::string report_dir;
  bool json = false;
  std::vector<std::string> params;
  std::string schedule_file;  // --schedule: replay this schedule instead of the seed's choices
  std::string record_file;    // --record: write the run's schedule here
};

std::string trace_line(const sim::TraceRecord& t) {
  return format_time(t.at) + " n" + std::to_string(t.node) + " " + t.kind + " " + t.text;
}

// The scenario options the flags of run and replay ask for, or what is wrong.
std::string options_from(const RunFlags& f, scenarios::ScenarioOptions* opts) {
  opts->seed = f.seed;
  if (f.nodes != 0) opts->nodes = f.nodes;
  if (!f.duration.empty()) {
    auto d = parse_duration(f.duration);
    if (!d) return "--duration: '" + f.duration + "' is not a duration like 30s or 500ms";
    opts->duration = *d;
  }
  for (const std::string& p : f.params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return "--param: '" + p + "' is not name=value";
    opts->params[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (!f.schedule_file.empty()) {
    auto schedule = scenarios::read_schedule_file(f.schedule_file);
    if (!schedule.ok()) return "--schedule: " + std::string(schedule.status().message());
    if (schedule->scenario != f.scenario || schedule->seed != f.seed) {
      return "--schedule: " + f.schedule_file + " was recorded for --scenario " + schedule->scenario + " --seed " +
             std::to_string(schedule->seed);
    }
    // The schedule's parameters shaped its run; they come with it.
    if (f.params.empty()) opts->params = schedule->params;
    if (opts->params != schedule->params) return "--schedule: the --param values differ from the schedule's";
    opts->schedule = std::make_shared<scenarios::RunSchedule>(std::move(*schedule));
    opts->schedule_source = f.schedule_file;
  }
  return "";
}

// Writes the run's recorded schedule to `path`; "" or what went wrong.
std::string write_schedule(const scenarios::ScenarioResult& r, const std::string& path) {
  if (!r.schedule) return "--record: scenario " + r.scenario + " records no schedule (only swarm scenarios do)";
  std::ofstream out(path);
  out << scenarios::schedule_to_json(*r.schedule);
  out.close();
  if (!out) return "--record: cannot write " + path;
  return "";
}

// Runs the scenario twice with full traces and names the first event where
// the two runs part ways.
int check_determinism(const scenarios::Scenario& s, scenarios::ScenarioOptions opts,
                      const scenarios::ScenarioResult& first) {
  std::vector<std::string> a, b;
  opts.tracer = [&a](const sim::TraceRecord& t) { a.push_back(trace_line(t)); };
  const auto ra = scenarios::run_scenario(s, opts);
  opts.tracer = [&b](const sim::TraceRecord& t) { b.push_back(trace_line(t)); };
  const auto rb = scenarios::run_scenario(s, opts);
  if (ra.trace_hash == rb.trace_hash && ra.trace_hash == first.trace_hash) {
    std::cout << "determinism: 3 runs, one trace hash\n";
    return kExitPass;
  }
  std::cout << "determinism: MISMATCH (trace hashes differ between runs of one seed)\n";
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i < a.size() || i < b.size()) {
    std::cout << "  first divergent event #" << i << "\n"
              << "  run 1: " << (i < a.size() ? a[i] : "(end of trace)") << "\n"
              << "  run 2: " << (i < b.size() ? b[i] : "(end of trace)") << "\n";
  } else {
    std::cout << "  the readable traces agree; the divergence is in untraced state\n";
  }
  return kExitNondeterminism;
}

int run(const RunFlags& f) {
  auto found = scenarios::load_scenario(f.scenario);
  if (!found.ok()) return usage_error(std::string(found.status().message()));
  const scenarios::Scenario* s = *found;
  scenarios::ScenarioOptions opts;
  if (std::string err = options_from(f, &opts); !err.empty()) return usage_error(err);
  // A report keeps the run's trace beside it unless --trace asks for it elsewhere.
  std::string trace_file = f.trace_file;
  if (!f.report_dir.empty() && trace_file.empty()) {
    absl::Status s = reports::make_report_dir(f.report_dir);
    if (!s.ok()) return usage_error("--report: " + std::string(s.message()));
    trace_file = f.report_dir + "/trace.txt";
  }
  std::unique_ptr<std::ofstream> trace;
  if (!trace_file.empty()) {
    trace = std::make_unique<std::ofstream>(trace_file);
    if (!*trace) return usage_error("--trace: cannot write " + trace_file);
    opts.tracer = [t = trace.get()](const sim::TraceRecord& r) { *t << trace_line(r) << '\n'; };
  }
  const double start = wall_seconds();
  scenarios::ScenarioResult r;
  try {
    r = scenarios::run_scenario(*s, opts);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  const double wall = wall_seconds() - start;
  trace.reset();
  if (!f.record_file.empty()) {
    if (std::string err = write_schedule(r, f.record_file); !err.empty()) return usage_error(err);
  }
  if (f.json) {
    std::cout << boost::json::serialize(render_json(r, wall)) << "\n";
  } else {
    std::cout << render_text(r, wall);
  }
  if (!f.report_dir.empty()) {
    const auto info = run_report_info(r, wall, f.trace_file.empty() ? "trace.txt" : "");
    if (absl::Status s = reports::write_run_report(f.report_dir, r, info); !s.ok()) {
      return usage_error("--report: " + std::string(s.message()));
    }
  }
  const int code = exit_code_for(r);
  if (f.check_determinism) {
    opts.tracer = nullptr;
    const int d = check_determinism(*s, opts, r);
    if (d != kExitPass) return d;
  }
  return code;
}

// Replays one seed as a readable trace (every event up to --until) followed
// by the checker verdicts.
int replay(const RunFlags& f, const std::string& until_text) {
  auto found = scenarios::load_scenario(f.scenario);
  if (!found.ok()) return usage_error(std::string(found.status().message()));
  const scenarios::Scenario* s = *found;
  std::optional<Duration> until;
  if (!until_text.empty()) {
    until = parse_duration(until_text);
    if (!until) return usage_error("--until: '" + until_text + "' is not a duration like 12.5s");
  }
  scenarios::ScenarioOptions opts;
  if (std::string err = options_from(f, &opts); !err.empty()) return usage_error(err);
  opts.tracer = [until](const sim::TraceRecord& t) {
    if (until && t.at.time_since_epoch() > *until) return;
    std::cout << trace_line(t) << '\n';
  };
  scenarios::ScenarioResult r;
  try {
    r = scenarios::run_scenario(*s, opts);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  std::cout << "----\n" << render_text(r, 0);
  return exit_code_for(r);
}

// Shrinks a failing seed to a small schedule, writes it, and prints the
// command that replays it.
int shrink(const RunFlags& f, const std::string& out_path, size_t runs_max) {
  auto found = scenarios::load_scenario(f.scenario);
  if (!found.ok()) return usage_error(std::string(found.status().message()));
  const scenarios::Scenario* s = *found;
  if (!f.schedule_file.empty()) return usage_error("--schedule: shrink starts from the seed's own run");
  scenarios::ScenarioOptions opts;
  if (std::string err = options_from(f, &opts); !err.empty()) return usage_error(err);
  scenarios::ShrinkOptions so;
  so.runs_max = runs_max;
  so.progress = [](const std::string& line) { std::cout << "  " << line << std::endl; };
  std::cout << "shrinking " << s->name << " seed " << f.seed << "\n";
  const double start = wall_seconds();
  scenarios::ShrinkReport rep;
  try {
    rep = scenarios::shrink_failure(*s, opts, so);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  if (!rep.error.empty()) {
    std::cout << rep.error << "\n";
    return kExitCheckFailed;
  }
  const std::string path = !out_path.empty() ? out_path : "shrunk-" + std::to_string(f.seed) + ".schedule.json";
  std::ofstream out(path);
  out << scenarios::schedule_to_json(rep.shrunk);
  out.close();
  if (!out) return usage_error("--out: cannot write " + path);
  std::cout << "failing check: " << rep.target << "\n"
            << "faults: " << rep.original.faults.size() << " -> " << rep.shrunk.faults.size()
            << "   operations: " << rep.original.operation_count() << " -> " << rep.shrunk.operation_count()
            << "   runs: " << rep.runs << "   wall: " << wall_seconds() - start << "s\n"
            << "shrunk faults:\n"
            << (rep.shrunk.faults.empty() ? std::string("  (none: the workload alone fails)\n")
                                          : scenarios::describe_faults(rep.shrunk.faults));
  std::cout << "verdict: " << rep.target << ": " << rep.verdict << "\n";
  std::cout << "schedule: " << path << "\n"
            << "replay: ./tools/shoal sim run --scenario " << s->name << " --seed " << f.seed
            << " --schedule " << path << "\n";
  return kExitPass;
}

int list() {
  for (const auto& s : scenarios::catalogue()) {
    std::printf("%-22s %s (default %d nodes, %s)\n", s.name.c_str(), s.description.c_str(),
                s.default_nodes, format_duration(s.default_duration).c_str());
  }
  return kExitPass;
}

CommandRegistration reg("sim", [](CLI::App& root) {
  CLI::App& sim = group(root, "sim", "run seeded scenarios in the deterministic simulator");
  auto flags = std::make_shared<RunFlags>();
  CLI::App* r = sim.add_subcommand("run", "run one scenario with one seed and print a summary");
  r->add_option("--scenario", flags->scenario, "scenario name (see `shoal sim list`)")
      ->capture_default_str();
  r->add_option("--seed", flags->seed, "the run's seed")->capture_default_str()->transform(seed_validator());
  r->add_option("--nodes", flags->nodes, "cluster size (default: the scenario's)")
      ->check(CLI::Range(1, 64));
  r->add_option("--duration", flags->duration, "virtual run time, e.g. 60s (default: the scenario's)");
  r->add_flag("--check-determinism", flags->check_determinism,
              "run the seed again and compare trace hashes (exit 4 on mismatch)");
  r->add_option("--trace", flags->trace_file, "write a readable trace of every event to FILE");
  r->add_option("--report", flags->report_dir,
                "write a report to DIR: index.html, summary.md, result.json, history.jsonl and, unless --trace "
                "names another file, trace.txt");
  r->add_flag("--json", flags->json, "print the result as JSON");
  r->add_option("--param", flags->params, "a scenario parameter, name=value (repeatable)");
  r->add_option("--schedule", flags->schedule_file,
                "run this recorded or shrunk schedule (faults and workload) instead of the seed's own choices");
  r->add_option("--record", flags->record_file, "write the run's schedule (faults and workload) to FILE");
  set_action(*r, [flags] { return run(*flags); });
  auto rflags = std::make_shared<RunFlags>();
  auto until = std::make_shared<std::string>();
  CLI::App* rp = sim.add_subcommand("replay", "print a readable trace of one seed, then its verdicts");
  rp->add_option("--scenario", rflags->scenario, "scenario name")->capture_default_str();
  rp->add_option("--seed", rflags->seed, "the seed to replay")->capture_default_str()->transform(seed_validator());
  rp->add_option("--nodes", rflags->nodes, "cluster size (as in the run)")->check(CLI::Range(1, 64));
  rp->add_option("--duration", rflags->duration, "virtual run time (as in the run)");
  rp->add_option("--param", rflags->params, "scenario parameters (as in the run)");
  rp->add_option("--schedule", rflags->schedule_file, "the schedule the run used, if any");
  rp->add_option("--until", *until, "stop printing events after this virtual time, e.g. 12.5s");
  set_action(*rp, [rflags, until] { return replay(*rflags, *until); });
  auto sflags = std::make_shared<RunFlags>();
  auto out = std::make_shared<std::string>();
  auto runs_max = std::make_shared<size_t>(400);
  CLI::App* sh = sim.add_subcommand("shrink", "reduce a failing seed to the smallest schedule that still fails");
  sh->add_option("--scenario", sflags->scenario, "scenario name or spec file")->required();
  sh->add_option("--seed", sflags->seed, "the failing seed")->required()->transform(seed_validator());
  sh->add_option("--nodes", sflags->nodes, "cluster size (as in the run)")->check(CLI::Range(1, 64));
  sh->add_option("--duration", sflags->duration, "virtual run time (as in the run)");
  sh->add_option("--param", sflags->params, "scenario parameters (as in the run)");
  sh->add_option("--out", *out, "where to write the shrunk schedule (default shrunk-SEED.schedule.json)");
  sh->add_option("--runs-max", *runs_max, "candidate runs at most")->capture_default_str()->check(CLI::Range(2, 100000));
  set_action(*sh, [sflags, out, runs_max] { return shrink(*sflags, *out, *runs_max); });
  CLI::App* l = sim.add_subcommand("list", "list the scenario catalogue");
  set_action(*l, [] { return list(); });
});

}  // namespace
}  // namespace shoal::tools
