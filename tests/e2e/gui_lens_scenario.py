"""The Logit lens tab (issue 14), with real xdotool input on the built-in model and a text that
repeats itself:
1. a click on the tab shows the lens around the last token: 5 positions, L+1 rows, each cell's
   top token equal to `attnviz lens --json` at the same position (the same numbers);
2. a click on a token of the arcs view pins it and the lens's window follows the pin;
3. a click on a column's token in the lens pins that token;
4. a click on a cell keeps its top tokens below the table;
5. on the repeated half the output row predicts the token that follows (induction copies it),
   which the embeddings row does not: the table shows where the answer forms."""
import json
import os
import subprocess

from gui_driver import App, capture, center, click, fail, focus_app, items_with_prefix

TEXT = "The cat sat on the mat. The cat sat on the mat."


def state_is(app, what, predicate, timeout=30):
    return app.wait_for(lambda l: predicate(l["state"]), what, timeout)["state"]


def lens_at(app, position, width, what):
    return state_is(app, what, lambda s: s["lens"] and s["lens"].get("tops") and
                    s["lens"]["position"] == position and s["lens"]["width"] == width)


def cli_lens(binary, position, width):
    out = subprocess.run([binary, "lens", "--text", TEXT, "--position", str(position),
                          "--width", str(width), "--top-k", "1", "--json"],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        fail(f"attnviz lens failed: {out.stderr}")
    return json.loads(out.stdout)


def same_as_cli(binary, lens, tokens):
    cli = cli_lens(binary, lens["position"], lens["width"])
    if (cli["first"], cli["last"]) != (lens["first"], lens["last"]):
        fail(f"window {lens['first']}..{lens['last']} on screen, {cli['first']}..{cli['last']} "
             f"from the CLI")
    for row, cells in enumerate(lens["tops"]):
        for i, (top_id, p) in enumerate(cells):
            want = cli["rows"][row]["cells"][i]["top"][0]
            if top_id != want["id"] or abs(p - want["probability"]) > 1e-6:
                fail(f"row {row}, position {lens['first'] + i}: screen ({top_id}, {p}), CLI "
                     f"({want['id']}, {want['probability']})")
    return cli


def run(binary, data, scratch):
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    shots = os.environ.get("ATTNVIZ_SHOTS", "")
    app = App(binary, ["--text", TEXT], os.path.join(scratch, "layout.json"), scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and "tab.Logit lens" in l["items"]
                              and "arc_token.0" in l["items"], "the built-in model's run", 90)
        focus_app()
        layout = app.wait_stable("the first frames")
        tokens = layout["state"]["tokens"]
        click(*center(layout["items"]["tab.Logit lens"]))
        s = lens_at(app, tokens - 1, 5, "the lens around the last token")
        lens = s["lens"]
        if (lens["first"], lens["last"]) != (tokens - 5, tokens - 1):
            fail(f"the window is {lens['first']}..{lens['last']}, not the last 5 of {tokens}")
        cli = same_as_cli(binary, lens, tokens)
        print(f"lens around the last token: positions {lens['first']}..{lens['last']}, "
              f"{lens['rows']} rows, equal to attnviz lens")

        # The repeated half: the output row's top is the token that follows; the embeddings'
        # top is the token itself (tied embeddings), not the next one.
        ids = [t["id"] for t in cli["tokens"]]
        copied = [q for q in range(lens["first"], min(lens["last"], tokens - 2) + 1)
                  if lens["tops"][-1][q - lens["first"]][0] == ids[q + 1]]
        from_embeddings = [q for q in range(lens["first"], min(lens["last"], tokens - 2) + 1)
                           if lens["tops"][0][q - lens["first"]][0] == ids[q + 1]]
        print(f"output row predicts the next token at {len(copied)} positions, "
              f"the embeddings row at {len(from_embeddings)}")
        if len(copied) < 4 or len(from_embeddings) >= len(copied):
            fail(f"the repeat is not copied in the output row: {copied} vs {from_embeddings}")
        if shots:
            capture(os.path.join(shots, "lens_last_token.png"))

        # A pin in the arcs view moves the window.
        layout = app.wait_stable("the lens on screen")
        click(*center(layout["items"]["arc_token.4"]))
        s = lens_at(app, 4, 5, "the lens around the pinned token 4")
        if s["pinned"] != 4 or (s["lens"]["first"], s["lens"]["last"]) != (2, 6):
            fail(f"pinned {s['pinned']}, window {s['lens']['first']}..{s['lens']['last']}")
        same_as_cli(binary, s["lens"], tokens)
        layout = app.wait_stable("the lens around token 4")
        headers = items_with_prefix(layout, "lens_header.")
        if sorted(headers) != list(range(2, 7)):
            fail(f"the lens's headers are {sorted(headers)}, not 2..6")
        print("pinning token 4 in the arcs moved the lens to positions 2..6")

        # A click on a column's token pins it.
        if shots:
            capture(os.path.join(shots, "lens_pinned_4.png"))
        click(*center(headers[3]))
        s = lens_at(app, 3, 5, "the lens around token 3, pinned from its header")
        if s["pinned"] != 3:
            fail(f"a click on the lens's token 3 pinned {s['pinned']}")
        print("a click on the lens's token 3 pinned it")

        # A click on a cell keeps its tokens below the table.
        layout = app.wait_stable("the lens around token 3")
        cell = layout["items"].get("lens_cell.1.3")
        if not cell:
            fail("no cell for layer 1 at token 3 on screen")
        click(*center(cell))
        layout = app.wait_for(lambda l: "lens_selected" in l["items"], "the chosen cell's tokens")
        print("a click on a cell shows its top tokens below the table")
        if shots:
            capture(os.path.join(shots, "lens_cell.png"))
    finally:
        app.kill()
