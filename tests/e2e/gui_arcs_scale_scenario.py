"""The arcs of a late token at a long text (issue 13): a random Llama-family model (3 layers), a
text of about 5000 tokens, token 4900 pinned. Above the arcs a minimap strip shows where its
weight lies along 0..T (the layout dump names arcs_minimap and a tick minimap_strongest.K per
strong key); a real click on "next strongest" scrolls the text to the strongest key and outlines
it (arcs_jumped.K, on screen); a real click on another strong key's tick jumps there. Rollout
at this length is refused on screen with its cost (core's whole_model_refusal), then Multi
brings the arcs back. Screenshots: minimap.png, jumped.png, jumped_tick.png,
rollout_refused.png."""
import os

from gui_driver import (App, capture, center, click, fail, focus_app, items_with_prefix, move)
from gui_driver import long_text, make_long_model

LAYERS = 3
PIN = 4900



def on_screen(layout, rect):
    scroll = layout["items"].get("arcs_canvas")
    window = layout["items"]["arcs_minimap"]
    return rect[1] >= window[3] and rect[3] <= 1000 and scroll is not None


def run(binary, data, scratch):
    model = make_long_model(data, scratch, LAYERS)
    layout_path = os.path.join(scratch, "layout.json")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    app = App(binary, ["--model", model, "--text", long_text(240), "--pin", str(PIN)], layout_path,
              scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and not l["state"]["running"]
                              and "arcs_minimap" in l["items"] and
                              "arcs_next_strongest" in l["items"], "the minimap of the pin",
                              timeout=300)
        layout = app.wait_stable("the arcs of the pinned token")
        print(f"{layout['state']['tokens']} tokens, pinned {layout['state']['pinned']}")
        strongest = items_with_prefix(layout, "minimap_strongest.")
        print(f"strongest keys on the minimap: {sorted(strongest)}")
        if not strongest:
            fail("the minimap marks no strongest keys")
        if any(k > PIN for k in strongest):
            fail(f"strong keys after the causal query: {sorted(k for k in strongest if k > PIN)}")
        focus_app()
        capture(os.path.join(scratch, "minimap.png"))
        click(*center(layout["items"]["arcs_next_strongest"]))
        layout = app.wait_for(lambda l: items_with_prefix(l, "arcs_jumped."), "a jump", 20)
        layout = app.wait_stable("the text scrolled to the strongest key")
        jumped = items_with_prefix(layout, "arcs_jumped.")
        key = next(iter(jumped))
        print(f"next strongest jumped to key {key} at {jumped[key]}")
        if key not in strongest:
            fail(f"the jump went to key {key}, not one of the strongest {sorted(strongest)}")
        if key not in items_with_prefix(layout, "arc_token."):
            fail(f"key {key} is not among the tokens on screen after the jump")
        if not on_screen(layout, jumped[key]):
            fail(f"key {key} is outside the visible arcs ({jumped[key]})")
        move(5, 990)
        capture(os.path.join(scratch, "jumped.png"))
        # A click on another strong key's tick jumps there (the heaviest key of the bin under it).
        others = [k for k in strongest if abs(k - key) > 200]
        if others:
            target = others[0]
            click(*center(layout["items"][f"minimap_strongest.{target}"]))
            layout = app.wait_for(lambda l: items_with_prefix(l, "arcs_jumped.") and
                                  next(iter(items_with_prefix(l, "arcs_jumped."))) != key,
                                  "a jump from the minimap", 20)
            layout = app.wait_stable("the text scrolled to the clicked key")
            landed = next(iter(items_with_prefix(layout, "arcs_jumped.")))
            print(f"minimap click at key {target}'s tick jumped to key {landed}")
            if landed != target:
                fail(f"a click on key {target}'s tick jumped to key {landed}")
            move(5, 990)
            capture(os.path.join(scratch, "jumped_tick.png"))
        # Rollout over 5000 tokens (a dense T x T map per layer, L*T^3 multiply-adds) is refused
        # on screen with its size and cost, at once, and the app stays usable.
        click(*center(layout["items"]["mode_rollout"]))
        layout = app.wait_for(lambda l: "whole_map_refusal" in l["items"], "rollout refused", 30)
        refusal = layout["state"]["whole_map_refusal"]
        print(f"rollout: {refusal}")
        for phrase in (f"over {layout['state']['tokens']} tokens", "MB) per layer",
                       "up to 4096 tokens"):
            if phrase not in refusal:
                fail(f"the refusal does not say {phrase!r}: {refusal!r}")
        if layout["state"]["running"]:
            fail("the engine is busy after the refusal")
        move(5, 990)
        capture(os.path.join(scratch, "rollout_refused.png"))
        click(*center(layout["items"]["mode_multi"]))
        app.wait_for(lambda l: "arcs_minimap" in l["items"] and
                     "whole_map_refusal" not in l["items"], "the arcs back in multi-head mode", 30)
    finally:
        app.kill()
