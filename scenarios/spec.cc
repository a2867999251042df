#include "scenarios/spec.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "chaos/nemesis.h"
#include "scenarios/json_fields.h"

namespace shoal::scenarios {
namespace json = boost::json;
namespace {

constexpr uint64_t kKnobStreamSalt = 0x6b6e6f62;
constexpr uint64_t kNemesisStreamSalt = 0x6e656d65;

// The fields a --param may set, with their JSON type.
enum class FieldType { kInt, kDuration, kString, kBool, kList };
struct Field {
  const char* path;
  FieldType type;
};
constexpr Field kFields[] = {
    {"description", FieldType::kString},       {"nodes", FieldType::kInt},
    {"duration", FieldType::kDuration},        {"quiet", FieldType::kDuration},
    {"liveness_bound", FieldType::kDuration},  {"idle", FieldType::kDuration},
    {"workload.clients", FieldType::kInt},
    {"workload.keys", FieldType::kInt},        {"workload.read_only_clients", FieldType::kInt},        {"workload.mix.read", FieldType::kInt},
    {"workload.mix.read_appends", FieldType::kInt}, {"workload.mix.put", FieldType::kInt},
    {"workload.mix.cas", FieldType::kInt},     {"workload.mix.append", FieldType::kInt},
    {"workload.mix.delete", FieldType::kInt},  {"workload.think", FieldType::kList},
    {"workload.write_levels", FieldType::kList}, {"workload.read_levels", FieldType::kList},
    {"nemesis.kinds", FieldType::kList},       {"nemesis.intensity", FieldType::kString},
    {"nemesis.start", FieldType::kDuration},   {"nemesis.buggify", FieldType::kBool},
    {"nemesis.random_knobs", FieldType::kBool}, {"checkers", FieldType::kList},
    {"raft.election_timeout_min", FieldType::kDuration}, {"raft.heartbeat_interval", FieldType::kDuration},
    {"raft.max_inflight_appends", FieldType::kInt}, {"raft.max_append_entries", FieldType::kInt},
    {"raft.snapshot_threshold", FieldType::kInt}, {"raft.snapshot_keep_entries", FieldType::kInt},
    {"raft.pre_vote", FieldType::kBool},       {"raft.check_quorum", FieldType::kBool},
};

const Field* find_field(std::string_view path) {
  for (const Field& f : kFields) {
    if (path == f.path) return &f;
  }
  return nullptr;
}

absl::Status bad(std::string_view source, const std::string& what) { return json_error(source, what); }

// Sets the dotted `path` of `root` from a --param string.
absl::Status apply_param(json::object& root, const std::string& path, const std::string& text,
                         std::string_view source) {
  const Field* field = find_field(path);
  if (field == nullptr) {
    std::vector<std::string> names;
    for (const Field& f : kFields) names.emplace_back(f.path);
    return bad(source, absl::StrCat("no parameter '", path, "' (known: ", absl::StrJoin(names, ", "), ")"));
  }
  json::value v;
  switch (field->type) {
    case FieldType::kInt: {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || p != text.data() + text.size()) {
        return bad(source, absl::StrCat("parameter ", path, "='", text, "' is not an integer"));
      }
      v = n;
      break;
    }
    case FieldType::kBool:
      if (text != "true" && text != "false") {
        return bad(source, absl::StrCat("parameter ", path, "='", text, "' is not true or false"));
      }
      v = text == "true";
      break;
    case FieldType::kList: {
      json::array a;
      for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) a.emplace_back(std::string(item));
      v = std::move(a);
      break;
    }
    case FieldType::kDuration:
    case FieldType::kString: v = json::string(text); break;
  }
  json::object* at = &root;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    json::value& next = (*at)[parts[i]];
    if (!next.is_object()) next = json::object{};
    at = &next.as_object();
  }
  (*at)[parts.back()] = std::move(v);
  return absl::OkStatus();
}

