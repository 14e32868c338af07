#!/usr/bin/env bash
# End to end (issue 13): the heatmap of a ~5000-token text on a random model (weights on demand)
# opens pooled and says so; real wheel turns zoom in until it shows the visible region's exact
# values. Usage: test_gui_heatmap_scale.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_heatmap_scale_scenario "$@"
