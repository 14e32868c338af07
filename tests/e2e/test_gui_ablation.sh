#!/usr/bin/env bash
# End to end (issue 14): switching a head off from the head bar's right-click menu under Xvfb
# with real xdotool input; the Predictions tab's before -> after equals `attnviz heads --ablate`
# (see gui_ablation_scenario.py).
# Usage: test_gui_ablation.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_ablation_scenario "$@"
