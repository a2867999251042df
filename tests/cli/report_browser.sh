#!/usr/bin/env bash
# `shoal sim run --report DIR`: the report's files appear and agree with the
# run, an unwritable DIR is a usage error (exit 2, one line naming it), and in
# a headless Chromium the page runs without a script error and draws its
# plots: for a real run, and for a synthetic report of 100k operations with
# faults and roles (written by the reports unit tests). A copy of the page
# with a planted script error must be caught, which proves the check can fail.
# Without Chromium the browser half is skipped, unless SHOAL_REQUIRE_BROWSER=1.
# Usage: bash tests/cli/report_browser.sh path/to/shoal   (from the repo root)
set -uo pipefail
shoal=${1:?usage: report_browser.sh path/to/shoal}
unit_tests=$(dirname "$shoal")/tests/shoal_reports_tests
chromium=/usr/bin/chromium
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$shoal" sim run --scenario leader-failover --seed 1 --report "$tmp/r" >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 2 ] || fail "the report run was refused: $(cat "$tmp/out")"
for f in index.html summary.md result.json trace-tail.txt; do
  [ -s "$tmp/r/$f" ] || fail "the report lacks $f"
done
grep -q "\"exit_code\":$rc," "$tmp/r/result.json" || fail "result.json does not hold the run's exit code $rc"
grep -q '"scenario":"leader-failover","seed":1,' "$tmp/r/result.json" || fail "result.json names another run"
grep -q '"trace_tail_file":"trace-tail.txt"' "$tmp/r/result.json" || fail "result.json does not name the trace tail"
grep -q 'deliver' "$tmp/r/trace-tail.txt" || fail "the report's trace tail has no deliveries"
grep -q '^# \(PASS\|FAIL\)' "$tmp/r/summary.md" || fail "summary.md has no verdict line"
if grep -q '"history":null' "$tmp/r/result.json"; then
  [ ! -e "$tmp/r/history.jsonl" ] || fail "history.jsonl written for a run without clients"
else
  [ -s "$tmp/r/history.jsonl" ] || fail "the report lacks history.jsonl"
fi

touch "$tmp/a-file"
err=$("$shoal" sim run --duration 2s --report "$tmp/a-file/r" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 2 ] || fail "an unwritable --report exited $rc, want 2"
[ "$(echo "$err" | wc -l)" -eq 1 ] || fail "an unwritable --report printed more than one line: $err"
echo "$err" | grep -qF "$tmp/a-file/r" || fail "the error does not name the directory: $err"

SHOAL_REPORT_KEEP_DIR="$tmp/big" "$unit_tests" --gtest_filter=RunReport.HugeHistoryIsSampledTheSameWayEveryTime \
  >"$tmp/unit" 2>&1 || fail "the synthetic report was not written: $(tail -5 "$tmp/unit")"
[ -s "$tmp/big/index.html" ] || fail "the synthetic report has no index.html"

if [ ! -x "$chromium" ]; then
  [ "${SHOAL_REQUIRE_BROWSER:-0}" = 1 ] &&
    fail "chromium is not installed and SHOAL_REQUIRE_BROWSER=1 (install it: SHOAL_SETUP_BROWSER=1 tools/setup)"
  echo "SKIP: chromium not installed"
  exit 0
fi

# browse PAGE ARGS...: opens PAGE in headless Chromium with ARGS (--dump-dom prints the DOM after the scripts ran).
browse() {
  local page=$1
  shift
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$tmp/profile" \
    "$@" "file://$page" 2>>"$tmp/chromium.log"
}
# marks DUMP PLOT ELEMENT: how many ELEMENTs (circle, rect, path) the plot drew.
marks() {
  awk -v plot="data-plot=\"$2\"" 'BEGIN { RS = "</svg>" } index($0, plot) { print }' "$1" | grep -o "<$3[ >]" | wc -l
}
# expect_clean DUMP N: the page's script ran without an error and drew N of its 3 plots.
expect_clean() {
  grep -q 'data-script-errors' "$1" && fail "$1: script error: $(grep -o 'data-script-errors="[^"]*"' "$1")"
  grep -q "data-rendered=\"$2\"" "$1" ||
    fail "$1: want data-rendered=\"$2\", got '$(grep -o 'data-rendered="[^"]*"' "$1")'; $(tail -3 "$tmp/chromium.log")"
  [ "$(grep -o '<svg class="plot"' "$1" | wc -l)" -eq 3 ] || fail "$1: the page does not have 3 plots"
}
# at_least N WHAT COUNT
at_least() { [ "$3" -ge "$1" ] || fail "$2: $3, want at least $1"; }

browse "$tmp/big/index.html" --dump-dom >"$tmp/big.dom" || fail "chromium failed on the synthetic report"
expect_clean "$tmp/big.dom" 3
at_least 19000 "ok operations drawn" "$(marks "$tmp/big.dom" latency circle)"
at_least 1000 "failed operations drawn" "$(marks "$tmp/big.dom" latency path)"
at_least 20 "throughput bars" "$(marks "$tmp/big.dom" throughput rect)"
at_least 6 "role spans drawn" "$(marks "$tmp/big.dom" roles rect)"
grep -q 'showing 20000 of 100000 completed operations' "$tmp/big.dom" || fail "the sampled plot does not say so"
grep -q 'first failure: writes-again-within-2s at 12.500 s' "$tmp/big.dom" || fail "the first failure is not marked"

want=3
grep -q '"history":null\|"operations":0,' "$tmp/r/result.json" && want=$((want - 2))
grep -q '"roles":\[\]' "$tmp/r/result.json" && want=$((want - 1))
browse "$tmp/r/index.html" --dump-dom >"$tmp/r.dom" || fail "chromium failed on the run's report"
expect_clean "$tmp/r.dom" $want
for plot in latency throughput roles; do
  if grep -q "data-plot=\"$plot\"[^>]*data-empty" "$tmp/r.dom"; then
    [ "$(marks "$tmp/r.dom" $plot rect)" -eq 0 ] || fail "the empty $plot plot drew something"
  else
    at_least 1 "marks in the $plot plot" $(($(marks "$tmp/r.dom" $plot circle) + $(marks "$tmp/r.dom" $plot rect)))
  fi
done

for page in big r; do
  browse "$tmp/$page/index.html" --screenshot="$tmp/$page.png" --window-size=1280,2000 >/dev/null ||
    fail "chromium could not take a screenshot of the $page report"
  [ -s "$tmp/$page.png" ] && [ "$(stat -c %s "$tmp/$page.png")" -gt 10240 ] ||
    fail "the screenshot of the $page report is missing or under 10 KB"
done

# The check can fail: a page whose script throws must show the error and not its plots.
sed 's/^  var data = JSON.parse/  throw new Error("planted");\n&/' "$tmp/big/index.html" >"$tmp/big/planted.html"
grep -q 'throw new Error("planted")' "$tmp/big/planted.html" || fail "could not plant the error"
browse "$tmp/big/planted.html" --dump-dom >"$tmp/planted.dom" || fail "chromium failed on the planted page"
grep -q 'data-script-errors="[^"]*planted' "$tmp/planted.dom" || fail "the planted script error went unseen"
grep -q 'data-rendered="3"' "$tmp/planted.dom" && fail "the planted page claims to have drawn its plots"
echo "report: files, exit codes and the page in a headless browser behave"
