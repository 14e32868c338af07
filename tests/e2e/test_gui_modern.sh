#!/usr/bin/env bash
# End to end: a modern model's views in the real desktop app under Xvfb (issue 12): on Gemma 2,
# the head bar grouped by kv head, the layer selector's local/global label, the heatmap's cells
# outside the sliding window in their own colour (and none on a global layer), and the model
# card window with the same lines as `attnviz models --card`.
# Usage: test_gui_modern.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_modern_scenario "$@"
