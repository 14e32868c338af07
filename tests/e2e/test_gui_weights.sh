#!/usr/bin/env bash
# End to end: the weights switch (raw / value-weighted / rollout, issue 14) in the real desktop
# app under Xvfb with real clicks: the value-weighted row on screen equals the CLI export's, the
# heatmap changes, the inspector shows what the head moves; rollout is the rollout head mode.
# Usage: test_gui_weights.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_weights_scenario "$@"
