#!/usr/bin/env bash
# End to end: a session saved with real input reopens to the same screen, pixel for pixel; its
# headless export equals the GUI's; changed weights are named; a future format is refused
# (issue 14, gui_session_scenario.py).
# Usage: test_gui_session.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_session_scenario "$@"
