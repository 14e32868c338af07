"""The command line and the app agree (issue 10), driven with real input under Xvfb:

1. BERT on a text longer than its 128 positions: the app's tokens are `attnviz heads`'s (the
   same truncation, [SEP] kept last), its status says "cut to the model's 128 positions (had N
   tokens)" with N the text's tokens, and its Head roles table has the command line's scores.
   GPT-2 on a long text of sub-words: the same message with Merge sub-words on (issue 11: it
   named the number of words as the model's positions).
2. GPT-2: "Load induction probe" in the Head roles tab gives the induction column of
   `attnviz heads --probe induction` (issue 11: 0.938 in the app, 0.966 on the command line).
3. Rollout is a mode of the head bar, and its arcs are attention rollout (`attnviz export
   --aggregate rollout`), not the mean of all layers (issue 11), which is the next radio.
"""
import json
import os

import numpy as np

from gui_driver import App, center, click, fail, focus_app, key, move
from gui_driver import run as run_command

LONG = "The cat sat on the mat, and the dog ran to the park. " * 12
SUBWORDS = "The riverbank was eroding quickly. " * 30  # GPT-2: river|bank, er|oding
TEXT = "The cat sat on the mat. The cat sat on the mat."


def heads_json(binary, model, *args):
    return json.loads(run_command([binary, "heads", "--model", model, "--json", *args], timeout=60))


def compare_roles(app_roles, cli, columns, what):
    want = [[h["previous_token"], h["duplicate_token"], h["induction"], h["first_token_share"]]
            for h in cli["heads"]]
    got = np.array(app_roles)[:, columns]
    want = np.array(want)[:, columns]
    worst = float(np.abs(got - want).max())
    print(f"{what}: largest difference from `attnviz heads` {worst:.2e}")
    if worst > 1e-5:
        fail(f"{what}: the app's table differs from `attnviz heads` by {worst}\napp {got}\ncli {want}")