template <typename Level>
absl::Status parse_levels(const std::optional<std::vector<std::string>>& names, std::vector<Level> all,
                          std::string_view where, std::vector<Level>* out) {
  if (!names) return absl::OkStatus();
  out->clear();
  for (const std::string& n : *names) {
    auto it = std::find_if(all.begin(), all.end(), [&](Level l) { return n == to_string(l); });
    if (it == all.end()) return bad(where, absl::StrCat("unknown level '", n, "'"));
    out->push_back(*it);
  }
  if (out->empty()) return bad(where, "a level list may not be empty");
  return absl::OkStatus();
}

// A mix's weights; those not given keep their values in *mix.
absl::Status parse_mix(const json::object* o, const std::string& where, OperationMix* mix) {
  JsonFields m(o, where);
  std::pair<const char*, uint32_t*> weights[] = {{"read", &mix->read},  {"read_appends", &mix->read_appends},
                                                 {"put", &mix->put},    {"cas", &mix->cas},
                                                 {"append", &mix->append}, {"delete", &mix->del}};
  for (auto& [name, w] : weights) {
    int64_t v = *w;
    SHOAL_RETURN_IF_ERROR(m.integer(name, 0, 1000000, &v));
    *w = static_cast<uint32_t>(v);
  }
  SHOAL_RETURN_IF_ERROR(m.unknown());
  if (mix->total() == 0) return bad(m.where(), "every weight is 0 (an idle phase says \"idle\": true)");
  return absl::OkStatus();
}

// One rate phase: {"from": D, "think": [min, max], "mix": {...}, "idle": bool};
// an idle phase needs no think times.
absl::Status parse_rate_phase(const json::value& p, const std::string& where, RatePhase* phase) {
  if (!p.is_object()) return bad(where, "each phase is an object {\"from\": D, \"think\": [min, max]}");
  JsonFields pr(&p.as_object(), where);
  SHOAL_RETURN_IF_ERROR(pr.duration("from", &phase->from));
  SHOAL_RETURN_IF_ERROR(pr.boolean("idle", &phase->idle));
  std::optional<std::vector<std::string>> t;
  SHOAL_RETURN_IF_ERROR(pr.strings("think", &t));
  if (t || !phase->idle) {
    const std::optional<Duration> lo = t && t->size() == 2 ? parse_duration((*t)[0]) : std::nullopt;
    const std::optional<Duration> hi = t && t->size() == 2 ? parse_duration((*t)[1]) : std::nullopt;
    const Duration min = lo.value_or(Duration(0));
    const Duration max = hi.value_or(Duration(0));
    if (!lo || !hi || min <= Duration(0) || min > max) {
      return bad(pr.where(), "\"think\" must be [min, max] durations, 0 < min <= max");
    }
    phase->think_min = min;
    phase->think_max = max;
  }
  absl::Status st;
  if (const json::object* mix = pr.object("mix", &st)) {
    OperationMix m{0, 0, 0, 0, 0, 0};
    SHOAL_RETURN_IF_ERROR(parse_mix(mix, pr.where() + ".mix", &m));
    phase->mix = m;
  }
  SHOAL_RETURN_IF_ERROR(st);
  return pr.unknown();
}

