#!/usr/bin/env bash
# End to end (issue 14): the Logit lens tab under Xvfb with real xdotool input: the lens around
# the last token equals `attnviz lens`, follows a pin made in the arcs view or on its own
# column tokens, and keeps a clicked cell's tokens (see gui_lens_scenario.py).
# Usage: test_gui_lens.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_lens_scenario "$@"
