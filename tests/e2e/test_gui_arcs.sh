#!/usr/bin/env bash
# End to end: the real desktop app under Xvfb, driven with real input events (xdotool).
# Clicks a token and checks that arcs appear above the earlier tokens (and not the later ones:
# GPT-2 is causal), toggles a head and checks the picture changes, exports a PNG with Ctrl+E
# and checks it decodes. Usage: test_gui_arcs.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_arcs_scenario "$@"