absl::Status parse_workload(const json::object* o, const std::string& where, ScenarioSpec* s) {
  JsonFields r(o, where + ": workload");
  int64_t clients = s->clients, keys = s->keys;
  SHOAL_RETURN_IF_ERROR(r.integer("clients", 1, 256, &clients));
  SHOAL_RETURN_IF_ERROR(r.integer("keys", 1, 10000, &keys));
  int64_t read_only = s->read_only_clients;
  SHOAL_RETURN_IF_ERROR(r.integer("read_only_clients", 0, 255, &read_only));
  s->read_only_clients = static_cast<int>(read_only);
  s->clients = static_cast<int>(clients);
  s->keys = static_cast<int>(keys);
  absl::Status st;
  if (const json::object* mix = r.object("mix", &st)) {
    SHOAL_RETURN_IF_ERROR(parse_mix(mix, where + ": workload.mix", &s->mix));
  }
  SHOAL_RETURN_IF_ERROR(st);
  std::optional<std::vector<std::string>> think;
  SHOAL_RETURN_IF_ERROR(r.strings("think", &think));
  if (think) {
    // Shorthand for one phase: ["5ms", "40ms"].
    std::optional<Duration> lo = think->size() == 2 ? parse_duration((*think)[0]) : std::nullopt;
    std::optional<Duration> hi = think->size() == 2 ? parse_duration((*think)[1]) : std::nullopt;
    if (!lo || !hi || *lo <= Duration(0) || *lo > *hi) {
      return bad(r.where(), "\"think\" must be [min, max] durations, 0 < min <= max");
    }
    s->rate = {RatePhase{Duration{0}, *lo, *hi}};
  }
  if (const json::value* rate = r.get("rate")) {
    if (!rate->is_array() || rate->as_array().empty()) return bad(r.where(), "\"rate\" must be a non-empty list");
    s->rate.clear();
    for (const json::value& p : rate->as_array()) {
      RatePhase phase;
      SHOAL_RETURN_IF_ERROR(parse_rate_phase(p, r.where() + ".rate", &phase));
      if (!s->rate.empty() && phase.from <= s->rate.back().from) {
        return bad(r.where() + ".rate", "phases must start in order");
      }
      s->rate.push_back(phase);
    }
    if (s->rate.front().from != Duration{0}) return bad(r.where(), "the first rate phase must start at 0s");
  }
  std::optional<std::vector<std::string>> wl, rl;
  SHOAL_RETURN_IF_ERROR(r.strings("write_levels", &wl));
  SHOAL_RETURN_IF_ERROR(r.strings("read_levels", &rl));
  SHOAL_RETURN_IF_ERROR(parse_levels(wl, {WriteLevel::kLeader, WriteLevel::kQuorum, WriteLevel::kAll},
                                     r.where(), &s->write_levels));
  SHOAL_RETURN_IF_ERROR(parse_levels(
      rl, {ReadLevel::kLinearizable, ReadLevel::kLease, ReadLevel::kSession, ReadLevel::kAny}, r.where(),
      &s->read_levels));
  return r.unknown();
}

absl::Status parse_nemesis(const json::object* o, const std::string& where, ScenarioSpec* s) {
  JsonFields r(o, where + ": nemesis");
  std::optional<std::vector<std::string>> kinds;
  SHOAL_RETURN_IF_ERROR(r.strings("kinds", &kinds));
  if (kinds) {
    s->kinds.clear();
    for (const std::string& k : *kinds) {
      if (k == "all") {
        s->kinds = chaos::all_kinds();
        continue;
      }
      auto kind = chaos::parse_kind(k);
      if (!kind) {
        std::vector<std::string> names;
        for (chaos::FaultKind fk : chaos::all_kinds()) names.emplace_back(chaos::kind_name(fk));
        return bad(r.where(), absl::StrCat("unknown fault kind '", k, "' (known: all, ", absl::StrJoin(names, ", "), ")"));
      }
      if (std::find(s->kinds.begin(), s->kinds.end(), *kind) == s->kinds.end()) s->kinds.push_back(*kind);
    }
    if (s->kinds.empty()) return bad(r.where(), "\"kinds\" may not be empty");
  }
  std::string intensity = "random";
  SHOAL_RETURN_IF_ERROR(r.string("intensity", &intensity));
  if (intensity == "random") {
    s->intensity.reset();
  } else if (auto i = chaos::parse_intensity(intensity)) {
    s->intensity = *i;
  } else {
    return bad(r.where(), "\"intensity\" must be random, low, medium or high");
  }
  SHOAL_RETURN_IF_ERROR(r.duration("start", &s->nemesis_start));
  SHOAL_RETURN_IF_ERROR(r.boolean("buggify", &s->buggify));
  SHOAL_RETURN_IF_ERROR(r.boolean("random_knobs", &s->random_knobs));
  return r.unknown();
}

absl::Status parse_raft(const json::object* o, const std::string& where, ScenarioSpec* s) {
  if (o == nullptr) return absl::OkStatus();
  for (const auto& [k, v] : *o) {
    const std::string path = "raft." + std::string(k);
    const Field* f = find_field(path);
    if (f == nullptr) return bad(where, absl::StrCat("unknown Raft option \"", std::string(k), "\""));
    std::string text;
    if (v.is_string()) text = std::string(v.as_string());
    else if (v.is_int64()) text = std::to_string(v.as_int64());
    else if (v.is_bool()) text = v.as_bool() ? "true" : "false";
    else return bad(where, absl::StrCat("\"", path, "\" has the wrong type"));
    const bool ok = f->type == FieldType::kDuration ? parse_duration(text).has_value()
                    : f->type == FieldType::kBool   ? (text == "true" || text == "false")
                                                    : std::all_of(text.begin(), text.end(), ::isdigit) && !text.empty();
    if (!ok) return bad(where, absl::StrCat("\"", path, "\"='", text, "' has the wrong type"));
    s->raft[std::string(k)] = text;
  }
  return absl::OkStatus();
}

