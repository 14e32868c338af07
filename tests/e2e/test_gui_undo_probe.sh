#!/usr/bin/env bash
# End to end (issue 11, item 15): "Nothing to export yet" goes once text is typed; "Show probe
# text" can be undone with Ctrl+Z or the status bar's Undo. Real xdotool input under Xvfb (see
# gui_undo_probe_scenario.py).
# Usage: test_gui_undo_probe.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_undo_probe_scenario "$@"
