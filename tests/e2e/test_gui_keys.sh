#!/usr/bin/env bash
# End to end: keyboard shortcuts, a model folder that fails to load, one dropped on the window,
# and `attnviz view`, driven with real input events under Xvfb (see gui_keys_scenario.py).
# Usage: test_gui_keys.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_keys_scenario "$@"
