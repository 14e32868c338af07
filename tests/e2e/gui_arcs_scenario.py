"""The arcs scenario of test_gui_arcs.sh: click a token, see arcs; toggle a head, see the picture
change; export a PNG with Ctrl+E and decode it."""
import os
import subprocess
import time

from gui_driver import (App, capture, center, changed_pixels, click, fail, focus_app,
                        items_with_prefix, key, move)

TEXT = "The bank by the river was eroding."


def arcs_band(canvas, tokens, query):
    """Boxes between the top of the arcs canvas and the token line: left of the query chip
    (where a causal model's arcs go) and right of it (where they must not go)."""
    first, last = tokens[min(tokens)], tokens[max(tokens)]
    chip_top = first[1]
    top = canvas[1]
    q = tokens[query]
    left = (first[0] - 4, top, q[0], chip_top - 1)
    right = (q[2] + 8, top, last[2] + 4, chip_top - 1)
    return left, right


def run(binary, data, scratch):
    layout_path = os.path.join(scratch, "layout.json")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    app = App(binary, ["--model", os.path.join(data, "gpt2-tiny", "model"), "--text", TEXT],
              layout_path, scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and "arc_token.0" in l["items"],
                              "the first trace and the arcs view", timeout=90)
        focus_app()
        layout = app.wait_stable("the first picture to settle")
        tokens = items_with_prefix(layout, "arc_token.")
        count = layout["state"]["tokens"]
        if len(tokens) != count or count < 6:
            fail(f"expected every one of {count} tokens in the arcs view, found {len(tokens)}")
        print(f"{count} tokens on screen; model {layout['state']['model']}")
        # Park the pointer away from tokens, then capture the picture without arcs.
        move(5, layout["items"]["text_box"][3] + 200)
        before = capture(os.path.join(scratch, "before.png"))

        query = count - 2  # "eroding" (the last word before the full stop)
        x, y = center(tokens[query])
        click(x, y)
        layout = app.wait_for(lambda l: l["state"]["pinned"] == query, f"token {query} pinned", 10)
        move(5, layout["items"]["text_box"][3] + 200)
        pinned = capture(os.path.join(scratch, "pinned.png"))
        left, right = arcs_band(layout["items"]["arcs_canvas"], tokens, query)
        arcs_left = changed_pixels(before, pinned, left)
        arcs_right = changed_pixels(before, pinned, right)
        print(f"arc pixels left of the clicked token: {arcs_left}; right of it: {arcs_right}")
        if arcs_left < 200:
            fail(f"no arcs appeared above the tokens left of token {query} ({arcs_left} changed pixels "
                 f"in {left}); see {scratch}/before.png and pinned.png")
        if arcs_right > 20:
            fail(f"arcs reached tokens after token {query} in a causal model ({arcs_right} changed "
                 f"pixels in {right})")

        # Toggle head 0 off with a real click: its arcs disappear, the picture changes.
        head0 = layout["items"].get("head.0")
        if head0 is None:
            fail("no head toggle in the layout dump")
        enabled_before = layout["state"]["enabled_heads"]
        click(*center(head0))
        layout = app.wait_for(lambda l: l["state"]["enabled_heads"] != enabled_before,
                              "head 0 toggled", 10)
        move(5, layout["items"]["text_box"][3] + 200)
        toggled = capture(os.path.join(scratch, "toggled.png"))
        band = (left[0], left[1], right[2], left[3])
        changed = changed_pixels(pinned, toggled, band)
        print(f"head 0 toggled: enabled {layout['state']['enabled_heads']}, {changed} pixels changed")
        if changed < 50:
            fail(f"toggling head 0 did not change the arcs ({changed} pixels)")

        # Export what is on screen with Ctrl+E (default folder: the working directory).
        focus_app()
        key("ctrl+e")
        layout = app.wait_for(lambda l: l["state"]["export_message"] != "", "an export message", 30)
        state = layout["state"]
        if state["export_error"]:
            fail(f"export failed: {state['export_message']}")
        path = state["export_path"]
        if not path or not os.path.isfile(path):
            fail(f"export said '{state['export_message']}' but {path!r} does not exist")
        with open(path, "rb") as f:
            signature = f.read(8)
        if signature != b"\x89PNG\r\n\x1a\n":
            fail(f"{path} is not a PNG")
        identify = subprocess.run(["identify", "-format", "%w %h", path], capture_output=True,
                                  text=True, timeout=20)
        if identify.returncode != 0:
            fail(f"{path} does not decode: {identify.stderr}")
        width, height = [int(v) for v in identify.stdout.split()]
        if width < 100 or height < 50:
            fail(f"{path} is only {width}x{height}")
        print(f"exported {path} ({width}x{height})")
    finally:
        app.kill()
