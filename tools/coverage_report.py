#!/usr/bin/env python3
"""Turns gcovr's JSON for engine/raft and engine/storage into the two things
tools/coverage prints: line and branch coverage per file, and every uncovered
branch in safety-relevant code as file:line with its source line.

"Safety-relevant" is the table TOPICS below: a topic is a protocol concern
(elections, commit rules, recovery, ...) named by file and function. A line is
listed when it makes a decision in the source (if, ?:, &&, a loop, ...) and
some outcome of its branches was never taken; a line that never ran says so.
Lines without a decision are left out of the list (their branches are the
compiler's: exception cleanup, temporaries), though not out of the figures.
So are the failing side of a SHOAL_ASSERT and the planted-bug switch, which a
correct run must never take: they are only counted, so that the list holds
what a workload or a nemesis could reach.

Usage: coverage_report.py GCOVR_JSON SOURCE_ROOT OUT_DIR LABEL  (LABEL names the run in the summary)
Writes OUT_DIR/summary.txt and OUT_DIR/uncovered.txt and prints both.
"""
import bisect
import json
import os
import re
import sys
from dataclasses import dataclass, field

# (topic, file regex, function regex). Function names are gcov's demangled
# ones, e.g. "shoal::RaftNode::on_append(shoal::RaftMessage&&)"; a lambda's
# name begins with its enclosing function's, so it belongs to the same topic.
# A line goes to the first topic that matches.
TOPICS = [
    ("raft: elections and votes", r"raft/raft_election\.cc$", r"."),
    ("raft: elections and votes", r"raft/raft\.cc$",
     r"::(step|become_follower|become_leader|accept_leader|heard_from_leader_recently|persist_then)\("),
    ("raft: log append and truncation", r"raft/raft_replication\.cc$", r"::on_append\("),
    ("raft: log append and truncation", r"storage/(disk_log|memory_log|entry_table)\.cc$",
     r"::(append|check_append|truncate_after|check_truncate_after|cut_after|remove_newest_segment|write_entries)\("),
    ("raft: commit rules", r"raft/raft_replication\.cc$",
     r"::(maybe_commit|advance_commit|on_append_response|on_own_append_durable|apply_committed|apply_entry|complete_writes|propose)\("),
    ("raft: snapshots and their install", r"raft/raft_snapshot\.cc$",
     r"::(on_snapshot|on_snapshot_response|restore_from_snapshot_store|send_snapshot_chunk|maybe_snapshot)\("),
    ("raft: snapshots and their install", r"raft/raft_replication\.cc$", r"::send_append\("),
    ("raft: snapshots and their install", r"storage/(disk|memory)_snapshot_store\.cc$",
     r"::(begin_install|install_chunk|finish_install|abort_install|save|commit|replace_latest)\("),
    ("raft: snapshots and their install", r"storage/(disk_log|memory_log|entry_table)\.cc$",
     r"::(compact|check_compact|compact_files|remove_oldest_segment|reset)\("),
    ("raft: membership changes and leadership transfer", r"raft/raft_membership\.cc$", r"."),
    ("raft: membership changes and leadership transfer", r"raft/membership\.cc$", r"::(apply_change|decode_membership)\("),
    ("raft: membership changes and leadership transfer", r"raft/raft_snapshot\.cc$", r"::config_at\("),
    ("raft: lease and ReadIndex reads", r"raft/raft_read\.cc$", r"."),
    ("raft: lease and ReadIndex reads", r"raft/raft_replication\.cc$", r"::on_heartbeat_timer\("),
    ("storage: recovery and torn tails", r"storage/disk_log_recovery\.cc$", r"."),
    ("storage: recovery and torn tails", r"storage/disk_snapshot_store\.cc$",
     r"::(open_dir|recover|read_verified|load|read_chunk|fail_corrupt)\("),
    ("storage: recovery and torn tails", r"storage/hard_state_file\.cc$", r"::decode_hard_state\("),
    ("storage: recovery and torn tails", r"storage/recovery_report\.(h|cc)$", r"."),
    ("storage: corruption detection", r"storage/(wal|snapshot)_format\.cc$", r"."),
    ("storage: sync and write failures", r"storage/disk_log\.cc$",
     r"::(admit|enqueue|start_group|start_hard_state_group|finish_group|fail|apply|ensure_tail_segment|save_hard_state)\("),
    ("storage: sync and write failures", r"storage/memory_log\.cc$", r"::(admit|enqueue|flush|fail|save_hard_state)\("),
]

# Branches a passing run of a correct build never takes.
NEVER_TAKEN_RE = re.compile(r"\bSHOAL_ASSERT\b|\bplanted_bug\(\)")
# A decision the source makes, as opposed to branches the compiler adds.
DECISION_RE = re.compile(r"\b(if|while|for|switch|case|BUGGIFY)\b|\?|&&|\|\|")


@dataclass
class Ratio:
    covered: int = 0
    total: int = 0

    def add(self, covered, total):
        self.covered += covered
        self.total += total

    def __str__(self):
        if self.total == 0:
            return "     -         "
        return f"{100.0 * self.covered / self.total:5.1f}% {self.covered:>4}/{self.total:<4}"


@dataclass
class Uncovered:
    file: str
    line: int
    function: str
    taken: int
    total: int
    ran: bool
    source: str