bool has_kind(const ScenarioSpec& s, chaos::FaultKind k) {
  return std::find(s.kinds.begin(), s.kinds.end(), k) != s.kinds.end();
}

// Rejects specs whose checkers would fail for reasons the spec itself chose.
absl::Status validate(const ScenarioSpec& s, std::string_view where) {
  if (s.name.empty()) return bad(where, "\"name\" is required");
  if (s.duration < seconds(2)) return bad(where, "\"duration\" must be at least 2s");
  if (s.nemesis_start >= s.duration) return bad(where, "\"nemesis.start\" must come before \"duration\"");
  if (s.quiet < s.liveness_bound) {
    return bad(where, absl::StrCat("\"quiet\" (", format_duration(s.quiet), ") is shorter than \"liveness_bound\" (",
                                   format_duration(s.liveness_bound), "): liveness could not be judged"));
  }
  if (s.checkers) {
    // Every level is judged by its checker: a list may name checks, never
    // leave out one the workload's levels need.
    const std::vector<std::string> needed = required_checks(s.write_levels, s.read_levels);
    if (s.checkers->empty()) return bad(where, "\"checkers\" is empty: a run with no checks proves nothing");
    for (const std::string& c : *s.checkers) {
      if (std::find(needed.begin(), needed.end(), c) == needed.end()) {
        return bad(where, absl::StrCat("\"checkers\" names '", c, "', which this workload does not use (its checks: ",
                                       absl::StrJoin(needed, ", "), ")"));
      }
    }
    for (const std::string& c : needed) {
      if (std::find(s.checkers->begin(), s.checkers->end(), c) == s.checkers->end()) {
        return bad(where, absl::StrCat("\"checkers\" leaves out '", c, "'; every level is judged, so list it or ",
                                       "leave the field out"));
      }
    }
  }
  const bool lease = std::find(s.read_levels.begin(), s.read_levels.end(), ReadLevel::kLease) != s.read_levels.end();
  if (lease && (has_kind(s, chaos::FaultKind::kClockJump) || has_kind(s, chaos::FaultKind::kPause))) {
    return bad(where, "lease reads assume clocks that neither leap nor stop; drop clock-jump and pause, or use "
                      "linearizable reads");
  }
  return absl::OkStatus();
}

// Draws Raft and client knobs from the seed; the spec's "raft" values win.
std::string randomize_knobs(uint64_t seed, KvRunConfig& c) {
  Rng rng(hash_combine(seed, kKnobStreamSalt));
  RaftOptions& r = c.raft;
  r.election_timeout_min = rng.range(milliseconds(150), milliseconds(600));
  r.heartbeat_interval = r.election_timeout_min / rng.range(3, 8);
  r.max_inflight_appends = rng.pick(std::vector<size_t>{1, 2, 4, 16, 64});
  r.max_append_entries = rng.pick(std::vector<size_t>{1, 8, 64, 512});
  r.snapshot_threshold = rng.pick(std::vector<uint64_t>{50, 200, 1000, 2000});
  r.snapshot_keep_entries = rng.below(r.snapshot_threshold / 2 + 1);
  c.client_attempt_timeout = rng.range(milliseconds(100), seconds(1));
  // Small chunks half the time: a snapshot of a few kilobytes then travels
  // in many messages, which loss, reordering and crashes can interleave.
  c.snapshot_chunk_bytes = rng.chance(0.5) ? rng.range(64, 4096) : kDefaultSnapshotChunkBytes;
  return absl::StrCat("knobs: election_timeout_min=", format_duration(r.election_timeout_min),
                      " heartbeat_interval=", format_duration(r.heartbeat_interval),
                      " max_inflight_appends=", r.max_inflight_appends, " max_append_entries=", r.max_append_entries,
                      " snapshot_threshold=", r.snapshot_threshold, " snapshot_keep_entries=", r.snapshot_keep_entries,
                      " client_attempt_timeout=", format_duration(c.client_attempt_timeout),
                      " snapshot_chunk_bytes=", c.snapshot_chunk_bytes);
}

