"""Export = screen, by test (issue 10): in one run of the real app under Xvfb, each view is set
up with real input (clicks on the head-mode radios, the head toggles, the tabs and checkboxes;
Ctrl+click and typing into the min weight and top-k sliders), then exported with Ctrl+E as a
PNG at 1x. The picture region on screen (the layout dump's *_picture rectangle) and in the PNG
(where the exporter says it put the picture) must have the same size and agree pixel by pixel
within a small tolerance: anti-aliasing and glyph rasterization differ between ImGui and the
exporter's own renderer, nothing else may. Cases: arcs single, multi-head (heads 1 and 2),
mean, max, rollout, min weight 0.2, top-k 3, two columns; heatmap, with sqrt contrast; grid,
with and without per-head contrast. Side-by-side pictures are kept in the scratch folder."""
import json
import os

import numpy as np
from PIL import Image

from gui_driver import App, capture, center, click, fail, focus_app, key, move
from gui_driver import run as run_command

TEXT = "The cat that I saw yesterday at the park sat on the mat. The cat sat."
PINNED = 12  # " sat"
# A pixel of one picture counts as different when no pixel within one pixel of it in the other
# has an RGB within THRESHOLD (sum of |R|+|G|+|B|): that forgives anti-aliasing and glyphs
# placed half a pixel apart, not a missing arc, an extra chip or another colour. At most
# MAX_DIFFERENT of the pixels may differ, and the plain mean difference per channel is at most
# MAX_MEAN.
THRESHOLD, MAX_DIFFERENT, MAX_MEAN = 60, 0.01, 3.0


def shift_tolerant_difference(a, b):
    """(H, W) the smallest |a - b| (summed over RGB) between a's pixel and b's 3x3 neighbours."""
    h, w = a.shape[:2]
    padded = np.pad(b, ((1, 1), (1, 1), (0, 0)), mode="edge")
    best = None
    for dy in range(3):
        for dx in range(3):
            d = np.abs(a - padded[dy:dy + h, dx:dx + w]).sum(axis=2)
            best = d if best is None else np.minimum(best, d)
    return best


def away():
    move(5, 995)  # off every picture: no hover outline, no tooltip


def ctrl_click_type(rect, value):
    """Ctrl+click turns an ImGui slider into a text field; type the value, Enter."""
    x, y = center(rect)
    run_command(["xdotool", "mousemove", str(x), str(y)])
    run_command(["xdotool", "keydown", "ctrl", "click", "1", "keyup", "ctrl"])
    key("ctrl+a")
    run_command(["xdotool", "type", "--delay", "40", value])
    key("Return")


def crop(image, rect):
    x0, y0, x1, y1 = [int(round(v)) for v in rect]
    return image[y0:y1, x0:x1]


def compare(app, scratch, name, picture_item, results):
    """Exports the view with Ctrl+E and compares its picture with the screen's."""
    before = app.layout()["state"]["export_path"]
    away()
    key("ctrl+e")
    layout = app.wait_for(lambda l: l["state"]["export_path"] != before and l["state"]["export_message"],
                          f"the export of {name}", 30)
    state = layout["state"]
    if state["export_error"]:
        fail(f"{name}: export failed: {state['export_message']}")
    away()
    layout = app.wait_stable(f"{name} to settle")
    screen = capture(os.path.join(scratch, f"{name}_screen.png"))
    on_screen = crop(screen, layout["items"][picture_item])
    exported = np.asarray(Image.open(state["export_path"]).convert("RGB")).astype(np.int16)
    in_png = crop(exported, state["export_picture"])
    if abs(on_screen.shape[0] - in_png.shape[0]) > 1 or abs(on_screen.shape[1] - in_png.shape[1]) > 1:
        fail(f"{name}: the screen's picture is {on_screen.shape[1]}x{on_screen.shape[0]}, the "
             f"export's {in_png.shape[1]}x{in_png.shape[0]} ({state['export_path']})")
    h, w = min(on_screen.shape[0], in_png.shape[0]), min(on_screen.shape[1], in_png.shape[1])
    a, b = on_screen[:h, :w], in_png[:h, :w]
    # Both ways: a pixel only the export has counts as much as one only the screen has.
    different = float(max((shift_tolerant_difference(a, b) > THRESHOLD).mean(),
                          (shift_tolerant_difference(b, a) > THRESHOLD).mean()))
    mean = float(np.abs(a - b).sum(axis=2).mean() / 3)
    Image.fromarray(np.concatenate([a, b], axis=1).astype(np.uint8)).save(
        os.path.join(scratch, f"{name}_side_by_side.png"))
    results.append((name, w, h, mean, different))
    print(f"{name}: {w}x{h}, mean difference {mean:.2f}/255, {100 * different:.2f}% of pixels differ")
    if different > MAX_DIFFERENT or mean > MAX_MEAN:
        fail(f"{name}: the export differs from the screen ({100 * different:.1f}% of pixels, mean "
             f"{mean:.1f}); see {scratch}/{name}_side_by_side.png")


