#!/usr/bin/env bash
# End to end: keyboard shortcuts, a model folder that fails to load, and `attnviz view`,
# driven with real input events under Xvfb (see gui_keys_scenario.py).
# Usage: test_gui_keys.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
set -euo pipefail
binary=$(realpath "$1")
data=$(realpath "$2")
scratch=$3
here=$(dirname "$(realpath "$0")")
rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(realpath "$scratch")
for tool in xvfb-run xdotool import identify; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done
# timeout: the whole scenario, app start included, can never hang the test run.
timeout --kill-after=10 300 xvfb-run -a -s "-screen 0 1600x1000x24" \
  /usr/bin/python3 "$here/gui_driver.py" gui_keys_scenario "$binary" "$data" "$scratch"
