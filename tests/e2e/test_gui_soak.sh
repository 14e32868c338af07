#!/usr/bin/env bash
# End to end: the short form (60 s) of the monkey soak (tools/soak.py): random clicks, drags,
# scrolls, keys and typing on a text of 1,024+ tokens under Xvfb. Fails on a crash, a sanitizer
# report (tools/setup.sh test also runs it against the ASan build) or RSS that does not level
# off. The long form: python3 tools/soak.py --seconds 600.
# Usage: test_gui_soak.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
set -euo pipefail
binary=$(realpath "$1")
scratch=$3
here=$(dirname "$(realpath "$0")")
rm -rf "$scratch"
mkdir -p "$scratch"
for tool in xvfb-run xdotool; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed" >&2; exit 1; }
done
# The built-in model (1,024 positions) from beside the binary, whatever the caller's environment.
unset ATTNVIZ_MODEL_DIR DISPLAY WAYLAND_DISPLAY
# First the soak's own checks against stand-ins that crash and leak (about 25 s; skipped with
# ATTNVIZ_SOAK_SELF_TEST=0, as the ASan run in tools/setup.sh does: it tests the script).
if [ "${ATTNVIZ_SOAK_SELF_TEST:-1}" != 0 ]; then
  timeout --kill-after=10 180 python3 "$here/../../tools/soak.py" --self-test
fi
exec timeout --kill-after=10 420 python3 "$here/../../tools/soak.py" --seconds "${ATTNVIZ_SOAK_SECONDS:-60}" \
  --binary "$binary" --seed "${ATTNVIZ_SOAK_SEED:-1}" --out "$(realpath "$scratch")" --shots 30
