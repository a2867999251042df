#include "reports/run_page_data.h"

#include <algorithm>
#include <cmath>

#include "reports/run_digest.h"
#include "reports/run_result_json.h"

namespace shoal::reports {
namespace {

using check::History;
using check::Operation;

bool completed(const Operation& o) { return o.complete_ns != check::kOpenEnd_ns; }

// Latest moment anything in the result happened, in seconds: the right edge
// of the plots.
double end_seconds(const scenarios::ScenarioResult& r) {
  int64_t end_ns = r.virtual_time.count();
  for (const auto& f : r.faults) end_ns = std::max(end_ns, to_ns(f.end));
  for (const auto& s : r.roles) end_ns = std::max(end_ns, to_ns(s.end));
  if (r.history) {
    for (const Operation& o : r.history->operations()) {
      end_ns = std::max(end_ns, completed(o) ? o.complete_ns : o.invoke_ns);
    }
  }
  return std::max(static_cast<double>(end_ns) / 1e9, 1.0);
}

int outcome_code(const Operation& o) { return o.ok() ? 0 : o.outcome == check::Outcome::kFail ? 1 : 2; }

// Which completed operations the latency plot draws. All of them when they
// fit in kLatencyPointsMax; otherwise every failed or unknown one (when they
// fill at most half the budget) and an evenly spaced sample of the
// acknowledged ones that fills the rest, or else an evenly spaced sample of
// them all. The choice depends on the history alone.
struct Sample {
  std::vector<size_t> indices;
  std::string note;  // "" when nothing was left out
};

Sample choose_latency_points(const History& h) {
  uint64_t done = 0, ok = 0;
  for (const Operation& o : h.operations()) {
    done += completed(o);
    ok += completed(o) && o.ok();
  }
  const bool keep_every_failure = done - ok <= kLatencyPointsMax / 2;
  const uint64_t pool = keep_every_failure ? ok : done;
  const uint64_t budget = keep_every_failure ? kLatencyPointsMax - (done - ok) : kLatencyPointsMax;
  Sample s;
  uint64_t ordinal = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    const Operation& o = h[i];
    if (!completed(o)) continue;
    if (keep_every_failure && !o.ok()) {
      s.indices.push_back(i);
      continue;
    }
    // Of `pool` candidates, keep `budget` spread evenly: candidate j is kept
    // when j * budget / pool reaches a new whole number.
    if (pool <= budget || (ordinal * budget) % pool < budget) s.indices.push_back(i);
    ++ordinal;
  }
  if (s.indices.size() < done) {
    s.note = "showing " + std::to_string(s.indices.size()) + " of " + std::to_string(done) +
             " completed operations: " +
             (keep_every_failure ? "every failed or unknown one, and an even sample of the ok ones"
                                 : "an even sample");
  }
  return s;
}

// Each drawn operation as [invoked ms, latency us, outcome 0 ok / 1 fail /
// 2 unknown]; whole numbers keep a large page small.
boost::json::object ops_json(const History* h) {
  const OperationCounts c = count_operations(h);
  boost::json::object o{{"total", c.total}, {"pending", c.pending}};
  boost::json::array points;
  if (h != nullptr) {
    const Sample s = choose_latency_points(*h);
    points.reserve(s.indices.size());
    for (size_t i : s.indices) {
      const Operation& op = (*h)[i];
      points.push_back(boost::json::array{std::llround(static_cast<double>(op.invoke_ns) / 1e6),
                                          std::llround(static_cast<double>(op.complete_ns - op.invoke_ns) / 1e3),
                                          outcome_code(op)});
    }
    o["sample_note"] = s.note;
  }
  o["points"] = std::move(points);
  return o;
}

// Completions per bucket of whole seconds, acknowledged ones apart from the
// rest; the bucket widens beyond 1 s so a long run stays within
// kThroughputBucketsMax bars.
boost::json::object throughput_json(const History* h, double end_s) {
  const double bucket_s = std::max(1.0, std::ceil(end_s / double(kThroughputBucketsMax)));
  const auto buckets = static_cast<size_t>(std::ceil(end_s / bucket_s));
  std::vector<uint64_t> ok(buckets), other(buckets);
  if (h != nullptr) {
    for (const Operation& o : h->operations()) {
      if (!completed(o)) continue;
      const auto b = static_cast<size_t>(static_cast<double>(o.complete_ns) / 1e9 / bucket_s);
      (o.ok() ? ok : other)[std::min(b, buckets - 1)]++;
    }
  }
  return {{"bucket_s", bucket_s},
          {"ok", boost::json::array(ok.begin(), ok.end())},
          {"other", boost::json::array(other.begin(), other.end())}};
}

boost::json::value failure_json(const scenarios::ScenarioResult& r) {
  const std::optional<FirstFailure> f = first_failure(r);
  if (!f) return nullptr;
  boost::json::object o{{"check", f->check}, {"at_s", nullptr}};
  if (f->at_seconds) o["at_s"] = *f->at_seconds;
  return o;
}

}  // namespace

boost::json::object run_page_data(const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  const double end_s = end_seconds(r);
  return {{"result", run_result_json(r, info)},
          {"end_s", end_s},
          {"failure", failure_json(r)},
          {"ops", ops_json(r.history.get())},
          {"throughput", throughput_json(r.history.get(), end_s)}};
}

std::string script_safe_json(const boost::json::value& v) {
  const std::string json = boost::json::serialize(v);
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace shoal::reports
