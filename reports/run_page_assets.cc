#include "reports/run_page_assets.h"

namespace shoal::reports {

const char* const kRunPageStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; max-width: 1200px; }
h2 { font-size: 17px; margin: 1.4em 0 0.4em; }
.verdict { display: flex; align-items: center; gap: 1.2em; padding: 0.7em 1em; border-radius: 6px; }
.verdict.pass { background: #dff3e4; border: 1px solid #7cc08f; }
.verdict.fail { background: #fbe0e0; border: 1px solid #e05252; }
.verdict .big { font-size: 30px; font-weight: 700; white-space: nowrap; }
.verdict .facts span { white-space: nowrap; margin-right: 0.8em; }
.verdict.pass .big { color: #1e7a3c; } .verdict.fail .big { color: #b42323; }
.first-failure { font-size: 15px; color: #b42323; }
table { border-collapse: collapse; font-size: 13px; }
td, th { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed { background: #fbe0e0; } tr.failed td:nth-child(2) { color: #b42323; font-weight: 700; }
pre.replay { background: #f4f4f4; padding: 8px 10px; white-space: pre-wrap; word-break: break-all; }
.side { display: flex; gap: 3em; flex-wrap: wrap; }
.legend { font-size: 12px; color: #444; margin-bottom: 4px; }
.legend span { margin-right: 14px; white-space: nowrap; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px;
            border-radius: 2px; }
svg.plot { display: block; width: 100%; height: auto; }
svg.plot text { font-size: 11px; fill: #444; }
svg.plot .label { font-size: 12px; fill: #222; }
svg.plot .empty { font-size: 14px; fill: #777; }
svg.plot .note { fill: #7a5a00; }
svg.plot .grid { stroke: #ececec; } svg.plot .axis { stroke: #888; }
svg.plot .fault { opacity: 0.35; } svg.plot .fault.instant { opacity: 0.8; }
svg.plot .failure { stroke: #b42323; stroke-width: 1.5; stroke-dasharray: 5 3; }
svg.plot .failure-label { fill: #b42323; font-weight: 700; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.plot .term { fill: #fff; font-size: 10px; }
)css";

// Plain DOM and SVG, no libraries; every number it draws comes from the data
// block, so the page works from a file with no network.
const char* const kRunPageScript = R"js(
window.onerror = function (message, source, line) {
  document.body.dataset.scriptErrors = String(message) + (line ? ' (line ' + line + ')' : '');
};
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('data').textContent);
  var result = data.result;
  var NS = 'http://www.w3.org/2000/svg';
  var WIDTH = 1160, LEFT = 70, RIGHT = 20, AXIS = 44;
  var FAULT_COLOURS = ['#f4a261', '#9b8ec4', '#e9c46a', '#7fb8d4', '#e5989b', '#8fbf8f', '#c9a27e', '#b5b5b5'];
  var OUTCOME_COLOURS = {ok: '#2a9d57', failed: '#d62828', unknown: '#e07b00'};
  var ROLE_COLOURS = {leader: '#1f5fbf', candidate: '#f2b441', follower: '#b8c9e0', learner: '#c7b3e0', down: '#555'};
  var endS = data.end_s;
  var kinds = [];
  result.faults.forEach(function (f) { if (kinds.indexOf(f.kind) < 0) kinds.push(f.kind); });
  kinds.sort();

  function el(parent, name, attrs, text) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  function titled(e, text) { el(e, 'title', {}, text); return e; }
  function seconds(t) { return t.toFixed(3) + ' s'; }
  function faultColour(kind) { return FAULT_COLOURS[kinds.indexOf(kind) % FAULT_COLOURS.length]; }
  function xOf(t) { return LEFT + Math.min(Math.max(t, 0), endS) / endS * (WIDTH - LEFT - RIGHT); }

  // About `count` round steps (1, 2 or 5 times a power of ten) from lo to hi.
  function ticks(lo, hi, count) {
    var raw = (hi - lo) / count;
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * p; }).filter(function (s) { return s >= raw; })[0];
    var out = [];
    for (var i = Math.ceil(lo / step); i * step <= hi + step * 1e-9; i++) out.push(+(i * step).toPrecision(12));
    return out;
  }

  function frame(svg, height) {
    svg.setAttribute('viewBox', '0 0 ' + WIDTH + ' ' + height);
    svg.setAttribute('width', WIDTH);
    svg.setAttribute('height', height);
  }
  function say(svg, message) {
    frame(svg, 50);
    el(svg, 'text', {x: WIDTH / 2, y: 30, 'text-anchor': 'middle', 'class': 'empty'}, message);
    svg.dataset.empty = 'true';
    return false;
  }
  function timeAxis(svg, top, bottom) {
    ticks(0, endS, 12).forEach(function (t) {
      var x = xOf(t);
      el(svg, 'line', {x1: x, x2: x, y1: top, y2: bottom, 'class': 'grid'});
      el(svg, 'text', {x: x, y: bottom + 15, 'text-anchor': 'middle'}, String(t));
    });
    el(svg, 'line', {x1: LEFT, x2: WIDTH - RIGHT, y1: bottom, y2: bottom, 'class': 'axis'});
    el(svg, 'text', {x: (LEFT + WIDTH - RIGHT) / 2, y: bottom + 34, 'text-anchor': 'middle', 'class': 'label'},
       'virtual time (s)');
  }
  function valueAxis(svg, top, bottom, values, yOf, name) {
    values.forEach(function (v) {
      var y = yOf(v);
      el(svg, 'line', {x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y, 'class': 'grid'});
      el(svg, 'text', {x: LEFT - 6, y: y + 4, 'text-anchor': 'end'}, String(v));
    });
    el(svg, 'line', {x1: LEFT, x2: LEFT, y1: top, y2: bottom, 'class': 'axis'});
    var mid = (top + bottom) / 2;
    el(svg, 'text', {x: 14, y: mid, 'text-anchor': 'middle', 'class': 'label', transform: 'rotate(-90 14 ' + mid + ')'},
       name);
  }
  function shadeFaults(svg, top, bottom) {
    result.faults.forEach(function (f) {
      var x0 = xOf(f.start_s), x1 = xOf(f.end_s), instant = x1 - x0 < 3;
      titled(el(svg, 'rect', {x: instant ? x0 - 1 : x0, y: top, width: instant ? 3 : x1 - x0, height: bottom - top,
                              fill: faultColour(f.kind), 'class': instant ? 'fault instant' : 'fault'}),
             f.kind + ' ' + seconds(f.start_s) + ' to ' + seconds(f.end_s) + (f.detail ? ': ' + f.detail : ''));
    });
  }
  function markFailure(svg, top, bottom) {
    var f = data.failure;
    if (!f || f.at_s === null) return;
    var x = xOf(f.at_s);
    el(svg, 'line', {x1: x, x2: x, y1: top, y2: bottom, 'class': 'failure'});
    var right = x > WIDTH * 0.7;
    el(svg, 'text', {x: right ? x - 4 : x + 4, y: top + 12, 'text-anchor': right ? 'end' : 'start',
                     'class': 'failure-label'}, 'first failure: ' + f.check + ' at ' + seconds(f.at_s));
  }
  function legend(name, entries) {
    var box = document.querySelector('[data-legend="' + name + '"]');
    kinds.forEach(function (k) { entries.push({colour: faultColour(k), text: k + ' (fault)', faded: true}); });
    entries.forEach(function (e) {
      var span = document.createElement('span');
      var swatch = document.createElement('i');
      swatch.style.background = e.colour;
      if (e.faded) swatch.style.opacity = '0.5';
      span.appendChild(swatch);
      span.appendChild(document.createTextNode(e.text));
      box.appendChild(span);
    });
  }

  function drawLatency(svg) {
    var points = data.ops.points;
    if (data.ops.total === 0) return say(svg, 'no client operations');
    if (points.length === 0) return say(svg, 'no client operation completed');
    legend('latency', [{colour: OUTCOME_COLOURS.ok, text: 'ok'}, {colour: OUTCOME_COLOURS.failed, text: 'failed (×)'},
                       {colour: OUTCOME_COLOURS.unknown, text: 'unknown (△)'}]);
    var height = 340, top = 20, bottom = height - AXIS;
    frame(svg, height);
    var lo = Infinity, hi = 0;
    points.forEach(function (p) { var ms = Math.max(p[1], 1) / 1000; lo = Math.min(lo, ms); hi = Math.max(hi, ms); });
    var d0 = Math.floor(Math.log10(lo)), d1 = Math.max(Math.ceil(Math.log10(hi)), d0 + 1);
    function yOf(ms) { return bottom - (Math.log10(ms) - d0) / (d1 - d0) * (bottom - top); }
    var marks = [];
    for (var d = d0; d <= d1; d++) {
      (d1 - d0 <= 3 && d < d1 ? [1, 2, 5] : [1]).forEach(function (m) {
        marks.push(+(m * Math.pow(10, d)).toPrecision(6));
      });
    }
    shadeFaults(svg, top, bottom);
    timeAxis(svg, top, bottom);
    valueAxis(svg, top, bottom, marks, yOf, 'latency (ms, log)');
    var groups = [el(svg, 'g', {fill: OUTCOME_COLOURS.ok, 'fill-opacity': 0.45}),
                  el(svg, 'g', {stroke: OUTCOME_COLOURS.failed, 'stroke-width': 1.6, fill: 'none'}),
                  el(svg, 'g', {stroke: OUTCOME_COLOURS.unknown, 'stroke-width': 1.4, fill: 'none'})];
    points.forEach(function (p) {
      var x = xOf(p[0] / 1000), ms = Math.max(p[1], 1) / 1000, y = yOf(ms);
      if (p[2] === 0) {
        el(groups[0], 'circle', {cx: x.toFixed(1), cy: y.toFixed(1), r: 2});
        return;
      }
      var shape = p[2] === 1 ? 'M' + (x - 3) + ' ' + (y - 3) + 'l6 6m0 -6l-6 6' : 'M' + x + ' ' + (y - 4) + 'l4 7h-8z';
      titled(el(groups[p[2]], 'path', {d: shape}), (p[2] === 1 ? 'failed' : 'unknown') + ', invoked at ' +
             seconds(p[0] / 1000) + ', answered after ' + ms.toFixed(3) + ' ms');
    });
    markFailure(svg, top, bottom);
    var notes = [];
    if (data.ops.sample_note) notes.push(data.ops.sample_note);
    if (data.ops.pending) notes.push(data.ops.pending + ' operations never completed (not drawn)');
    el(svg, 'text', {x: WIDTH - RIGHT, y: 12, 'text-anchor': 'end', 'class': 'note'}, notes.join('; '));
    return true;
  }

  function drawThroughput(svg) {
    var tp = data.throughput;
    if (data.ops.total === 0) return say(svg, 'no client operations');
    legend('throughput', [{colour: OUTCOME_COLOURS.ok, text: 'ok'},
                          {colour: OUTCOME_COLOURS.failed, text: 'failed or unknown'}]);
    var height = 240, top = 14, bottom = height - AXIS;
    frame(svg, height);
    var max = 1;
    tp.ok.forEach(function (v, i) { max = Math.max(max, v + tp.other[i]); });
    var marks = ticks(0, max, 5).filter(Number.isInteger);
    var yMax = Math.max(max, marks[marks.length - 1]);
    function yOf(v) { return bottom - v / yMax * (bottom - top); }
    shadeFaults(svg, top, bottom);
    timeAxis(svg, top, bottom);
    valueAxis(svg, top, bottom, marks, yOf, 'completed per ' + tp.bucket_s + ' s');
    tp.ok.forEach(function (ok, i) {
      var other = tp.other[i];
      if (ok + other === 0) return;
      var x0 = xOf(i * tp.bucket_s), x1 = xOf(Math.min((i + 1) * tp.bucket_s, endS));
      var g = titled(el(svg, 'g', {}), seconds(i * tp.bucket_s) + ' to ' + seconds((i + 1) * tp.bucket_s) + ': ' +
                     ok + ' ok, ' + other + ' failed or unknown');
      var w = Math.max(x1 - x0 - 1, 1);
      // Slightly see-through, so a fault window behind the bars still shows.
      if (ok) el(g, 'rect', {x: x0, y: yOf(ok), width: w, height: bottom - yOf(ok), fill: OUTCOME_COLOURS.ok,
                             'fill-opacity': 0.8});
      if (other) {
        el(g, 'rect', {x: x0, y: yOf(ok + other), width: w, height: yOf(ok) - yOf(ok + other),
                       fill: OUTCOME_COLOURS.failed});
      }
    });
    markFailure(svg, top, bottom);
    return true;
  }

  function drawRoles(svg) {
    var roles = result.roles;
    if (roles.length === 0) return say(svg, 'no role spans recorded');
    legend('roles', Object.keys(ROLE_COLOURS).map(function (r) { return {colour: ROLE_COLOURS[r], text: r}; }));
    var nodes = [];
    roles.forEach(function (s) { if (nodes.indexOf(s.node) < 0) nodes.push(s.node); });
    nodes.sort(function (a, b) { return a - b; });
    var ROW = 24, top = 8, faultRows = result.faults.length ? 1 : 0;
    var bottom = top + (nodes.length + faultRows) * ROW, height = bottom + AXIS;
    frame(svg, height);
    timeAxis(svg, top, bottom);
    function rowY(i) { return top + (i + faultRows) * ROW; }
    if (faultRows) {
      el(svg, 'text', {x: LEFT - 8, y: top + ROW / 2 + 4, 'text-anchor': 'end'}, 'faults');
      shadeFaults(svg, top + 3, top + ROW - 3);
    }
    nodes.forEach(function (n, i) {
      el(svg, 'text', {x: LEFT - 8, y: rowY(i) + ROW / 2 + 4, 'text-anchor': 'end'}, 'n' + n);
    });
    roles.forEach(function (s) {
      var x0 = xOf(s.start_s), x1 = xOf(s.end_s), y = rowY(nodes.indexOf(s.node));
      var g = titled(el(svg, 'g', {}), 'n' + s.node + ' ' + s.role + ', term ' + s.term + ', ' + seconds(s.start_s) +
                     ' to ' + seconds(s.end_s));
      el(g, 'rect', {x: x0, y: y + 3, width: Math.max(x1 - x0, 1), height: ROW - 6,
                     fill: ROLE_COLOURS[s.role] || '#ddd'});
      if (s.role === 'leader' && x1 - x0 > 50) {
        el(g, 'text', {x: x0 + 4, y: y + ROW / 2 + 4, 'class': 'term'}, 'term ' + s.term);
      }
    });
    markFailure(svg, top, bottom);
    return true;
  }

  var drawers = {latency: drawLatency, throughput: drawThroughput, roles: drawRoles};
  var drawn = 0;
  document.querySelectorAll('svg.plot').forEach(function (svg) {
    if (drawers[svg.dataset.plot](svg)) drawn++;
  });
  document.body.dataset.rendered = String(drawn);
})();
)js";

}  // namespace shoal::reports
