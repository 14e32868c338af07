# Shared by the command-line e2e tests (tests/e2e/test_cli_*.sh): sourced, never run.
# The caller passes <attnviz binary> <tests/data dir> <scratch dir>; after sourcing, BIN, DATA
# and SCRATCH are absolute paths, the scratch folder is empty and the working directory, and
# PY names the system Python (numpy is checked against it).
#   fail MESSAGE             counts a failure and prints it
#   run EXPECTED_RC ARGS...  runs attnviz ARGS with stdout in out.txt and stderr in err.txt;
#                            a different exit code is a failure; returns 0 only when it matched
#   expect_stderr PATTERN    err.txt of the last run holds PATTERN (grep)
#   finish NAME              prints the count of failures and exits 1, or says NAME passed
set -u
BIN=$(readlink -f "$1")
DATA=$(readlink -f "$2")
SCRATCH=$(readlink -m "$3")
PY=/usr/bin/python3
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
cd "$SCRATCH" || exit 1
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

run() {
  local expected=$1
  shift
  "$BIN" "$@" >out.txt 2>err.txt
  local rc=$?
  if [ "$rc" != "$expected" ]; then
    fail "expected exit $expected, got $rc: attnviz $*"
    sed 's/^/  stderr: /' err.txt >&2
    return 1
  fi
  return 0
}

expect_stderr() {
  grep -q -- "$1" err.txt || { fail "stderr lacks '$1'"; sed 's/^/  stderr: /' err.txt >&2; }
}

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$1: $failures check(s) failed" >&2
    exit 1
  fi
  echo "$1: all checks passed"
  exit 0
}
