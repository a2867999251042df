// `shoal sim run`, `replay`, `shrink` and `list`: seeded scenarios from the command line.
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "reports/report_files.h"
#include "reports/run_report.h"
#include "scenarios/replay.h"
#include "scenarios/schedule.h"
#include "scenarios/shrink.h"
#include "sim/trace_tail.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/sim_flags.h"
#include "tools/sim_output.h"

namespace shoal::tools {
namespace {

// What `sim run` does besides the run itself.
struct RunOutputs {
  bool check_determinism = false;
  std::string trace_file;
  std::string report_dir;
  bool json = false;
  std::string record_file;  // --record: write the run's schedule here
};

// Writes the run's recorded schedule to `path`; "" or what went wrong.
std::string write_schedule(const scenarios::ScenarioResult& r, const std::string& path) {
  if (!r.schedule) return "--record: scenario " + r.scenario + " records no schedule (only swarm scenarios do)";
  std::ofstream out(path);
  out << scenarios::schedule_to_json(*r.schedule);
  out.close();
  if (!out) return "--record: cannot write " + path;
  return "";
}

// Runs the scenario twice more and names the first event where the runs part
// ways. A trace can be millions of lines, so the first traced run keeps one
// hash per line, the second compares as it goes and keeps only the line where
// they part; a third fetches the first run's line there.
int check_determinism(const scenarios::Scenario& s, scenarios::ScenarioOptions opts,
                      const scenarios::ScenarioResult& first) {
  std::vector<uint64_t> line_hashes;
  opts.tracer = [&line_hashes](const sim::TraceRecord& t) {
    const std::string line = sim::format_trace_line(t);
    line_hashes.push_back(stable_hash(line.data(), line.size()));
  };
  const auto ra = scenarios::run_scenario(s, opts);
  size_t index = 0;
  std::optional<std::string> second_line;
  opts.tracer = [&](const sim::TraceRecord& t) {
    if (second_line) return;
    std::string line = sim::format_trace_line(t);
    if (index >= line_hashes.size() || line_hashes[index] != stable_hash(line.data(), line.size())) {
      second_line = std::move(line);
      return;
    }
    ++index;
  };
  const auto rb = scenarios::run_scenario(s, opts);
  if (ra.trace_hash == rb.trace_hash && ra.trace_hash == first.trace_hash) {
    std::cout << "determinism: 3 runs, one trace hash\n";
    return kExitPass;
  }
  std::cout << "determinism: MISMATCH (trace hashes differ between runs of one seed)\n";
  if (!second_line && index == line_hashes.size()) {
    std::cout << "  the readable traces agree; the divergence is in untraced state\n";
    return kExitNondeterminism;
  }
  std::string first_line = "(end of trace)";
  size_t seen = 0;
  opts.tracer = [&](const sim::TraceRecord& t) {
    if (seen++ == index) first_line = sim::format_trace_line(t);
  };
  scenarios::run_scenario(s, opts);
  std::cout << "  first divergent event #" << index << "\n"
            << "  run 1: " << first_line << "\n"
            << "  run 2: " << second_line.value_or("(end of trace)") << "\n";
  return kExitNondeterminism;
}

int run(const RunFlags& f, const RunOutputs& out) {
  auto found = scenarios::load_scenario(f.scenario);
  if (!found.ok()) return usage_error(std::string(found.status().message()));
  const scenarios::Scenario* s = *found;
  scenarios::ScenarioOptions opts;
  if (std::string err = options_from(f, &opts); !err.empty()) return usage_error(err);
  if (!out.report_dir.empty()) {
    absl::Status made = reports::make_report_dir(out.report_dir);
    if (!made.ok()) return usage_error("--report: " + std::string(made.message()));
  }
  // The whole trace goes to disk only when asked for; its tail is always
  // kept, for the output of a run that stops and for its report.
  std::unique_ptr<std::ofstream> trace;
  if (!out.trace_file.empty()) {
    trace = std::make_unique<std::ofstream>(out.trace_file);
    if (!*trace) return usage_error("--trace: cannot write " + out.trace_file);
  }
  sim::TraceTail tail;
  opts.tracer = [&tail, t = trace.get()](const sim::TraceRecord& r) {
    std::string line = sim::format_trace_line(r);
    if (t != nullptr) *t << line << '\n';
    tail.add(std::move(line));
  };
  const double start = wall_seconds();
  scenarios::ScenarioResult r;
  try {
    r = scenarios::run_scenario(*s, opts);
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  }
  const double wall = wall_seconds() - start;
  trace.reset();
  if (!out.record_file.empty()) {
    if (std::string err = write_schedule(r, out.record_file); !err.empty()) return usage_error(err);
  }
  if (out.json) {
    std::cout << boost::json::serialize(render_json(r, wall)) << "\n";
  } else {
    std::cout << render_text(r, wall, &tail);
  }
  if (!out.report_dir.empty()) {
    const auto info = run_report_info(r, wall, &tail);
    if (absl::Status written = reports::write_run_report(out.report_dir, r, info); !written.ok()) {
      return usage_error("--report: " + std::string(written.message()));
    }
  }
  const int code = exit_code_for(r);
  if (out.check_determinism) {
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
    std::cout << sim::format_trace_line(t) << '\n';
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
  // The schedule holds the run's parameters, cluster size and duration; the
  // command names them too, so it reads as what it runs.
  const scenarios::RunCommand replay{s->name, f.seed, opts.nodes, opts.duration, opts.params, path, opts.bounds};
  std::cout << "verdict: " << rep.target << ": " << rep.verdict << "\n"
            << "trace hash " << reports::trace_hash_hex(rep.trace_hash) << "\n"
            << "schedule: " << path << "\n"
            << "replay: " << scenarios::replay_command(replay, scenarios::running_binary()) << "\n";
  return kExitPass;
}

int list() {
  for (const auto& s : scenarios::catalogue()) {
    std::printf("%-22s %s (default %d nodes, %s)\n", s.name.c_str(), s.description.c_str(),
                s.default_nodes, format_duration(s.default_duration).c_str());
  }
  return kExitPass;
}

const char* const kExitCodesHelp =
    "exit codes: 0 pass, 1 a checker failed, 2 usage or bad input, 3 liveness, 4 determinism mismatch, "
    "5 an engine assertion stopped the run, 6 the run passed --events-max, --wall-time-max or --memory-max";

CommandRegistration reg("sim", [](CLI::App& root) {
  CLI::App& sim = group(root, "sim", "run seeded scenarios in the deterministic simulator");
  auto flags = std::make_shared<RunFlags>();
  auto outs = std::make_shared<RunOutputs>();
  CLI::App* r = sim.add_subcommand("run", "run one scenario with one seed and print a summary");
  r->footer(kExitCodesHelp);
  add_run_flags(*r, *flags, "the run's seed");
  r->add_option("--schedule", flags->schedule_file,
                "run this recorded or shrunk schedule (faults and workload) instead of the seed's own choices");
  r->add_flag("--check-determinism", outs->check_determinism,
              "run the seed again and compare trace hashes (exit 4 on mismatch)");
  r->add_option("--trace", outs->trace_file, "write a readable trace of every event to FILE");
  r->add_option("--report", outs->report_dir,
                "write a report to DIR: index.html, summary.md, result.json, history.jsonl and trace-tail.txt "
                "(the last events; the whole trace is --trace's)");
  r->add_flag("--json", outs->json, "print the result as JSON");
  r->add_option("--record", outs->record_file, "write the run's schedule (faults and workload) to FILE");
  set_action(*r, [flags, outs] { return run(*flags, *outs); });
  auto rflags = std::make_shared<RunFlags>();
  auto until = std::make_shared<std::string>();
  CLI::App* rp = sim.add_subcommand("replay", "print a readable trace of one seed, then its verdicts");
  rp->footer(kExitCodesHelp);
  add_run_flags(*rp, *rflags, "the seed to replay");
  rp->add_option("--schedule", rflags->schedule_file, "the schedule the run used, if any");
  rp->add_option("--until", *until, "stop printing events after this virtual time, e.g. 12.5s");
  set_action(*rp, [rflags, until] { return replay(*rflags, *until); });
  auto sflags = std::make_shared<RunFlags>();
  auto out = std::make_shared<std::string>();
  auto runs_max = std::make_shared<size_t>(400);
  CLI::App* sh = sim.add_subcommand("shrink", "reduce a failing seed to the smallest schedule that still fails");
  add_run_flags(*sh, *sflags, "the failing seed");
  sh->get_option("--scenario")->required();
  sh->get_option("--seed")->required();
  sh->add_option("--out", *out, "where to write the shrunk schedule (default shrunk-SEED.schedule.json)");
  sh->add_option("--runs-max", *runs_max, "candidate runs at most")->capture_default_str()->check(CLI::Range(2, 100000));
  set_action(*sh, [sflags, out, runs_max] { return shrink(*sflags, *out, *runs_max); });
  CLI::App* l = sim.add_subcommand("list", "list the scenario catalogue");
  set_action(*l, [] { return list(); });
});

}  // namespace
}  // namespace shoal::tools
