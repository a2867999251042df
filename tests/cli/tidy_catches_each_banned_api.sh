#!/usr/bin/env bash
# tools/tidy must name every planted violation in tests/tidy_fixture, line by
# line, and accept the real engine tree.
set -u
fixture=tests/tidy_fixture/shard/violations.cc
out=$(tools/tidy tests/tidy_fixture)
[ $? -eq 1 ] || { echo "tidy did not fail on the fixture"; exit 1; }
# Every line after the comment header that is not a brace is a violation.
n=0
while IFS= read -r line; do
  n=$((n + 1))
  case "$line" in
    //*|'void f() {'|'}'|'') continue ;;
  esac
  echo "$out" | grep -q "violations.cc:$n:" || { echo "tidy missed line $n: $line"; exit 1; }
done < "$fixture"
tools/tidy engine >/dev/null || { echo "tidy rejects the engine tree:"; tools/tidy engine; exit 1; }
echo "tidy: every planted violation named"
