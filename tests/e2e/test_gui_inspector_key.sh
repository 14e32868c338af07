#!/usr/bin/env bash
# End to end (issue 11, item 12): the Inspector's key follows hover in the arcs view, drops a
# stale key on re-pinning, and a pin does not carry over to another text's or model's token.
# Real xdotool input under Xvfb (see gui_inspector_key_scenario.py).
# Usage: test_gui_inspector_key.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_inspector_key_scenario "$@"