def run(binary, data, scratch):
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    app = App(binary, ["--text", TEXT, "--layer", "2"], os.path.join(scratch, "layout.json"),
              scratch, env)
    results = []
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and l["state"]["roles_ready"]
                              and f"arc_token.{PINNED}" in l["items"], "the first trace", 90)
        focus_app()
        layout = app.wait_stable("the first picture")
        # The export panel: PNG at 1x into the scratch folder.
        click(*center(layout["items"]["tab.Export"]))
        layout = app.wait_for(lambda l: "export_scale.1" in l["items"], "the export panel", 10)
        click(*center(layout["items"]["export_scale.1"]))
        click(*center(layout["items"]["export_folder"]))
        key("ctrl+a")
        run_command(["xdotool", "type", "--delay", "10", scratch])
        key("Return")
        layout = app.wait_stable("the export settings")
        click(*center(layout["items"][f"arc_token.{PINNED}"]))
        app.wait_for(lambda l: l["state"]["pinned"] == PINNED, "the pinned token", 10)

        def mode(name):
            layout = app.wait_stable(f"before {name}")
            click(*center(layout["items"][f"mode_{name}"]))
            return app.wait_for(lambda l: l["state"]["head_mode"] == name and
                                (l["state"]["whole_map_ready"] or name not in ("rollout", "all-layers")),
                                f"head mode {name}", 60)

        mode("single")
        compare(app, scratch, "arcs_single", "arcs_picture", results)
        layout = mode("multi")
        for head in (0, 3):  # heads 1 and 2 stay on
            click(*center(layout["items"][f"head.{head}"]))
        app.wait_for(lambda l: l["state"]["enabled_heads"] == [0, 1, 1, 0], "heads 1 and 2 on", 10)
        compare(app, scratch, "arcs_multi_heads_1_2", "arcs_picture", results)
        mode("mean")
        compare(app, scratch, "arcs_mean", "arcs_picture", results)
        mode("max")
        compare(app, scratch, "arcs_max", "arcs_picture", results)
        mode("rollout")
        compare(app, scratch, "arcs_rollout", "arcs_picture", results)
        layout = mode("multi")
        click(*center(layout["items"]["heads_all"]))
        layout = app.wait_for(lambda l: l["state"]["enabled_heads"] == [1, 1, 1, 1], "every head on", 10)
        ctrl_click_type(layout["items"]["arc_min_weight"], "0.2")
        layout = app.wait_for(lambda l: abs(l["state"]["view"]["arc_min_weight"] - 0.2) < 1e-6,
                              "min weight 0.2", 10)
        compare(app, scratch, "arcs_min_weight_0.2", "arcs_picture", results)
        ctrl_click_type(layout["items"]["arc_min_weight"], "0.01")
        layout = app.wait_for(lambda l: abs(l["state"]["view"]["arc_min_weight"] - 0.01) < 1e-6,
                              "min weight 0.01", 10)
        ctrl_click_type(layout["items"]["arc_top_k"], "3")
        layout = app.wait_for(lambda l: l["state"]["view"]["arc_top_k"] == 3, "top-k 3", 10)
        compare(app, scratch, "arcs_top_k_3", "arcs_picture", results)
        click(*center(layout["items"]["arcs_columns"]))
        app.wait_for(lambda l: l["state"]["view"]["arcs_layout"] == "columns", "two columns", 10)
        compare(app, scratch, "arcs_two_columns", "arcs_picture", results)

        layout = app.wait_stable("before the heatmap")
        click(*center(layout["items"]["tab.Heatmap"]))
        layout = app.wait_for(lambda l: "heatmap_picture" in l["items"], "the heatmap", 20)
        mode("single")
        compare(app, scratch, "heatmap", "heatmap_picture", results)
        layout = app.wait_stable("the heatmap's toolbar")
        click(*center(layout["items"]["heatmap_sqrt"]))
        app.wait_for(lambda l: l["state"]["view"]["heatmap_sqrt"], "sqrt contrast", 10)
        compare(app, scratch, "heatmap_sqrt", "heatmap_picture", results)
        mode("rollout")
        compare(app, scratch, "heatmap_rollout", "heatmap_picture", results)

        layout = app.wait_stable("before the grid")
        click(*center(layout["items"]["tab.Model grid"]))
        layout = app.wait_for(lambda l: "grid_picture" in l["items"], "the grid", 20)
        compare(app, scratch, "grid", "grid_picture", results)
        layout = app.wait_stable("the grid's toolbar")
        click(*center(layout["items"]["grid_per_head_contrast"]))
        app.wait_for(lambda l: not l["state"]["view"]["grid_per_head_contrast"], "absolute colours", 10)
        compare(app, scratch, "grid_absolute", "grid_picture", results)
        with open(os.path.join(scratch, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
    finally:
        app.kill()
