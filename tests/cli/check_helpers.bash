# Sourced by the tests/cli/check_*.sh scripts (it is not a test itself): a
# scratch folder, a count of failures, and expectations on runs of shoal.
# REQUIRES: $shoal names the shoal binary.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect CODE ARGS...: runs shoal ARGS, keeps its stdout and stderr in
# $tmp/out and $tmp/err, and checks the exit code.
expect() {
  local want=$1; shift
  "$shoal" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" -eq "$want" ] ||
    fail "shoal $* exited $got, wanted $want; out: $(head -c 400 "$tmp/out") err: $(head -c 400 "$tmp/err")"
}

contains() { grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(head -c 400 "$1")"; }

# finish NAME: the last line, and exit 1 when anything failed.
finish() {
  [ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
  echo "$1: all passed"
}
