#!/usr/bin/env bash
# End to end (issue 11, item 7): typed CJK shows as itself, not "?" (fallback fonts found with
# fontconfig and merged into the atlas), and a character no font has is named on screen. Real
# xdotool typing under Xvfb (see gui_fonts_scenario.py).
# Usage: test_gui_fonts.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_fonts_scenario "$@"
