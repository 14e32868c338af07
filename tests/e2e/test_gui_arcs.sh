#!/usr/bin/env bash
# End to end: the real desktop app under Xvfb, driven with real input events (xdotool).
# Clicks a token and checks that arcs appear above the earlier tokens (and not the later ones:
# GPT-2 is causal), toggles a head and checks the picture changes, exports a PNG with Ctrl+E
# and checks it decodes. Usage: test_gui_arcs.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
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
  /usr/bin/python3 "$here/gui_driver.py" gui_arcs_scenario "$binary" "$data" "$scratch"
