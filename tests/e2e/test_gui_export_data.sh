#!/usr/bin/env bash
# End to end (issue 13): data exports at scale from the app. On a text of about 4000 tokens
# whose weights are recomputed on demand, real clicks export the view's head as NPY (its size
# stated first; equal to `attnviz export --layer --head`), then start the whole tensor as JSON
# (several GB) and cancel it: the panel says so and no file is left.
# Usage: test_gui_export_data.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_export_data_scenario "$@"
