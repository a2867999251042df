// `shoal check ...`: judges recorded histories from the command line.
//
// `shoal check linearizable` prints one verdict per file (or one JSON
// document with --json). `sessions`, `staleness` and `lost-writes` run the
// other history checkers on histories; `convergence` compares the final
// states of replicas. Exit codes:
//   0  every file passes (for linearizable: is linearizable);
//   1  some file is not linearizable, or its search ran out of budget
//      ("unknown": not shown linearizable, so not a pass; --unknown-ok makes
//      an unknown verdict pass instead, for sweeps that only hunt violations);
//   2  usage error or bad input (unreadable file, malformed line: the message
//      names the file and the line; a file with no operation: "empty
//      history: nothing to check"); this wins over the verdicts of other files.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <boost/json.hpp>

#include "reports/checker_report.h"
#include "scenarios/checkers/convergence.h"
#include "scenarios/checkers/history_io.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/checkers/lost_writes.h"
#include "scenarios/checkers/session_guarantees.h"
#include "scenarios/checkers/staleness.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;
using check::History;
using check::LinearizabilityResult;
using check::Verdict;

constexpr uint64_t kBytesPerMiB = uint64_t{1} << 20;
// Violations a command lists at most (the count is always given).
constexpr size_t kViolationsShownMax = 20;
// The most threads --threads accepts.
constexpr unsigned kThreadsMax = 1024;

struct CheckFlags {
  std::string model = "kv";
  std::string format = "shoal";
  std::vector<std::string> files;
  bool json = false;
  std::string initial;
  bool initial_set = false;
  bool initial_absent = false;
  uint64_t steps_max = check::LinearizabilityBudget{}.steps_max;
  uint64_t memo_mib_max = check::LinearizabilityBudget{}.memo_bytes_max / kBytesPerMiB;
  uint64_t timeout_ms = 0;
  bool unknown_ok = false;
  bool all_keys = false;
  unsigned threads = 0;
  std::string report_dir;
};

struct FileVerdict {
  std::string file;
  std::string error;  // bad input; the verdict fields are then unset
  LinearizabilityResult result;
  size_t operations = 0;
  double elapsed_ms = 0;
  std::string report_path;
};

check::LinearizabilityOptions options_of(const CheckFlags& f) {
  check::LinearizabilityOptions o;
  o.model = *check::parse_model(f.model);
  o.budget.steps_max = f.steps_max;
  o.budget.memo_bytes_max = f.memo_mib_max * kBytesPerMiB;
  o.budget.time_max = std::chrono::milliseconds(f.timeout_ms);
  o.all_keys = f.all_keys;
  o.threads = f.threads;
  return o;
}

// Reads, validates and checks one file; bad input comes back as `error`.
FileVerdict check_file(const CheckFlags& f, const std::string& file) {
  FileVerdict v;
  v.file = file;
  absl::StatusOr<History> history = check::read_history_file(file, *check::parse_history_format(f.format));
  if (!history.ok()) {
    v.error = std::string(history.status().message());
    return v;
  }
  if (f.initial_set) history->set_initial_value(f.initial);
  if (f.initial_absent) history->set_initial_value(std::nullopt);
  const check::LinearizabilityOptions options = options_of(f);
  if (absl::Status s = check::validate_for_model(*history, options.model); !s.ok()) {
    v.error = file + ": " + std::string(s.message());
    return v;
  }
  v.operations = history->size();
  const auto start = std::chrono::steady_clock::now();
  v.result = check::check_linearizable(*history, options);
  v.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (v.result.failure && !f.report_dir.empty()) {
    const std::string name = std::filesystem::path(file).filename().string();
    auto path = reports::write_linearizability_window_html(f.report_dir, name, *history, v.result);
    v.report_path = path.ok() ? *path : "";
    if (!path.ok()) v.error = std::string(path.status().message());
  }
  return v;
}

