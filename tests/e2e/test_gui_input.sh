#!/usr/bin/env bash
# End to end (issue 11): double-click solos a head, quick key presses are all seen, plain-key
# shortcuts act only after a click on the views, Enter appends a prediction; real input events
# under Xvfb (see gui_input_scenario.py).
# Usage: test_gui_input.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_input_scenario "$@"