@dataclass
class FileStats:
    lines: Ratio = field(default_factory=Ratio)
    branches: Ratio = field(default_factory=Ratio)
    never_taken_branches: int = 0


def plain_name(name):
    """gcov's demangled name without what keeps a pattern from matching it."""
    return name.replace("(anonymous namespace)::", "").replace("[abi:cxx11]", "")


def short_function(name):
    """'shoal::RaftNode::on_append(shoal::RaftMessage&&)' -> 'RaftNode::on_append'."""
    head = plain_name(name).split("(", 1)[0]
    return head[len("shoal::"):] if head.startswith("shoal::") else head


def enclosing_functions(functions):
    """(sorted start lines, names) so that bisect finds the function a line is in."""
    ordered = sorted((f["lineno"], f["name"]) for f in functions)
    return [l for l, _ in ordered], [n for _, n in ordered]


def statement_text(source, lineno):
    """The line and the lines of the same statement before it, so that the
    second line of `if (a ||\n    b) {` is seen to make a decision."""
    first = lineno - 1
    while first > 0:
        prev = source[first - 1].split("//", 1)[0].rstrip()
        if not prev or prev.endswith((";", "{", "}", ":")):
            break
        first -= 1
    return " ".join(source[first:lineno])


def topic_of(path, function):
    for topic, file_re, fn_re in TOPICS:
        if re.search(file_re, path) and re.search(fn_re, plain_name(function)):
            return topic
    return None


def analyse(data, root):
    stats, uncovered = {}, []
    for f in data["files"]:
        path = f["file"]
        try:
            with open(os.path.join(root, path), encoding="utf-8", errors="replace") as src:
                source = src.read().split("\n")
        except OSError as e:
            sys.exit(f"coverage: cannot read {path} under {root}: {e}")
        starts, names = enclosing_functions(f["functions"])
        s = stats.setdefault(path, FileStats())
        for ln in f["lines"]:
            if ln["gcovr/noncode"] or ln["gcovr/excluded"]:
                continue
            s.lines.add(1 if ln["count"] > 0 else 0, 1)
            branches = ln["branches"]
            if not branches:
                continue
            taken = sum(1 for b in branches if b["count"] > 0)
            text = source[ln["line_number"] - 1].strip() if ln["line_number"] <= len(source) else ""
            if NEVER_TAKEN_RE.search(text):
                s.never_taken_branches += len(branches)
                continue
            s.branches.add(taken, len(branches))
            if taken == len(branches) or not DECISION_RE.search(statement_text(source, ln["line_number"])):
                continue
            i = bisect.bisect_right(starts, ln["line_number"]) - 1
            fn = names[i] if i >= 0 else ""
            uncovered.append(Uncovered(path, ln["line_number"], fn, taken, len(branches), ln["count"] > 0, text))
    return stats, uncovered


def summary_text(stats, label):
    out = [f"Coverage of engine/raft and engine/storage ({label})",
           f"{'file':<44} {'lines':<16} {'branches':<16}"]
    total_lines, total_branches, never_taken = Ratio(), Ratio(), 0
    for path in sorted(stats):
        s = stats[path]
        if s.lines.total == 0:
            continue
        out.append(f"{path:<44} {s.lines!s:<16} {s.branches!s:<16}")
        total_lines.add(s.lines.covered, s.lines.total)
        total_branches.add(s.branches.covered, s.branches.total)
        never_taken += s.never_taken_branches
    out.append(f"{'total':<44} {total_lines!s:<16} {total_branches!s:<16}")
    out.append(f"(branches leave out exception paths, and the {never_taken} outcomes on SHOAL_ASSERT and planted-bug lines)")
    return "\n".join(out) + "\n"


def uncovered_text(uncovered):
    by_topic = {}
    other = 0
    for u in uncovered:
        topic = topic_of(u.file, u.function)
        if topic is None:
            other += 1
            continue
        by_topic.setdefault(topic, []).append(u)
    order = list(dict.fromkeys(t for t, _, _ in TOPICS))
    out = ["Uncovered branches in safety-relevant code "
           "(file:line [branch outcomes taken/all] function, then the source line)"]
    for topic in order:
        items = by_topic.get(topic, [])
        out.append("")
        out.append(f"== {topic}: {len(items)} line(s) with an untaken branch")
        for u in sorted(items, key=lambda u: (u.file, u.line)):
            how = "never ran" if not u.ran else f"{u.taken}/{u.total} taken"
            out.append(f"{u.file}:{u.line}  [{how}]  {short_function(u.function)}")
            out.append(f"    {u.source}")
    out.append("")
    out.append(f"({other} further decision line(s) with an untaken branch lie outside these topics; see index.html)")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: coverage_report.py GCOVR_JSON SOURCE_ROOT OUT_DIR LABEL")
    json_path, root, out_dir, label = sys.argv[1:]
    try:
        with open(json_path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"coverage: cannot read gcovr's output {json_path}: {e}")
    if not data.get("files"):
        sys.exit(f"coverage: {json_path} holds no files: did the tests run in the coverage build?")
    stats, uncovered = analyse(data, root)
    summary, listing = summary_text(stats, label), uncovered_text(uncovered)
    for name, text in (("summary.txt", summary), ("uncovered.txt", listing)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)
    sys.stdout.write(summary + "\n" + listing)


if __name__ == "__main__":
    main()
