"""The heatmap of a long text (issue 13): a random Llama-family model (3 layers) on a text of
about 5000 tokens, weights recomputed on demand. The heatmap opens on its pooled overview (the
layout dump names heatmap_values.overview and the picture says "pooled (... blocks of B tokens,
max)"); real wheel turns over the map zoom in until a cell is at least a pixel, and the map
refines to the exact values of the visible region (heatmap_values.region); the zoom is the
view's; hovering shows a tooltip. Screenshots: overview.png, zoomed.png, hover.png."""
import os
import time

from gui_driver import App, capture, center, changed_pixels, fail, focus_app, move, run as run_command
from gui_driver import long_text, make_long_model

LAYERS = 3



def run(binary, data, scratch):
    model = make_long_model(data, scratch, LAYERS)
    layout_path = os.path.join(scratch, "layout.json")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    app = App(binary, ["--model", model, "--text", long_text(240), "--tab", "heatmap"], layout_path,
              scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and not l["state"]["running"]
                              and "heatmap_map" in l["items"], "the long text's heatmap",
                              timeout=300)
        tokens = layout["state"]["tokens"]
        print(f"{tokens} tokens, forward {layout['state']['forward_ms']:.0f} ms")
        if tokens <= 2048:
            fail(f"the text has only {tokens} tokens: not long enough for a pooled heatmap")
        layout = app.wait_for(lambda l: "heatmap_values.overview" in l["items"],
                              "the pooled overview", timeout=60)
        layout = app.wait_stable("the overview drawn")
        focus_app()
        overview = capture(os.path.join(scratch, "overview.png"))
        area = layout["items"]["heatmap_map"]
        print(f"map at {area}")
        # Wheel turns over the map's centre until it refines to exact values.
        x, y = center(area)
        move(x, y)
        for turn in range(40):
            run_command(["xdotool", "click", "4"])
            time.sleep(0.15)
            layout = app.layout()
            if layout and "heatmap_values.region" in layout["items"]:
                print(f"exact region after {turn + 1} wheel turns")
                break
        else:
            fail(f"no exact region after 40 wheel turns; items: "
                 f"{[k for k in (layout or {}).get('items', {}) if k.startswith('heatmap')]}")
        layout = app.wait_stable("the zoomed map")
        zoom = layout["state"]["view"]["heatmap_zoom"]
        print(f"zoom {zoom:.1f}")
        if zoom <= 1.0:
            fail(f"the view's zoom did not change: {zoom}")
        move(x + 3, y + 3)
        time.sleep(0.5)
        zoomed = capture(os.path.join(scratch, "zoomed.png"))
        changed = changed_pixels(overview, zoomed, area)
        print(f"map pixels changed by the zoom: {changed}")
        if changed < 1000:
            fail(f"the map barely changed when zoomed in ({changed} pixels)")
        move(x + 20, y + 10)
        time.sleep(0.6)
        capture(os.path.join(scratch, "hover.png"))
    finally:
        app.kill()