void apply_raft_options(const std::map<std::string, std::string>& given, RaftOptions& r) {
  for (const auto& [k, v] : given) {
    auto num = [&v] { return static_cast<uint64_t>(std::stoull(v)); };
    if (k == "election_timeout_min") r.election_timeout_min = *parse_duration(v);
    else if (k == "heartbeat_interval") r.heartbeat_interval = *parse_duration(v);
    else if (k == "max_inflight_appends") r.max_inflight_appends = num();
    else if (k == "max_append_entries") r.max_append_entries = num();
    else if (k == "snapshot_threshold") r.snapshot_threshold = num();
    else if (k == "snapshot_keep_entries") r.snapshot_keep_entries = num();
    else if (k == "pre_vote") r.pre_vote = v == "true";
    else if (k == "check_quorum") r.check_quorum = v == "true";
  }
}

}  // namespace

absl::StatusOr<ScenarioSpec> parse_spec(std::string_view text, std::string_view source,
                                        const std::map<std::string, std::string>& params) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return bad(source, absl::StrCat("not JSON: ", ec.message()));
  if (!v.is_object()) return bad(source, "a scenario spec is a JSON object");
  json::object& root = v.as_object();
  for (const auto& [path, value] : params) SHOAL_RETURN_IF_ERROR(apply_param(root, path, value, source));

  ScenarioSpec s;
  const std::string where(source);
  JsonFields r(&root, where);
  SHOAL_RETURN_IF_ERROR(r.string("name", &s.name));
  SHOAL_RETURN_IF_ERROR(r.string("description", &s.description));
  int64_t nodes = s.nodes;
  SHOAL_RETURN_IF_ERROR(r.integer("nodes", 1, 64, &nodes));
  s.nodes = static_cast<int>(nodes);
  SHOAL_RETURN_IF_ERROR(r.duration("duration", &s.duration));
  SHOAL_RETURN_IF_ERROR(r.duration("quiet", &s.quiet));
  SHOAL_RETURN_IF_ERROR(r.duration("liveness_bound", &s.liveness_bound));
  SHOAL_RETURN_IF_ERROR(r.duration("idle", &s.idle));
  absl::Status st;
  const json::object* workload = r.object("workload", &st);
  SHOAL_RETURN_IF_ERROR(st);
  SHOAL_RETURN_IF_ERROR(parse_workload(workload, where, &s));
  const json::object* nemesis = r.object("nemesis", &st);
  SHOAL_RETURN_IF_ERROR(st);
  SHOAL_RETURN_IF_ERROR(parse_nemesis(nemesis, where, &s));
  const json::object* raft = r.object("raft", &st);
  SHOAL_RETURN_IF_ERROR(st);
  SHOAL_RETURN_IF_ERROR(parse_raft(raft, where + ": raft", &s));
  SHOAL_RETURN_IF_ERROR(r.strings("checkers", &s.checkers));
  SHOAL_RETURN_IF_ERROR(r.unknown());
  SHOAL_RETURN_IF_ERROR(validate(s, where));
  return s;
}

