"""The modern-model scenario of test_gui_modern.sh, on the Gemma 2 fixture (4 query heads sharing
2 kv heads; a sliding window of 8 on layers 0 and 2, layers 1 and 3 global) with a text longer
than the window:
- the head bar groups the query heads by kv head ("kv 0: h0 h1", "kv 1: h2 h3") and the layer
  selector says "local (window 8)" on layer 0, "global" after a click on the next-layer button;
- the heatmap of layer 0 shows cells in the window's own colour (keys outside the window), and
  the legend row under the map; layer 1 shows none;
- the Model panel's "Model card" button opens the card, whose lines are the ones
  `attnviz models --card DIR --json` prints for the same folder."""
import json
import os

import numpy as np

from gui_driver import App, capture, center, click, fail, focus_app, move, run as run_command

TEXT = "The quick brown fox jumps over the lazy dog and then the cat sat on the mat again"
WINDOW_FILL = (52, 44, 38)  # the dark theme's window_masked (core/view/colors.cpp)


def colour_pixels(image, box, colour, tolerance=3):
    x0, y0, x1, y1 = [int(v) for v in box]
    part = image[max(0, y0):y1, max(0, x0):x1]
    return int((np.abs(part - np.array(colour)).max(axis=2) <= tolerance).sum())


def run(binary, data, scratch):
    model = os.path.join(data, "modern", "gemma2-tiny", "model")
    layout_path = os.path.join(scratch, "layout.json")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    app = App(binary, ["--model", model, "--text", TEXT, "--tab", "heatmap"], layout_path, scratch,
              env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and "heatmap_picture" in l["items"],
                              "the first trace and the heatmap", timeout=90)
        focus_app()
        layout = app.wait_stable("the first picture to settle")
        state = layout["state"]
        if state["kv_groups"] != ["kv 0: h0 h1", "kv 1: h2 h3"]:
            fail(f"head bar groups: {state['kv_groups']}")
        for name in ("kv_group.0", "kv_group.1", "head.0", "head.3"):
            if name not in layout["items"]:
                fail(f"no {name} in the head bar")
        if state["layer"] != 0 or state["layer_window"] != "local (window 8)":
            fail(f"layer 0 label: {state['layer_window']!r}")
        tokens = state["tokens"]
        if tokens <= 8:
            fail(f"the text has {tokens} tokens, not more than the window")
        move(5, 5)
        local = capture(os.path.join(scratch, "layer0_local.png"))
        picture = layout["items"]["heatmap_picture"]
        outside = colour_pixels(local, picture, WINDOW_FILL)
        print(f"{tokens} tokens; layer 0: {outside} pixels in the window's fill")
        if outside < 500:
            fail(f"layer 0's heatmap shows {outside} pixels outside the window; see layer0_local.png")

        click(*center(layout["items"]["layer_up"]))
        layout = app.wait_for(lambda l: l["state"]["layer"] == 1, "layer 1", 10)
        layout = app.wait_stable("layer 1's picture")
        if layout["state"]["layer_window"] != "global":
            fail(f"layer 1 label: {layout['state']['layer_window']!r}")
        move(5, 5)
        global_layer = capture(os.path.join(scratch, "layer1_global.png"))
        left = colour_pixels(global_layer, layout["items"]["heatmap_picture"], WINDOW_FILL)
        print(f"layer 1: {left} pixels in the window's fill")
        if left > 20:
            fail(f"the global layer 1 shows {left} pixels in the window's fill")

        click(*center(layout["items"]["model_card_button"]))
        layout = app.wait_for(lambda l: l["state"]["model_card_open"] and
                              "model_card_window" in l["items"], "the model card window", 10)
        move(5, 5)
        capture(os.path.join(scratch, "model_card.png"))
        cli = json.loads(run_command([binary, "models", "--card", model, "--json"]))
        shown = layout["state"]["model_card"]
        if shown != cli:
            fail(f"the app's model card differs from `attnviz models --card`:\n{shown}\n{cli}")
        lines = dict(shown)
        for label, want in (("heads", "4 query / 2 key-value (grouped: 2 query heads share each)"),
                            ("attention", "causal, window 8 on layers 0, 2; global on 1, 3"),
                            ("soft-capping", "attention 3.8, final logits 4.3"),
                            ("precision", "F32"), ("context", "512 tokens")):
            if lines.get(label) != want:
                fail(f"model card {label}: {lines.get(label)!r}, expected {want!r}")
        print(f"model card: {len(shown)} lines, the same as the CLI's")
    finally:
        app.kill()
