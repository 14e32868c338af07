#!/usr/bin/env bash
# Runs one scenario of gui_driver.py under Xvfb for the test_gui_*.sh scripts, with a fresh
# scratch folder and a time limit, so no scenario can hang the test run.
# Usage: run_gui_scenario.sh SCENARIO ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
set -euo pipefail
scenario=$1
binary=$(realpath "$2")
data=$(realpath "$3")
scratch=$4
here=$(dirname "$(realpath "$0")")
rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(realpath "$scratch")
for tool in xvfb-run xdotool import identify; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done
# timeout: the whole scenario, app start included.
timeout --kill-after=10 300 xvfb-run -a -s "-screen 0 1600x1000x24" \
  /usr/bin/python3 "$here/gui_driver.py" "$scenario" "$binary" "$data" "$scratch"