json::object failure_json(const check::FailingWindow& w) {
  json::object o;
  o["key"] = w.key;
  o["blocking_op"] = w.blocking_op;
  json::array window(w.window.begin(), w.window.end());
  o["window"] = std::move(window);
  o["prefix_length"] = w.prefix.size();
  o["key_operations"] = w.key_operations;
  o["value_after_prefix"] = w.state_after_prefix ? json::value(*w.state_after_prefix) : json::value(nullptr);
  return o;
}

json::object verdict_json(const FileVerdict& v) {
  json::object o;
  o["file"] = v.file;
  if (!v.error.empty() && v.result.message.empty()) {
    o["verdict"] = "bad-input";
    o["error"] = v.error;
    return o;
  }
  o["verdict"] = check::to_string(v.result.verdict);
  o["message"] = v.result.message;
  o["operations"] = v.operations;
  o["keys"] = v.result.keys_checked;
  o["steps"] = v.result.steps;
  o["elapsed_ms"] = v.elapsed_ms;
  if (v.result.failure) o["failure"] = failure_json(*v.result.failure);
  if (!v.result.failing_keys.empty()) {
    o["failing_keys"] = json::array(v.result.failing_keys.begin(), v.result.failing_keys.end());
  }
  if (!v.report_path.empty()) o["report"] = v.report_path;
  if (!v.error.empty()) o["error"] = v.error;
  return o;
}

void print_text(const FileVerdict& v) {
  if (!v.error.empty()) std::cerr << "shoal: " << v.error << "\n";
  if (v.result.message.empty()) return;
  std::cout << v.file << ": " << v.result.message << " [" << std::fixed << std::setprecision(2) << v.elapsed_ms
            << " ms]\n";
  if (!v.report_path.empty()) std::cout << "  failing window: " << v.report_path << "\n";
}

int exit_code(const std::vector<FileVerdict>& verdicts, bool unknown_ok) {
  int code = kExitPass;
  for (const FileVerdict& v : verdicts) {
    if (!v.error.empty()) return kExitUsage;
    if (v.result.verdict == Verdict::kNotLinearizable) code = kExitCheckFailed;
    if (v.result.verdict == Verdict::kUnknown && !unknown_ok) code = kExitCheckFailed;
  }
  return code;
}

int run(const CheckFlags& f) {
  if (f.initial_set && f.initial_absent) return usage_error("--initial and --initial-absent exclude each other");
  std::vector<FileVerdict> verdicts;
  json::array files;
  for (const std::string& file : f.files) {
    verdicts.push_back(check_file(f, file));
    if (f.json)
      files.push_back(verdict_json(verdicts.back()));
    else
      print_text(verdicts.back());
  }
  const int code = exit_code(verdicts, f.unknown_ok);
  if (f.json) {
    json::object doc;
    doc["files"] = std::move(files);
    doc["exit_code"] = code;
    std::cout << json::serialize(doc) << "\n";
  }
  return code;
}

void add_linearizable(CLI::App& check) {
  auto flags = std::make_shared<CheckFlags>();
  CLI::App* cmd = check.add_subcommand("linearizable", "Check that histories are linearizable");
  cmd->add_option("--model", flags->model, "cas-register (one register: read, write, cas) or kv (keys)")
      ->check(CLI::IsMember({"cas-register", "kv"}))
      ->capture_default_str();
  cmd->add_option("--format", flags->format, "shoal (JSON lines), jepsen-log or jepsen-edn")
      ->check(CLI::IsMember({"shoal", "jepsen-log", "jepsen-edn"}))
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "Print one JSON document instead of a line per file");
  cmd->add_option_function<std::string>(
      "--initial",
      [flags](const std::string& v) {
        flags->initial = v;
        flags->initial_set = true;
      },
      "Value every key holds at the start (default: what the format implies)");
  cmd->add_flag("--initial-absent", flags->initial_absent, "Every key starts absent");
  cmd->add_option("--steps-max", flags->steps_max, "Search steps of one key before its verdict is unknown")
      ->capture_default_str();
  cmd->add_option("--memo-mib-max", flags->memo_mib_max,
                  "Memo table size (MiB) of one key before its verdict is unknown")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", flags->timeout_ms, "Wall time per file before the verdict is unknown (0: none)");
  cmd->add_flag("--unknown-ok", flags->unknown_ok, "Exit 0 when a verdict is unknown (budget exhausted)");
  cmd->add_flag("--all-keys", flags->all_keys,
                "Search every key to the end and name every failing key (slower: by default the check stops at "
                "the first failure)");
  cmd->add_option("--threads", flags->threads, "Keys searched at once (default: one per hardware thread)")
      ->check(CLI::Range(1u, kThreadsMax));
  cmd->add_option("--report-dir", flags->report_dir, "Write an HTML view of each failing window here");
  cmd->add_option("files", flags->files, "History files")->required();
  cmd->footer(
      "Exit: 0 all linearizable; 1 a file is not linearizable or unknown (budget exhausted; see --unknown-ok); "
      "2 usage error or bad input (the message names file and line), an empty history among it.");
  set_action(*cmd, [flags] { return run(*flags); });
}

