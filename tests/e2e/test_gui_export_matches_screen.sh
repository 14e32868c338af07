#!/usr/bin/env bash
# End to end: an export is what is on screen (issue 10). The real app under Xvfb, each view set
# up with real input and exported with Ctrl+E as a PNG at 1x; the picture on screen and in the
# file must have the same size and agree within a small tolerance (gui_export_scenario.py).
# Usage: test_gui_export_matches_screen.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_export_scenario "$@"
