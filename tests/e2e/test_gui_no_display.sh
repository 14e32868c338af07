#!/usr/bin/env bash
# Without a display the desktop app says it needs one, points to the CLI, and exits non-zero
# (no crash, no hang). Usage: test_gui_no_display.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
set -uo pipefail
binary=$1
scratch=$3
mkdir -p "$scratch"
for command in "" "view --attention $2/none.npy --tokens $2/none.json"; do
  output=$(env -u DISPLAY -u WAYLAND_DISPLAY XDG_CONFIG_HOME="$scratch/config" \
           timeout 20 "$binary" $command 2>&1)
  status=$?
  if [ "$status" -eq 0 ] || [ "$status" -ge 124 ]; then
    echo "FAIL: 'attnviz $command' without a display exited with $status (want 1 or 2, no timeout/crash)"
    echo "$output"
    exit 1
  fi
  if [ -z "$command" ] && ! grep -q "needs a display" <<<"$output"; then
    echo "FAIL: no 'needs a display' message: $output"; exit 1
  fi
  if [ -z "$command" ] && ! grep -q "attnviz export" <<<"$output"; then
    echo "FAIL: the message does not point to 'attnviz export': $output"; exit 1
  fi
done
# A bad option is a usage error (2), not a window.
env -u DISPLAY "$binary" --no-such-option >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: an unknown option must exit with 2"; exit 1; }
echo PASS
