#!/usr/bin/env bash
# End to end: a model picked after imported attention shows the model's run (File > Recent
# models, Models on this computer, and from `attnviz view`), with real input under Xvfb
# (gui_import_scenario.py).
# Usage: test_gui_import_then_model.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_import_scenario "$@"