// --- the other checkers: each file gives one or more CheckResults ---

struct HistoryCheckFlags {
  std::string format = "shoal";
  std::vector<std::string> files;
  bool json = false;
  size_t violations_shown = 5;
  std::string bound;       // staleness: e.g. "500ms"
  std::string final_file;  // lost-writes: {"key": "value" or null, ...}
};

using Checks = std::function<std::vector<check::CheckResult>(const History&)>;

json::object result_json(const check::CheckResult& r, size_t shown) {
  json::object o;
  o["ok"] = r.ok;
  o["message"] = r.message;
  o["violation_count"] = r.violation_count;
  json::array violations;
  for (size_t i = 0; i < r.violations.size() && i < shown; ++i) {
    json::object v;
    v["what"] = r.violations[i].what;
    v["ops"] = json::array(r.violations[i].ops.begin(), r.violations[i].ops.end());
    violations.push_back(std::move(v));
  }
  o["violations"] = std::move(violations);
  return o;
}

void print_result(const std::string& file, const check::CheckResult& r, size_t shown) {
  std::cout << file << ": " << r.message << "\n";
  for (size_t i = 1; i < r.violations.size() && i < shown; ++i) std::cout << "  also: " << r.violations[i].what << "\n";
}

int run_checks(const HistoryCheckFlags& f, const Checks& checks) {
  bool bad_input = false, failed = false;
  json::array files;
  for (const std::string& file : f.files) {
    absl::StatusOr<History> history = check::read_history_file(file, *check::parse_history_format(f.format));
    if (!history.ok()) {
      std::cerr << "shoal: " << history.status().message() << "\n";
      bad_input = true;
      continue;
    }
    json::array results;
    for (const check::CheckResult& r : checks(*history)) {
      failed = failed || !r.ok;
      if (f.json)
        results.push_back(result_json(r, f.violations_shown));
      else
        print_result(file, r, f.violations_shown);
    }
    if (f.json) files.push_back(json::object{{"file", file}, {"results", std::move(results)}});
  }
  const int code = bad_input ? kExitUsage : failed ? kExitCheckFailed : kExitPass;
  if (f.json) std::cout << json::serialize(json::object{{"files", files}, {"exit_code", code}}) << "\n";
  return code;
}

// Final values (lost-writes) or a replica's state (convergence): one JSON
// object, key -> string or null (absent).
absl::StatusOr<check::KeyValues> read_key_values(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  if (ec || !v.is_object()) return absl::InvalidArgumentError(path + ": expected a JSON object {\"key\": value}");
  check::KeyValues values;
  for (const auto& [key, value] : v.get_object()) {
    if (!value.is_string() && !value.is_null()) {
      return absl::InvalidArgumentError(path + ": the value of \"" + std::string(key) + "\" is not a string or null");
    }
    values[std::string(key)] = value.is_null() ? check::Value() : check::Value(std::string(value.get_string()));
  }
  return values;
}

