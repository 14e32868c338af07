#!/usr/bin/env bash
# End to end (issue 13): a late token of a ~5000-token text: the minimap of where its weight
# lies, "next strongest" and a click on the minimap scroll the text to the strongest keys.
# Usage: test_gui_arcs_scale.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_arcs_scale_scenario "$@"
