#include "reports/checker_report.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "reports/report_files.h"

namespace shoal::reports {
namespace {

using check::FailingWindow;
using check::History;
using check::Operation;

// Plot geometry, in SVG user units.
constexpr int kPlotWidth = 1000;
constexpr int kLabelWidth = 70;
constexpr int kRowHeight = 26;
constexpr int kBarHeight = 16;
constexpr int kAxisHeight = 30;

enum class Role { kBlocking, kWindow, kPrefix };

struct Bar {
  size_t index;
  Role role;
};

// The blocking operation, then the rest of the window (which includes the
// prefix's operations that overlap it), up to kReportBarsMax.
std::vector<Bar> choose_bars(const FailingWindow& w) {
  std::vector<Bar> bars;
  std::set<size_t> seen;
  auto add = [&](size_t i, Role role) {
    if (bars.size() < kReportBarsMax && seen.insert(i).second) bars.push_back({i, role});
  };
  add(w.blocking_op, Role::kBlocking);
  std::set<size_t> in_prefix(w.prefix.begin(), w.prefix.end());
  for (size_t i : w.window) add(i, in_prefix.count(i) ? Role::kPrefix : Role::kWindow);
  return bars;
}

struct TimeRange {
  int64_t begin = 0;
  int64_t end = 1;
};

TimeRange range_of(const History& h, const std::vector<Bar>& bars) {
  TimeRange r{INT64_MAX, INT64_MIN};
  for (const Bar& b : bars) {
    const Operation& o = h[b.index];
    r.begin = std::min(r.begin, o.invoke_ns);
    r.end = std::max(r.end, o.invoke_ns);
    if (o.complete_ns != check::kOpenEnd_ns) r.end = std::max(r.end, o.complete_ns);
  }
  // A margin of a tenth on the right leaves room for open intervals.
  const int64_t span = std::max<int64_t>(r.end - r.begin, 1);
  r.end += std::max<int64_t>(span / 10, 1);
  return r;
}

double x_of(const TimeRange& r, int64_t t) {
  const double f = double(std::min(t, r.end) - r.begin) / double(r.end - r.begin);
  return kLabelWidth + f * (kPlotWidth - kLabelWidth);
}

// Characters are about this wide in the plot's 11px monospace font.
constexpr double kCharWidth = 6.7;

std::string label_of(const History& h, size_t index) {
  return "#" + std::to_string(index) + " " + check::describe(h[index]);
}

// A bar's extent on the plot; open intervals run to the right edge.
std::pair<double, double> extent(const History& h, const Bar& b, const TimeRange& r) {
  const Operation& o = h[b.index];
  const double x0 = x_of(r, o.invoke_ns);
  const double x1 = o.effect_unknown() ? x_of(r, r.end) : x_of(r, o.complete_ns);
  return {x0, std::max(x1, x0 + 2)};
}

// The label goes inside the bar if it fits, else just after it if that
// space is free up to `next_x0`; otherwise only the tooltip and table name it.
void draw_bar(std::ostream& out, const History& h, const Bar& b, const TimeRange& r, int row, double next_x0) {
  const Operation& o = h[b.index];
  const char* cls = b.role == Role::kBlocking ? "blocking" : b.role == Role::kWindow ? "window" : "prefix";
  const auto [x0, x1] = extent(h, b, r);
  const int y = kAxisHeight + row * kRowHeight + (kRowHeight - kBarHeight) / 2;
  const std::string label = label_of(h, b.index);
  const double label_width = kCharWidth * double(label.size()) + 6;
  out << "<g class=\"" << cls << (o.effect_unknown() ? " open" : "") << "\"><title>" << html_escape(label)
      << (o.source_line ? " (line " + std::to_string(o.source_line) + ")" : "") << "</title>"
      << "<rect x=\"" << x0 << "\" y=\"" << y << "\" width=\"" << x1 - x0 << "\" height=\"" << kBarHeight
      << "\" rx=\"3\"/>";
  if (label_width <= x1 - x0) {
    out << "<text x=\"" << x0 + 3 << "\" y=\"" << y + kBarHeight - 4 << "\">" << html_escape(label) << "</text>";
  } else if (x1 + label_width <= next_x0) {
    out << "<text x=\"" << x1 + 3 << "\" y=\"" << y + kBarHeight - 4 << "\" class=\"outside\">" << html_escape(label)
        << "</text>";
  }
  out << "</g>\n";
}

void draw_plot(std::ostream& out, const History& h, const std::vector<Bar>& bars) {
  std::map<uint32_t, std::vector<Bar>> rows;
  for (const Bar& b : bars) rows[h[b.index].process].push_back(b);
  const TimeRange r = range_of(h, bars);
  const int height = kAxisHeight + int(rows.size()) * kRowHeight + 10;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kPlotWidth << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << kPlotWidth << " " << height << "\">\n";
  out << "<text x=\"" << kLabelWidth << "\" y=\"14\" class=\"axis\">t = " << r.begin << "</text>"
      << "<text x=\"" << kPlotWidth - 4 << "\" y=\"14\" class=\"axis\" text-anchor=\"end\">t = " << r.end
      << "</text>\n";
  int row = 0;
  for (auto& [process, row_bars] : rows) {
    const int y = kAxisHeight + row * kRowHeight;
    out << "<line x1=\"0\" x2=\"" << kPlotWidth << "\" y1=\"" << y << "\" y2=\"" << y << "\" class=\"grid\"/>"
        << "<text x=\"4\" y=\"" << y + kRowHeight / 2 + 4 << "\" class=\"axis\">process " << process << "</text>\n";
    std::sort(row_bars.begin(), row_bars.end(),
              [&](const Bar& a, const Bar& b) { return extent(h, a, r).first < extent(h, b, r).first; });
    for (size_t k = 0; k < row_bars.size(); ++k) {
      const double next_x0 = k + 1 < row_bars.size() ? extent(h, row_bars[k + 1], r).first : kPlotWidth;
      draw_bar(out, h, row_bars[k], r, row, next_x0);
    }
    ++row;
  }
  out << "</svg>\n";
}

void table_row(std::ostream& out, const History& h, size_t i, const std::string& role) {
  const Operation& o = h[i];
  out << "<tr class=\"" << role << "\"><td>" << role << "</td><td>#" << i << "</td><td>" << o.process << "</td><td>"
      << html_escape(check::describe(o)) << "</td><td>" << o.invoke_ns << "</td><td>"
      << (o.effect_unknown() ? std::string("open") : std::to_string(o.complete_ns)) << "</td><td>"
      << (o.source_line ? std::to_string(o.source_line) : "") << "</td></tr>\n";
}

void draw_tables(std::ostream& out, const History& h, const FailingWindow& w) {
  out << "<h2>Operations that cannot be ordered</h2>\n<table><tr><th>role</th><th>op</th><th>process</th>"
         "<th>operation</th><th>invoked</th><th>completed</th><th>line</th></tr>\n";
  table_row(out, h, w.blocking_op, "blocking");
  std::set<size_t> in_prefix(w.prefix.begin(), w.prefix.end());
  for (size_t i : w.window) {
    if (i != w.blocking_op) table_row(out, h, i, in_prefix.count(i) ? "prefix" : "window");
  }
  out << "</table>\n<h2>End of the longest linearizable prefix (" << w.prefix.size() << " of " << w.key_operations
      << " operations, in linearization order)</h2>\n<table><tr><th>role</th><th>op</th><th>process</th>"
         "<th>operation</th><th>invoked</th><th>completed</th><th>line</th></tr>\n";
  const size_t first = w.prefix.size() > kReportPrefixRowsMax ? w.prefix.size() - kReportPrefixRowsMax : 0;
  for (size_t k = first; k < w.prefix.size(); ++k) table_row(out, h, w.prefix[k], "prefix");
  out << "</table>\n<p>After the prefix the value is <code>" << html_escape(check::describe(w.state_after_prefix))
      << "</code>.</p>\n";
}

constexpr const char* kStyle = R"(<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
svg text { font-size: 11px; font-family: ui-monospace, monospace; }
svg .axis { fill: #555; }
svg .grid { stroke: #ddd; } svg .outside { fill: #444; }
.blocking rect { fill: #e05252; } .window rect { fill: #f2b441; } .prefix rect { fill: #b8c4d6; }
.open rect { stroke: #333; stroke-dasharray: 4 3; fill-opacity: 0.6; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; }
tr.blocking { background: #fbe0e0; } tr.window { background: #fdf1d8; }
code { background: #f4f4f4; padding: 1px 4px; }
</style>)";

}  // namespace

std::string render_linearizability_window_html(const History& history, const check::LinearizabilityResult& result,
                                               const std::string& title) {
  const FailingWindow& w = *result.failure;
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" << html_escape(title) << "</title>" << kStyle
      << "</head><body>\n<h1>" << html_escape(title) << "</h1>\n<p>" << html_escape(result.message) << "</p>\n"
      << "<p>Red: the operation whose completion no order of the others can reach. Amber: operations pending "
         "with it that could not be placed. Grey: operations of the linearizable prefix that overlap it. Dashed: "
         "outcome unknown, open to the end. Times are as recorded (nanoseconds, or line numbers for Jepsen "
         "files).</p>\n";
  draw_plot(out, history, choose_bars(w));
  draw_tables(out, history, w);
  out << "</body></html>\n";
  return out.str();
}

absl::StatusOr<std::string> write_linearizability_window_html(const std::string& dir, const std::string& name,
                                                              const History& history,
                                                              const check::LinearizabilityResult& result) {
  if (absl::Status s = make_report_dir(dir); !s.ok()) return s;
  const std::string path = (std::filesystem::path(dir) / (name + ".linearizability.html")).string();
  const std::string page = render_linearizability_window_html(history, result, "Not linearizable: " + name);
  if (absl::Status s = write_report_file(path, page); !s.ok()) return s;
  return path;
}

}  // namespace shoal::reports