CLI::App* add_history_check(CLI::App& check, const std::string& name, const std::string& description,
                            const std::shared_ptr<HistoryCheckFlags>& flags) {
  CLI::App* cmd = check.add_subcommand(name, description);
  cmd->add_option("--format", flags->format, "shoal (JSON lines), jepsen-log or jepsen-edn")
      ->check(CLI::IsMember({"shoal", "jepsen-log", "jepsen-edn"}))
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "Print one JSON document");
  cmd->add_option("--show", flags->violations_shown, "Violations listed per check")->capture_default_str();
  cmd->add_option("files", flags->files, "History files")->required();
  cmd->footer("Exit: 0 every check passes; 1 a violation; 2 usage error or bad input (an empty history among it).");
  return cmd;
}

void add_other_checks(CLI::App& check) {
  auto sessions = std::make_shared<HistoryCheckFlags>();
  set_action(
      *add_history_check(check, "sessions", "Read-your-writes and monotonic reads per client session", sessions),
      [sessions] {
        return run_checks(*sessions, [](const History& h) {
          return std::vector<check::CheckResult>{check::check_read_your_writes(h), check::check_monotonic_reads(h)};
        });
      });
  auto stale = std::make_shared<HistoryCheckFlags>();
  CLI::App* staleness =
      add_history_check(check, "staleness", "No read misses a write acknowledged --bound before it", stale);
  staleness->add_option("--bound", stale->bound, "Staleness allowed, e.g. 500ms or 2s")->required();
  set_action(*staleness, [stale] {
    std::optional<Duration> bound = parse_duration(stale->bound);
    if (!bound) return usage_error("--bound: '" + stale->bound + "' is not a duration like 500ms");
    return run_checks(*stale, [b = *bound](const History& h) {
      return std::vector<check::CheckResult>{check::check_bounded_staleness(h, b)};
    });
  });
  auto lost = std::make_shared<HistoryCheckFlags>();
  CLI::App* lost_writes =
      add_history_check(check, "lost-writes", "Every acknowledged write shows in the final values", lost);
  lost_writes->add_option("--final", lost->final_file, "JSON object of each key's final value")->required();
  set_action(*lost_writes, [lost] {
    absl::StatusOr<check::KeyValues> final_values = read_key_values(lost->final_file);
    if (!final_values.ok()) return usage_error(std::string(final_values.status().message()));
    return run_checks(*lost, [v = *final_values](const History& h) {
      return std::vector<check::CheckResult>{check::check_no_lost_writes(h, v)};
    });
  });
}

// Each file is one replica's final state; the replica is named by its path.
int run_convergence(const std::vector<std::string>& files, bool as_json) {
  std::vector<check::ReplicaState> replicas;
  for (const std::string& file : files) {
    absl::StatusOr<check::KeyValues> values = read_key_values(file);
    if (!values.ok()) return usage_error(std::string(values.status().message()));
    check::ReplicaState replica{file, {}};
    for (const auto& [key, value] : *values) {
      if (value) replica.data[key] = *value;
    }
    replicas.push_back(std::move(replica));
  }
  const check::CheckResult r = check::check_convergence(replicas);
  if (as_json) std::cout << json::serialize(result_json(r, kViolationsShownMax)) << "\n";
  else print_result("replicas", r, kViolationsShownMax);
  return r.ok ? kExitPass : kExitCheckFailed;
}

void add_convergence(CLI::App& check) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = check.add_subcommand("convergence", "Replicas' final states are equal");
  cmd->add_flag("--json", *as_json, "Print one JSON document");
  cmd->add_option("replicas", *files, "One JSON object of key -> value per replica")->required()->expected(2, -1);
  cmd->footer("Exit: 0 the replicas agree; 1 they differ; 2 usage error or bad input.");
  set_action(*cmd, [files, as_json] { return run_convergence(*files, *as_json); });
}

CommandRegistration reg("check", [](CLI::App& root) {
  CLI::App& check = group(root, "check", "Judge recorded histories");
  add_linearizable(check);
  add_other_checks(check);
  add_convergence(check);
});

}  // namespace
}  // namespace shoal::tools
