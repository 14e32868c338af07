#!/usr/bin/env bash
# End to end: the views that make big models readable, in the real desktop app under Xvfb with
# real input events (xdotool): "Merge sub-words into words" and "Hide first token" change the
# tokens on screen to the hand-counted words; the diff window (D key) shows a white difference
# map for identical texts and red/blue cells once one word of the second text is edited.
# Usage: test_gui_views.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
set -euo pipefail
binary=$(realpath "$1")
data=$(realpath "$2")
scratch=$3
here=$(dirname "$(realpath "$0")")
rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(realpath "$scratch")
for tool in xvfb-run xdotool import; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done
timeout --kill-after=10 300 xvfb-run -a -s "-screen 0 1600x1000x24" \
  /usr/bin/python3 "$here/gui_driver.py" gui_views_scenario "$binary" "$data" "$scratch"
