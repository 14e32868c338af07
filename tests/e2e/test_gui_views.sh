#!/usr/bin/env bash
# End to end: the views that make big models readable, in the real desktop app under Xvfb with
# real input events (xdotool): "Merge sub-words into words" and "Hide first token" change the
# tokens on screen to the hand-counted words; the diff window (D key) shows a white difference
# map for identical texts and red/blue cells once one word of the second text is edited.
# Usage: test_gui_views.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_views_scenario "$@"
