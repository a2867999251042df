// The run page's inline style sheet and script. The script reads the JSON in
// <script id="data"> (run_page_data.h), draws each <svg class="plot"> named by
// data-plot (latency, throughput, roles) and fills the legend before it, then
// sets body's data-rendered to the number of plots drawn; a plot with nothing
// to draw says why and carries data-empty. A script error is written to
// body's data-script-errors.
#pragma once

namespace shoal::reports {

extern const char* const kRunPageStyle;
extern const char* const kRunPageScript;

}  // namespace shoal::reports
