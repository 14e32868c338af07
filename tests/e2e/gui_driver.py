"""Drives the real attnviz desktop app under an X server (Xvfb) with real input events.

Helpers for the tests/e2e/test_gui_*.sh scripts: start the app with --dump-layout, wait for
the layout file, click with xdotool, capture the screen with ImageMagick's `import`, and read
pixels with numpy. Every wait has a timeout; the app is always killed at the end.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image


class Failure(Exception):
    pass


def fail(message):
    raise Failure(message)


class App:
    def __init__(self, binary, args, layout_path, workdir, env=None):
        self.layout_path = layout_path
        self.log_path = os.path.join(workdir, "app.log")
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.process = subprocess.Popen([binary] + args + ["--dump-layout", layout_path],
                                        cwd=workdir, stdout=self.log, stderr=subprocess.STDOUT,
                                        env=full_env)

    def layout(self):
        try:
            with open(self.layout_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait_for(self, predicate, what, timeout=60.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                fail(f"the app exited with code {self.process.returncode} while waiting for {what}; "
                     f"log:\n{self.log_text()}")
            layout = self.layout()
            if layout is not None and predicate(layout):
                return layout
            time.sleep(0.1)
        fail(f"timed out after {timeout:.0f} s waiting for {what}; last layout state: "
             f"{(self.layout() or {}).get('state')}\nlog:\n{self.log_text()}")

    def wait_stable(self, what, quiet=0.6, timeout=20.0):
        """Waits until the rectangles have not moved for `quiet` seconds (the first frames of a
        new trace may still settle), and returns that layout."""
        deadline = time.time() + timeout
        last, since = None, time.time()
        while time.time() < deadline:
            layout = self.layout()
            items = layout["items"] if layout else None
            if items != last:
                last, since = items, time.time()
            elif items is not None and time.time() - since >= quiet:
                return layout
            time.sleep(0.05)
        fail(f"the layout kept changing for {timeout:.0f} s while waiting for {what}")

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def kill(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()


def run(command, timeout=20):
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"command timed out: {' '.join(command)}")
    if result.returncode != 0:
        fail(f"command failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
    return result.stdout


def focus_app():
    """Gives the app's window the keyboard focus (Xvfb has no window manager to do it; ImGui
    1.86 reads the mouse and keys only while its window has focus)."""
    windows = run(["xdotool", "search", "--name", "^attnviz$"]).split()
    if not windows:
        fail("no window named attnviz on the display")
    run(["xdotool", "windowfocus", "--sync", windows[-1]])
    time.sleep(0.2)


def center(rect):
    return (rect[0] + rect[2]) // 2, (rect[1] + rect[3]) // 2


def click(x, y):
    run(["xdotool", "mousemove", str(x), str(y)])
    time.sleep(0.25)  # let the app see the pointer arrive before the button
    run(["xdotool", "click", "1"])
    time.sleep(0.4)


def move(x, y):
    run(["xdotool", "mousemove", str(x), str(y)])
    time.sleep(0.3)


def key(*keys):
    run(["xdotool", "key"] + list(keys))
    time.sleep(0.4)


def capture(path):
    """The whole screen as an (H, W, 3) uint8 array, also saved to path."""
    run(["import", "-window", "root", path])
    return np.asarray(Image.open(path).convert("RGB")).astype(np.int16)


def changed_pixels(before, after, box, threshold=40):
    """How many pixels inside box (x0, y0, x1, y1) differ by more than threshold (sum of |RGB|)."""
    x0, y0, x1, y1 = [int(v) for v in box]
    h, w = before.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return 0
    difference = np.abs(after[y0:y1, x0:x1] - before[y0:y1, x0:x1]).sum(axis=2)
    return int((difference > threshold).sum())


def long_text(repeats):
    """The long-text scenarios' text: one sentence numbered `repeats` times (about 20 tokens
    each on the long model)."""
    return "".join(f"The bank by the river was eroding, said witness {i}. " for i in range(repeats))


def make_long_model(data, scratch, layers):
    """A random Llama-shaped model with `layers` layers (make_long_model.py) in the scratch
    folder; its path."""
    model = os.path.join(scratch, "long-model")
    here = os.path.dirname(os.path.realpath(__file__))
    subprocess.run(["/usr/bin/python3", os.path.join(here, "make_long_model.py"), data, model,
                    str(layers)], check=True, timeout=120)
    return model


def items_with_prefix(layout, prefix):
    found = {}
    for name, rect in layout["items"].items():
        if name.startswith(prefix):
            found[int(name[len(prefix):])] = rect
    return found


def main(argv):
    """Dispatches to a scenario: python3 gui_driver.py SCENARIO BINARY DATA SCRATCH."""
    scenario = argv[1]
    module = __import__(scenario)
    try:
        module.run(*argv[2:])
    except Failure as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    # Import this file as the module the scenarios import, so they share one Failure class.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gui_driver
    sys.exit(gui_driver.main(sys.argv))
