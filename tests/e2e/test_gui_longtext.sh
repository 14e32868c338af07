#!/usr/bin/env bash
# End to end (issue 13): a long text on a random model that recomputes its weights on demand.
# The run shows "layer k of L" and a real click on Cancel stops it midway; typing runs the text
# to the end; a late token clicked gets arcs and a row that sums to 1 with nothing after the
# query. Usage: test_gui_longtext.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_longtext_scenario "$@"
