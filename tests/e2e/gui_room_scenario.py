"""The room scenario of test_gui_room.sh (issue 11, items 16, 17 and 19), with real xdotool input:

1. Dragging the splitter between the centre and the right column widens the right column; the
   width is remembered (quit with Ctrl+Q, start again: the splitter is where it was left).
2. The Diff window and "Models on this computer" stay in front when a view tab or a details tab
   is clicked (they were drawn over: the newly shown panel covered them).
3. A click on the title of a collapsed panel opens it again (only a double-click did).
4. The Examples menu shows short titles, not whole paragraphs.
5. With the text cleared, no head carries a role label.
6. At 900x600 every control a person needs lies inside the window.
"""
import json
import os
import time

from gui_driver import App, capture, center, changed_pixels, click, fail, focus_app, key
from gui_driver import run as run_command

TEXT = "The cat sat on the mat. The cat sat on the mat."


def start(binary, model, scratch, env, name):
    app = App(binary, ["--model", model, "--text", TEXT], os.path.join(scratch, name), scratch, env)
    app.wait_for(lambda l: l["state"]["trace_ready"] and "head.1" in l["items"]
                 and "splitter.right" in l["items"], "the first trace", 90)
    focus_app()
    return app


def drag(x0, y, x1):
    run_command(["xdotool", "mousemove", str(x0), str(y)])
    time.sleep(0.3)
    run_command(["xdotool", "mousedown", "1"])
    time.sleep(0.2)
    for step in range(1, 9):  # several moves, as a hand drags
        run_command(["xdotool", "mousemove", str(x0 + (x1 - x0) * step // 8), str(y)])
        time.sleep(0.05)
    time.sleep(0.2)
    run_command(["xdotool", "mouseup", "1"])
    time.sleep(0.4)


def window_geometry():
    window = run_command(["xdotool", "search", "--name", "^attnviz$"]).split()[-1]
    geometry = dict(line.split("=") for line in
                    run_command(["xdotool", "getwindowgeometry", "--shell", window]).split())
    return window, {k: int(v) for k, v in geometry.items() if k != "WINDOW"}


def run(binary, data, scratch):
    config = os.path.join(scratch, "config")
    env = {"XDG_CONFIG_HOME": config}
    model = os.path.join(data, "gpt2-tiny", "model")
    shots = os.environ.get("ATTNVIZ_SHOTS", "")

    # 1. The splitter: drag it 200 px to the left, quit, start again.
    app = start(binary, model, scratch, env, "layout1.json")
    try:
        layout = app.wait_stable("the first picture")
        # A first start (no settings) opens a window that fits the screen.
        screen = [int(v) for v in run_command(["xdotool", "getdisplaygeometry"]).split()]
        _, first = window_geometry()
        if first["X"] < 0 or first["Y"] < 0 or first["X"] + first["WIDTH"] > screen[0] or \
                first["Y"] + first["HEIGHT"] > screen[1]:
            fail(f"the first window {first} does not fit the {screen[0]}x{screen[1]} screen")
        print(f"first start: a {first['WIDTH']}x{first['HEIGHT']} window on a "
              f"{screen[0]}x{screen[1]} screen")
        splitter = layout["items"]["splitter.right"]
        inspector_left = layout["items"]["tab.Predictions"][0]
        x, y = center(splitter)
        drag(x, y, x - 200)
        layout = app.wait_for(lambda l: l["items"]["splitter.right"][0] < splitter[0] - 150,
                              "the splitter follows the drag", 10)
        moved = layout["items"]["splitter.right"][0] - splitter[0]
        widened = inspector_left - layout["items"]["tab.Predictions"][0]
        if widened < 150:
            fail(f"the right column did not widen with the splitter: its tabs moved {widened} px")
        print(f"splitter dragged: moved {moved} px, the right column widened {widened} px")
        if shots:
            capture(os.path.join(shots, "newcomer_16_after.png"))
        key("ctrl+q")
        deadline = time.time() + 15
        while app.process.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        if app.process.poll() != 0:
            fail(f"Ctrl+Q did not quit cleanly: {app.process.poll()}")
    finally:
        app.kill()
    with open(os.path.join(config, "attnviz", "settings.json")) as f:
        settings = json.load(f)
    print(f"settings.json: right_column_fraction {settings['right_column_fraction']:.3f}")

    app = start(binary, model, scratch, env, "layout2.json")
    try:
        layout = app.wait_stable("the picture after the restart")
        again = layout["items"]["splitter.right"]
        if abs(again[0] - (splitter[0] + moved)) > 3:
            fail(f"the splitter was not remembered: at {again[0]}, left at {splitter[0] + moved}")
        print(f"restarted: the splitter is at x={again[0]}, where it was left")

        # 2. Floating windows stay in front of a tab that is clicked.
        click(*center(layout["items"]["tab.Arcs"]))  # the views have the keys
        key("d")
        layout = app.wait_for(lambda l: "diff_map_a" in l["items"] and l["state"]["diff_aligned"] > 0,
                              "the Diff window's maps", 60)
        time.sleep(1.0)
        layout = app.layout()
        diff_map = layout["items"]["diff_map_a"]
        # Its maps are named (issue 11, item 19: no layer, head or axis labels): what is shown
        # (layer, head or mode) and which axis holds queries, above the maps.
        for label in ("diff_source_label", "diff_axes_label"):
            if label not in layout["items"] or layout["items"][label][3] > diff_map[1]:
                fail(f"the Diff window lacks its {label} above the maps")
        time.sleep(0.5)
        before = capture(os.path.join(scratch, "diff_before.png"))
        for tab in ("tab.Heatmap", "tab.Model grid", "tab.Head roles", "tab.Cost"):
            click(*center(layout["items"][tab]))
            time.sleep(0.6)
            after = capture(os.path.join(scratch, "diff_after.png"))
            covered = changed_pixels(before, after, diff_map)
            area = (diff_map[2] - diff_map[0]) * (diff_map[3] - diff_map[1])
            if covered > area // 20:
                fail(f"clicking {tab} drew over the Diff window: {covered} of {area} pixels of "
                     f"its map changed (see {scratch}/diff_after.png)")
        print("Diff window: still in front after clicking Heatmap, Model grid, Head roles, Cost")
        if shots:
            capture(os.path.join(shots, "newcomer_17_after.png"))
        key("Escape")
        click(*center(layout["items"]["tab.Arcs"]))
        key("d")
        app.wait_for(lambda l: not l["state"]["diff_open"], "the Diff window closes", 10)

        # 3. A collapsed panel opens on a click on its title. The Model panel's title bar is
        # level with the view tabs.
        layout = app.layout()
        title_y = center(layout["items"]["tab.Arcs"])[1]
        title_x = layout["items"]["model_path"][0] + 120
        run_command(["xdotool", "mousemove", str(title_x), str(title_y)])
        time.sleep(0.3)
        run_command(["xdotool", "click", "--repeat", "2", "--delay", "80", "1"])
        app.wait_for(lambda l: "model_path" not in l["items"], "a double-click collapses Model", 10)
        time.sleep(0.6)
        click(title_x, title_y)
        app.wait_for(lambda l: "model_path" in l["items"], "a click on its title opens Model", 10)
        print("collapsed Model panel: one click on its title opened it")

        # 4. The Examples menu: short titles.
        click(*center(layout["items"]["menu_examples"]))
        layout = app.wait_for(lambda l: "example.0" in l["items"], "the Examples menu", 10)
        widths = [r[2] - r[0] for name, r in layout["items"].items() if name.startswith("example.")]
        if max(widths) > 520:
            fail(f"an Examples menu entry is {max(widths)} px wide: whole paragraphs, not titles")
        print(f"Examples menu: {len(widths)} entries, widest {max(widths)} px")
        window, geometry = window_geometry()
        click(geometry["X"] + geometry["WIDTH"] - 200, geometry["Y"] + geometry["HEIGHT"] - 8)
        app.wait_for(lambda l: "example.0" not in l["items"], "the Examples menu closes", 10)

        # 5. Empty text: no head-role labels.
        click(*center(layout["items"]["text_clear"]))
        layout = app.wait_for(lambda l: l["state"]["text"] == "" and l["state"]["roles_ready"]
                              and not l["state"]["running"], "the empty text's run", 30)
        time.sleep(0.8)
        labels = app.layout()["state"]["roles_labels"]
        if any(labels):
            fail(f"with no text, heads still carry role labels: {labels}")
        items = app.layout()["items"]
        if "predictions_type_text" not in items or "predictions_no_lm_head" in items:
            fail("with no text, Predictions does not ask for text (it claimed there was no LM "
                 "head)")
        print(f"empty text: {len(labels)} heads, no role labels; Predictions asks for text")
        if shots:
            capture(os.path.join(shots, "newcomer_19_empty_text.png"))

        # 6. At 900x600 the controls stay inside the window.
        window, geometry = window_geometry()
        run_command(["xdotool", "windowsize", window, "900", "600"])
        time.sleep(1.0)
        layout = app.wait_stable("the 900x600 layout")
        click(*center(layout["items"]["text_box"]))  # some text back, so the views have tokens
        run_command(["xdotool", "type", "--delay", "20", "The cat sat on the mat."])
        app.wait_for(lambda l: l["state"]["tokens"] > 3 and not l["state"]["running"],
                     "the typed text's run", 30)
        layout = app.wait_stable("the 900x600 layout")
        window, geometry = window_geometry()
        if geometry["WIDTH"] != 900 or geometry["HEIGHT"] != 600:
            fail(f"the window did not take 900x600: {geometry}")
        x1 = geometry["X"] + geometry["WIDTH"]
        y1 = geometry["Y"] + geometry["HEIGHT"]
        essential = ["model_path", "builtin_model", "text_box", "layer_up", "mode_single",
                     "mode_rollout", "head.0", "head.3", "heads_all", "tab.Arcs", "tab.Heatmap",
                     "tab.Model grid", "tab.Predictions", "tab.Export", "arc_min_weight",
                     "arc_top_k", "splitter.left", "splitter.right"]
        for name in essential:
            rect = layout["items"].get(name)
            if rect is None:
                fail(f"at 900x600, {name} is not drawn")
            if rect[0] < geometry["X"] or rect[1] < geometry["Y"] or rect[2] > x1 or rect[3] > y1 \
                    or rect[2] - rect[0] < 4:
                fail(f"at 900x600, {name} is cut off: {rect} in a window ending at ({x1}, {y1})")
        # The centre's controls inside the centre (between the splitters), not clipped by it.
        centre = (layout["items"]["splitter.left"][2], layout["items"]["splitter.right"][0])
        for name in ("tab.Arcs", "tab.Model grid", "arc_min_weight", "arc_top_k", "arcs_columns"):
            rect = layout["items"][name]
            if rect[0] < centre[0] or rect[2] > centre[1]:
                fail(f"at 900x600, {name} {rect} is cut off by the centre column {centre}")
        print(f"900x600: {len(essential)} controls inside the window")
        if shots:
            capture(os.path.join(shots, "newcomer_16_900x600.png"))
    finally:
        app.kill()
