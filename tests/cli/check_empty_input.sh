#!/usr/bin/env bash
# Every `shoal check` subcommand, in every history format, refuses input it
# cannot judge: an empty file is "empty history: nothing to check", and a
# file that yields no operation (a binary file, a log with no event line in
# the format) is bad input. Each gets one line naming the file on stderr and
# exit 2, never a verdict on zero operations and never a crash.
# Usage: bash tests/cli/check_empty_input.sh path/to/shoal   (from the repo root)
set -uo pipefail
shoal=${1:?usage: check_empty_input.sh path/to/shoal}
# shellcheck source=tests/cli/check_helpers.bash
source "$(dirname "$0")/check_helpers.bash"

# refused WHAT FILE ARGS...: shoal ARGS FILE exits 2 with one stderr line
# naming FILE and containing WHAT, and prints no verdict.
refused() {
  local what=$1 file=$2; shift 2
  local before=$failures
  expect 2 "$@" "$file"
  [ "$failures" -eq "$before" ] || return
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "shoal $* $file: want one line on stderr, got: $(head -c 300 "$tmp/err" | od -c | head)"
  contains "$tmp/err" "$file"
  contains "$tmp/err" "$what"
  grep -q "linearizable\|: ok\|0 operations" "$tmp/out" && fail "shoal $* $file printed a verdict: $(head -c 300 "$tmp/out")"
}

: >"$tmp/empty"
printf '\n  \n\t\n' >"$tmp/blank"
# Bytes of a binary file: an ELF header, NULs, high bytes and a few newlines.
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\003\000>\000\001\000\000\000\n\377\376\375\000\001\002\033[0m\n\200\201' >"$tmp/binary"
head -c 65536 "$shoal" >"$tmp/program"
printf '%s\n' '2017-01-01 12:00:00 INFO  jepsen.core - Running test' 'setting up etcd' >"$tmp/noise.log"
printf '%s\n' '{"shoal_history":1,"initial":null}' >"$tmp/header-only.jsonl"
echo '{}' >"$tmp/final.json"

for format in shoal jepsen-log jepsen-edn; do
  for cmd in "check linearizable --model kv" "check sessions" "check staleness --bound 1s" \
             "check lost-writes --final $tmp/final.json"; do
    # shellcheck disable=SC2086
    refused "empty history: nothing to check" "$tmp/empty" $cmd --format "$format"
    # shellcheck disable=SC2086
    refused "empty history: nothing to check" "$tmp/blank" $cmd --format "$format"
    # shellcheck disable=SC2086
    refused "" "$tmp/binary" $cmd --format "$format"
    # shellcheck disable=SC2086
    refused "" "$tmp/program" $cmd --format "$format"
  done
done
refused "no line" "$tmp/noise.log" check linearizable --model cas-register --format jepsen-log
refused "no line" "$tmp/binary" check linearizable --model cas-register --format jepsen-log
refused "empty history: nothing to check" "$tmp/header-only.jsonl" check linearizable
refused "empty history: nothing to check" "$tmp/header-only.jsonl" check sessions

# With --json the file is reported as bad input, and the exit is still 2.
expect 2 check linearizable --json --format jepsen-log "$tmp/binary"
contains "$tmp/out" '"verdict":"bad-input"'

finish check_empty_input