absl::StatusOr<std::string> read_spec_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read scenario file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ScenarioResult run_spec(const ScenarioSpec& spec, const ScenarioOptions& o) {
  KvRunConfig c;
  c.name = spec.name;
  c.nodes = o.nodes.value_or(spec.nodes);
  c.duration = o.duration.value_or(spec.duration);
  if (c.duration <= spec.nemesis_start) throw std::invalid_argument("--duration must be longer than nemesis.start");
  c.quiet = spec.quiet;
  c.liveness_bound = spec.liveness_bound;
  c.idle = spec.idle;
  c.clients = spec.clients;
  c.keys = spec.keys;
  c.read_only_clients = spec.read_only_clients;
  c.mix = spec.mix;
  c.rate = spec.rate;
  c.write_levels = spec.write_levels;
  c.read_levels = spec.read_levels;
  c.buggify.enabled = spec.buggify;
  std::vector<std::string> notes;
  if (spec.random_knobs) notes.push_back(randomize_knobs(o.seed, c));
  apply_raft_options(spec.raft, c.raft);
  if (o.schedule && o.schedule->has_workload) {
    if (o.schedule->clients.size() > static_cast<size_t>(c.clients)) {
      throw std::invalid_argument(absl::StrCat("the schedule scripts ", o.schedule->clients.size(),
                                               " clients but the scenario has ", c.clients));
    }
    c.scripts = std::make_shared<std::vector<std::vector<ScriptedOp>>>(o.schedule->clients);
  }

  KvRun run(o, c);
  Rng nemesis_rng(hash_combine(o.seed, kNemesisStreamSalt));
  const chaos::SwarmConfig swarm = chaos::choose_swarm(nemesis_rng, spec.kinds, spec.intensity);
  notes.insert(notes.begin(), "swarm: " + swarm.describe());
  for (NodeId id : run.node_ids()) {
    sim::DiskConfig d = run.sim().disk_state(id).config;
    d.crash = swarm.crash;
    run.sim().set_disk(id, d);
  }
  const std::vector<chaos::Fault> faults =
      o.schedule ? o.schedule->faults
                 : chaos::generate_faults(swarm, spec.nemesis_start, c.duration, run.node_ids().size(), nemesis_rng);
  if (o.plan_only) {
    ScenarioResult planned;
    auto schedule = std::make_shared<RunSchedule>();
    schedule->scenario = spec.name;
    schedule->seed = o.seed;
    schedule->params = o.params;
    schedule->faults = faults;
    planned.schedule = std::move(schedule);
    return planned;
  }
  chaos::NemesisLimits limits;
  limits.clock_drift_max = c.raft.clock_drift_max;
  limits.election_timeout_min = c.raft.election_timeout_min;
  limits.damage_budget = (run.node_ids().size() - 1) / 2;
  chaos::Nemesis nemesis(run.sim(), run.node_ids(), [&run] { return run.leader(); }, limits);
  nemesis.schedule(faults);
  run.on_heal = [&nemesis] { nemesis.stop(); };

  ScenarioResult r = run.run(nullptr);
  r.nodes = c.nodes;
  for (const chaos::AppliedFault& a : nemesis.applied()) {
    r.faults.push_back({a.start, a.end, std::string(chaos::kind_name(a.kind)), a.detail});
  }
  r.notes = std::move(notes);
  auto schedule = std::make_shared<RunSchedule>();
  schedule->scenario = spec.name;
  schedule->seed = o.seed;
  schedule->params = o.params;
  schedule->faults = faults;
  schedule->has_workload = true;
  schedule->clients = run.recorded_workload();
  r.schedule = std::move(schedule);
  r.metrics["faults_scheduled"] = static_cast<double>(faults.size());
  r.metrics["faults_applied"] = static_cast<double>(nemesis.applied().size());
  r.metrics["nodes_damaged"] = static_cast<double>(nemesis.damaged().size());
  r.metrics["buggify_fired"] = static_cast<double>(run.sim().stats().buggify_fired);
  return r;
}

Scenario spec_scenario(std::string text, std::string source) {
  auto spec = parse_spec(text, source);
  if (!spec.ok()) throw std::invalid_argument(std::string(spec.status().message()));
  Scenario s;
  s.name = spec->name;
  s.description = spec->description;
  s.default_nodes = spec->nodes;
  s.default_duration = spec->duration;
  s.records_schedule = true;
  s.run = [text = std::move(text), source = std::move(source)](const ScenarioOptions& o) {
    auto parsed = parse_spec(text, source, o.params);
    if (!parsed.ok()) throw std::invalid_argument(std::string(parsed.status().message()));
    return run_spec(*parsed, o);
  };
  return s;
}

std::vector<Scenario> spec_scenarios() {
  std::vector<Scenario> out;
  for (const auto& [file, text] : embedded_specs()) out.push_back(spec_scenario(text, "scenarios/specs/" + file));
  return out;
}

}  // namespace shoal::scenarios
