#!/usr/bin/env bash
# End to end: the app and the command line give the same tokens, truncation, head roles,
# induction probe and rollout (gui_agreement_scenario.py), with real input under Xvfb.
# Usage: test_gui_cli_agree.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_agreement_scenario "$@"
