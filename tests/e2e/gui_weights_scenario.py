"""The weights switch scenario of test_gui_weights.sh (issue 14): on bert-tiny, with token 3
pinned on the heatmap, real clicks on the options bar's Raw / Value / Rollout switch. Value: the
pinned row on screen (layer 0, head 0) equals `attnviz export --weights value` of the same text
within 1e-6 and differs from raw, the view says "value-weighted", the heatmap's pixels change,
and the inspector stays, showing ||v_j W_O^h||. Rollout: the rollout head mode, its map computed.
Raw again: the first row back, bit for bit. Screenshots: weights_raw.png, weights_value.png,
weights_rollout.png in the scratch folder."""
import os
import subprocess

import numpy as np

from gui_driver import App, capture, center, changed_pixels, click, fail, focus_app, move

TEXT = "The cat sat on the mat near the door."
PIN = 3


def run(binary, data, scratch):
    model = os.path.join(data, "bert-tiny", "model")
    expected = os.path.join(scratch, "value.npy")
    subprocess.run([binary, "export", "--model", model, "--text", TEXT, "--out", expected,
                    "--weights", "value"], check=True, timeout=60)
    value_npy = np.load(expected)  # (L, H, T, T)
    layout_path = os.path.join(scratch, "layout.json")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    app = App(binary, ["--model", model, "--text", TEXT, "--tab", "heatmap", "--pin", str(PIN)],
              layout_path, scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and "view_weights_value" in l["items"]
                              and "heatmap_map" in l["items"] and "inspector_moved_norm" in l["items"],
                              "the first trace, the weights switch and the inspector", timeout=90)
        focus_app()
        move(5, 990)
        layout = app.wait_stable("the first picture to settle")
        state = layout["state"]
        if state["weights"] != "raw" or state["pinned"] != PIN:
            fail(f"expected raw weights with token {PIN} pinned, got {state['weights']}, {state['pinned']}")
        raw_row = state["query_weights"]
        raw = capture(os.path.join(scratch, "weights_raw.png"))
        map_rect = layout["items"]["heatmap_map"]

        click(*center(layout["items"]["view_weights_value"]))
        layout = app.wait_for(lambda l: l["state"]["weights"] == "value"
                              and "value-weighted" in l["state"]["view_description"]
                              and l["state"]["query_weights"] != raw_row,
                              "the value-weighted view", 30)
        move(5, 990)
        layout = app.wait_stable("the value-weighted picture to settle")
        state = layout["state"]
        row = np.array(state["query_weights"])
        want = value_npy[state["layer"], state["head"], PIN]
        diff = np.abs(row - want).max()
        print(f"value-weighted row of token {PIN} (layer {state['layer']} head {state['head']}): "
              f"screen vs CLI export max |diff| {diff:.2e}; vs raw {np.abs(row - raw_row).max():.3f}")
        print(f"legend: {state['weights_legend']!r}; view: {state['view_description']!r}")
        if diff > 1e-6:
            fail(f"the screen's value-weighted row differs from the CLI export by {diff}")
        if "inspector_moved_norm" not in layout["items"]:
            fail("the inspector does not show ||v_j W_O^h|| under value weights")
        value = capture(os.path.join(scratch, "weights_value.png"))
        changed = changed_pixels(raw, value, map_rect)
        print(f"heatmap pixels changed raw -> value: {changed}")
        if changed < 200:
            fail(f"the heatmap barely changed ({changed} pixels) when switching to value weights")

        click(*center(layout["items"]["view_weights_rollout"]))
        layout = app.wait_for(lambda l: l["state"]["head_mode"] == "rollout"
                              and l["state"]["weights"] == "rollout" and l["state"]["whole_map_ready"],
                              "the rollout map", 30)
        move(5, 990)
        layout = app.wait_stable("the rollout picture to settle")
        capture(os.path.join(scratch, "weights_rollout.png"))

        click(*center(layout["items"]["view_weights_raw"]))
        layout = app.wait_for(lambda l: l["state"]["weights"] == "raw"
                              and l["state"]["head_mode"] == "multi", "raw weights again", 30)
        layout = app.wait_for(lambda l: l["state"]["query_weights"] == raw_row,
                              "the raw row back", 10)
    finally:
        app.kill()
