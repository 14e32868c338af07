#!/usr/bin/env bash
# End to end (issue 11, items 16, 17, 19): the column splitter drags and is remembered, floating
# windows stay in front, a collapsed panel opens on a click on its title, short example titles,
# no role labels without text, every control inside a 900x600 window; real input under Xvfb
# (see gui_room_scenario.py).
# Usage: test_gui_room.sh ATTNVIZ_BINARY TESTS_DATA_DIR SCRATCH_DIR
exec bash "$(dirname "$0")/run_gui_scenario.sh" gui_room_scenario "$@"