def run(binary, data, scratch):
    bert = os.path.join(data, "bert-tiny", "model")
    gpt2 = os.path.join(data, "gpt2-tiny", "model")
    env = {"XDG_CONFIG_HOME": os.path.join(scratch, "config")}
    cli = heads_json(binary, bert, "--text", LONG)
    if cli["text_tokens"] <= 128 or cli["tokens"] != 128:
        fail(f"the test text should be cut to 128 of more tokens: {cli['text_tokens']}, {cli['tokens']}")
    app = App(binary, ["--model", bert, "--text", LONG], os.path.join(scratch, "layout.json"),
              scratch, env)
    try:
        layout = app.wait_for(lambda l: l["state"]["trace_ready"] and l["state"]["roles_ready"],
                              "BERT's run of the long text", 90)
        state = layout["state"]
        if state["token_ids"] != cli["token_ids"]:
            fail(f"the app's tokens differ from `attnviz heads`:\napp {state['token_ids']}\ncli {cli['token_ids']}")
        expected = f"text cut to the model's 128 positions (had {cli['text_tokens']} tokens)"
        if state["truncation"] != expected:
            fail(f"the status says {state['truncation']!r}, expected {expected!r}")
        print(f"same {len(cli['token_ids'])} tokens as `attnviz heads`, the last {cli['token_ids'][-1]} "
              f"([SEP]); {state['truncation']!r}")
        compare_roles(state["roles"], cli, [0, 1, 2, 3], "BERT's head roles")
        focus_app()

        # GPT-2 on a long text of sub-words: the message names the model's positions, also
        # with the words merged.
        layout = app.wait_stable("before the model box")
        click(*center(layout["items"]["model_path"]))
        key("ctrl+a")
        run_command(["xdotool", "type", "--delay", "10", gpt2])
        key("Return")
        layout = app.wait_stable("the model loading")
        click(*center(layout["items"]["text_box"]))
        key("ctrl+a")
        run_command(["xdotool", "type", "--delay", "2", SUBWORDS])
        cli_long = heads_json(binary, gpt2, "--text", SUBWORDS)
        expected = f"text cut to the model's 128 positions (had {cli_long['text_tokens']} tokens)"
        layout = app.wait_for(lambda l: l["state"]["model"] == gpt2 and l["state"]["text"] == SUBWORDS
                              and not l["state"]["running"] and l["state"]["truncation"] == expected,
                              f"GPT-2's run of the long text: {expected!r}", 60)
        if layout["state"]["token_ids"] != cli_long["token_ids"]:
            fail("GPT-2: the app's tokens differ from `attnviz heads`'s")
        click(*center(layout["items"]["view_merge_words"]))
        layout = app.wait_for(lambda l: 0 < l["state"]["tokens"] < 128, "the words", 20)
        if layout["state"]["truncation"] != expected:
            fail(f"with words merged the status says {layout['state']['truncation']!r}, expected {expected!r}")
        print(f"words merged ({layout['state']['tokens']} words): still {expected!r}")
        # One long word, merged: the message said "the model's 1 positions" (the word count).
        one_word = "supercalifragilistic" * 30
        click(*center(layout["items"]["text_box"]))
        key("ctrl+a")
        run_command(["xdotool", "type", "--delay", "2", one_word])
        cli_word = heads_json(binary, gpt2, "--text", one_word)
        expected = f"text cut to the model's 128 positions (had {cli_word['text_tokens']} tokens)"
        layout = app.wait_for(lambda l: l["state"]["text"] == one_word and l["state"]["tokens"] == 1
                              and not l["state"]["running"], "the one long word, merged", 60)
        if layout["state"]["truncation"] != expected:
            fail(f"one merged word: the status says {layout['state']['truncation']!r}, expected "
                 f"{expected!r}")
        print(f"one {len(one_word)}-character word merged: {expected!r}")
        layout = app.wait_stable("the one word's view")
        click(*center(layout["items"]["view_merge_words"]))
        app.wait_for(lambda l: l["state"]["tokens"] == 128, "the tokens again", 20)

        # GPT-2 on a short text: the same table, then the probe.
        layout = app.wait_stable("before the text box")
        click(*center(layout["items"]["text_box"]))
        key("ctrl+a")
        run_command(["xdotool", "type", "--delay", "10", TEXT])
        cli_text = heads_json(binary, gpt2, "--text", TEXT)
        layout = app.wait_for(lambda l: l["state"]["model"] == gpt2 and l["state"]["text"] == TEXT
                              and l["state"]["token_ids"] == cli_text["token_ids"]
                              and l["state"]["roles_ready"] and not l["state"]["running"],
                              "GPT-2's run of the text", 60)
        compare_roles(layout["state"]["roles"], cli_text, [0, 1, 2, 3], "GPT-2's head roles")
        click(*center(layout["items"]["tab.Head roles"]))
        layout = app.wait_for(lambda l: "load_probe" in l["items"], "the Head roles tab", 20)
        click(*center(layout["items"]["load_probe"]))
        layout = app.wait_for(lambda l: l["state"]["roles_probe"], "the probe's scores", 60)
        cli_probe = heads_json(binary, gpt2, "--probe", "induction")
        compare_roles(layout["state"]["roles"], cli_probe, [2], "the induction probe")

        # Rollout from the head bar, on a pinned token.
        layout = app.wait_stable("the arcs")
        query = 9
        click(*center(layout["items"][f"arc_token.{query}"]))
        app.wait_for(lambda l: l["state"]["pinned"] == query, "the pinned token", 10)
        move(5, 995)
        rows = {}
        for mode, aggregate in (("rollout", "rollout"), ("all-layers", "all-layers")):
            layout = app.wait_stable(f"before {mode}")
            if f"mode_{mode}" not in layout["items"]:
                fail(f"the head bar has no {mode} radio (items: {sorted(k for k in layout['items'] if k.startswith('mode_'))})")
            click(*center(layout["items"][f"mode_{mode}"]))
            layout = app.wait_for(lambda l: l["state"]["head_mode"] == mode and l["state"]["whole_map_ready"]
                                  and len(l["state"]["query_weights"]) > query, f"the {mode} arcs", 60)
            out = os.path.join(scratch, f"{mode}.npy")
            run_command([binary, "export", "--model", gpt2, "--text", TEXT, "--aggregate", aggregate,
                         "--out", out], timeout=60)
            want = np.load(out)[0, 0, query]
            got = np.array(layout["state"]["query_weights"])
            worst = float(np.abs(got - want).max())
            print(f"{mode} arcs of token {query}: largest difference from `attnviz export` {worst:.2e}")
            if worst > 1e-5:
                fail(f"the {mode} arcs are not {mode}: {got} vs {want}")
            rows[mode] = got
        if float(np.abs(rows["rollout"] - rows["all-layers"]).max()) < 1e-3:
            fail("rollout's arcs are the mean of all layers")
    finally:
        app.kill()
