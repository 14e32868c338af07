#!/usr/bin/env python3
"""Monkey soak of the attnviz desktop app: random clicks, drags, scrolls, keys and typing from
real X input events (xdotool), for a bounded time, on a text of at least 1,024 tokens; RSS is
sampled once a second. Fails on a crash (a signal or non-zero exit), a sanitizer report in the
app's output, or RSS that does not level off.

    python3 tools/soak.py [--seconds 600] [--binary build/attnviz] [--seed 1] [--out DIR]

Without a display it runs itself under `xvfb-run` (1600x1000, as the GUI tests). The short form
(60 s) is the CTest e2e test tests/e2e/test_gui_soak.sh, also run against the ASan build by
`tools/setup.sh test`; the long form (10 minutes) is this script with --seconds 600.

The app is driven by screen geometry and keys only: random points in the window, and the
rectangles of `--dump-layout` (whatever they are called), so it keeps working as the UI
changes. Its settings and exports go to a scratch folder. A clean exit (the File menu's Quit
can be clicked) restarts the app and counts as a restart, not a failure; so does a text cut
below 512 tokens by the Examples menu or by deleting (the soak is meant to run on a long text).

"RSS levels off" means, for each app process that ran at least 40 % of the run: after its
first quarter (start-up, first traces, caches), the level RSS sits at in its last half (the
median of its samples there) is at most 15 % + 64 MiB above the level of the half before it.
A leak raises the level; a transient peak (a run, an export, a second model for a diff) comes
back down and does not count, however late in a short run it falls.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Keys a person presses; Ctrl+Q (quit) is left out so that the run stays on one process.
KEYS = ["Left", "Right", "Up", "Down", "Page_Up", "Page_Down", "Home", "End", "Escape", "Tab",
        "Return", "BackSpace", "Delete", "space", "m", "c", "a", "h", "g", "t", "w", "d", "F1",
        "1", "2", "3", "4", "5", "shift+1", "shift+2", "shift+3", "ctrl+e", "ctrl+o", "ctrl+z",
        "ctrl+c", "ctrl+v", "ctrl+Left", "ctrl+Right", "shift+Left", "shift+Right", "alt+f",
        "alt+v"]
TYPED = "abcdefghijklmnopqrstuvwxyz ABCDEFG 0123456789 .,;:'\"!?()-_/\\"
UNICODE = ["é", "ü", "日本", "語", "🙂", "Ω", "ß", "\u200b", "שלום", "ĠĊ"]
SANITIZER = re.compile(r"ERROR: (Address|Memory|Thread)Sanitizer|runtime error:|"
                       r"terminate called|Segmentation fault|Aborted")


def our_leaks(log):
    """The LeakSanitizer reports whose allocation stack passes through attnviz or ImGui. Leaks
    whose every frame is a system library, or a library already unloaded at exit ("<unknown
    module>": Mesa's driver is dlclose'd), are not ours to fix; tests/e2e/lsan_gui.supp names
    the known ones."""
    blocks = re.split(r"\n(?=(?:Direct|Indirect) leak of )", log)
    return [b.strip() for b in blocks[1:]
            if re.match(r"(Direct|Indirect) leak of", b) and re.search(r"attnviz|ImGui", b)]


def long_text(min_tokens_guess=1024):
    """The examples' texts joined and repeated: about 6,000 characters, more than 1,024 tokens
    of the built-in model (the app cuts to its 1,024 positions)."""
    with open(os.path.join(ROOT, "assets", "examples.json")) as f:
        texts = [e["text"] for e in json.load(f)["examples"]]
    text = ""
    while len(text) < min_tokens_guess * 6:
        text += " ".join(texts) + " "
    return text.strip()


def xdotool(*args, timeout=10):
    try:
        return subprocess.run(["xdotool"] + [str(a) for a in args], capture_output=True, text=True,
                              timeout=timeout).stdout
    except subprocess.TimeoutExpired:
        return ""


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.out = args.out
        self.text = long_text()
        self.layout_path = os.path.join(self.out, "layout.json")
        self.samples = []  # (seconds since start, RSS MiB, process number: restarts so far)
        self.actions = 0
        self.restarts = 0
        self.process = None
        self.log = None
        self.start = time.time()
        self.geometry = None  # (x, y, width, height) of the window, refreshed every few seconds
        self.geometry_time = 0.0
        self.next_shot = args.shots if args.shots else None

    # ---- the app ----
    def launch(self):
        env = dict(os.environ)
        env.update({"XDG_CONFIG_HOME": os.path.join(self.out, "config"),
                    "HOME": os.path.join(self.out, "home"),
                    "HF_HUB_CACHE": os.path.join(self.out, "no-hub")})
        env.setdefault("ASAN_OPTIONS", "")
        # A small quarantine, so ASan's own delayed frees do not read as growth.
        env["ASAN_OPTIONS"] = ":".join(o for o in [env["ASAN_OPTIONS"], "quarantine_size_mb=32"] if o)
        os.makedirs(env["HOME"], exist_ok=True)
        self.log = open(os.path.join(self.out, f"app{self.restarts}.log"), "w")
        if os.path.exists(self.layout_path):
            os.remove(self.layout_path)
        self.process = subprocess.Popen(
            [self.args.binary, "--text", self.text, "--dump-layout", self.layout_path],
            cwd=os.path.join(self.out, "home"), stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + self.args.startup_timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                self.fail(f"the app exited with {self.process.returncode} while starting")
            layout = self.layout()
            if layout and layout.get("state", {}).get("trace_ready"):
                break
            time.sleep(0.2)
        else:
            self.fail(f"no first trace within {self.args.startup_timeout} s")
        self.focus()

    def layout(self):
        try:
            with open(self.layout_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def window(self):
        """(x, y, width, height) of the app's window."""
        ids = xdotool("search", "--name", "^attnviz$").split()
        if not ids:
            return None
        geometry = xdotool("getwindowgeometry", "--shell", ids[-1])
        values = dict(line.split("=", 1) for line in geometry.split() if "=" in line)
        try:
            return (int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"]))
        except (KeyError, ValueError):
            return None

    def focus(self):
        ids = xdotool("search", "--name", "^attnviz$").split()
        if ids:
            xdotool("windowfocus", "--sync", ids[-1])

    def log_text(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def fail(self, message):
        log = self.log_text()[-6000:] if self.log else ""
        self.report(ok=False, reason=message)
        print(f"FAIL: {message}\napp log (last lines):\n{log}", file=sys.stderr)
        self.stop()
        sys.exit(1)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def check_alive(self):
        """Restarts after a clean exit; fails on anything else."""
        log = self.log_text()
        match = SANITIZER.search(log)
        if match:
            self.fail(f"the app reported '{match.group(0)}'")
        code = self.process.poll()
        if code is None:
            state = (self.layout() or {}).get("state", {})
            if state.get("trace_ready") and 0 < state.get("tokens", 1024) < 512:
                self.restart(f"the text was cut to {state.get('tokens')} tokens")
            return
        if code != 0:
            self.fail(f"the app died with exit code {code}"
                      f"{' (signal ' + str(-code) + ')' if code < 0 else ''}")
        self.restart("the app quit (a menu's Quit was clicked)")

    def restart(self, why):
        print(f"  restart at {time.time() - self.start:.0f} s: {why}")
        self.stop()
        self.log.close()
        self.restarts += 1
        if self.restarts > 20:
            self.fail("more than 20 restarts")
        self.launch()

    # ---- actions ----
    def point(self, window):
        x, y, w, h = window
        layout = self.layout()
        rects = list((layout or {}).get("items", {}).values())
        if rects and self.rng.random() < 0.45:
            x0, y0, x1, y1 = self.rng.choice(rects)
            if x1 > x0 and y1 > y0:
                return self.rng.randint(x0, x1 - 1), self.rng.randint(y0, y1 - 1)
        return x + self.rng.randrange(w), y + self.rng.randrange(h)

    def act(self):
        if self.geometry is None or time.time() - self.geometry_time > 5:
            self.geometry, self.geometry_time = self.window(), time.time()
        window = self.geometry
        if window is None:
            return
        roll = self.rng.random()
        px, py = self.point(window)
        if roll < 0.30:
            xdotool("mousemove", px, py, "click", "1")
        elif roll < 0.35:
            xdotool("mousemove", px, py, "click", "--repeat", "2", "--delay", "60", "1")
        elif roll < 0.38:
            xdotool("mousemove", px, py, "click", "3")
        elif roll < 0.43:
            qx, qy = self.point(window)
            xdotool("mousemove", px, py, "mousedown", "1", "sleep", "0.05", "mousemove", qx, qy,
                    "sleep", "0.05", "mouseup", "1")
        elif roll < 0.50:
            xdotool("mousemove", px, py, "click", "--repeat", self.rng.randint(1, 5),
                    self.rng.choice(["4", "5", "6", "7"]))
        elif roll < 0.58:
            xdotool("mousemove", px, py)
        elif roll < 0.85:
            xdotool("key", "--delay", "20", self.rng.choice(KEYS))
        else:
            if self.rng.random() < 0.2:
                typed = self.rng.choice(UNICODE)
            else:
                typed = "".join(self.rng.choice(TYPED) for _ in range(self.rng.randint(1, 12)))
            xdotool("type", "--delay", "15", typed)
        self.actions += 1
        time.sleep(self.rng.uniform(0.02, 0.15))

    # ---- the run ----
    def run(self):
        os.makedirs(self.out, exist_ok=True)
        self.launch()
        self.start = time.time()
        last_sample = 0.0
        while time.time() - self.start < self.args.seconds:
            self.act()
            self.check_alive()
            now = time.time() - self.start
            if now - last_sample >= 1.0:
                rss = rss_mib(self.process.pid)
                if rss is not None:
                    self.samples.append((round(now, 1), round(rss, 1), self.restarts))
                last_sample = now
                if self.actions % 50 == 0:
                    self.focus()
            if self.next_shot is not None and now >= self.next_shot:
                shot = os.path.join(self.out, f"shot_{int(now):04d}s.png")
                subprocess.run(["import", "-window", "root", shot], capture_output=True, timeout=30)
                self.next_shot += self.args.shots
        self.quit_cleanly()
        verdict = self.levels_off()
        self.report(ok=verdict is None, reason=verdict or "")
        if verdict:
            print(f"FAIL: {verdict}", file=sys.stderr)
            sys.exit(1)
        print(f"PASS: {self.actions} actions in {self.args.seconds} s, {self.restarts} restarts, "
              f"RSS {self.summary()}")

    def quit_cleanly(self):
        """Ctrl+Q, so that a sanitizer build runs its exit checks (LeakSanitizer) too."""
        self.focus()
        if self.window() is not None:
            xdotool("key", "Escape", "Escape", "ctrl+q")
        try:
            code = self.process.wait(timeout=30 if self.window() is not None else 1)
        except subprocess.TimeoutExpired:
            self.stop()
            code = 0
        log = self.log_text()
        match = SANITIZER.search(log)
        if match:
            self.fail(f"the app reported '{match.group(0)}' at exit")
        leaks = our_leaks(log)
        if leaks:
            self.fail(f"LeakSanitizer: {len(leaks)} leak(s) through attnviz code, first:\n{leaks[0][:3000]}")
        if "ERROR: LeakSanitizer" in log:
            summary = re.search(r"SUMMARY: AddressSanitizer: .*leaked.*", log)
            print(f"  leaks in system libraries only, ignored: {summary.group(0) if summary else ''}")
        elif code != 0:
            self.fail(f"the app exited with code {code} at the end")

    def levels_off(self):
        """None when RSS levels off, else why not. Judged per process (a restart starts again
        from a small RSS), for each process that ran at least 40 % of the run: after its first
        quarter, the median of the last half against the median of the half before it."""
        judged = 0
        for process in sorted({p for _, _, p in self.samples}):
            samples = [(t, r) for t, r, p in self.samples if p == process]
            begin, end = samples[0][0], samples[-1][0]
            if end - begin < 0.4 * self.args.seconds:
                continue
            warm = [(t, r) for t, r in samples if t >= begin + 0.25 * (end - begin)]
            if len(warm) < 8:
                continue
            judged += 1
            half = len(warm) // 2
            early = sorted(r for _, r in warm[:half])
            late = sorted(r for _, r in warm[half:])
            before, after = early[len(early) // 2], late[len(late) // 2]
            if after > before * 1.15 + 64:
                return (f"RSS does not level off (process {process}): it sits at {before:.0f} MiB "
                        f"(median) in the third quarter of its life, {after:.0f} MiB in the last "
                        f"(peaks {early[-1]:.0f} and {late[-1]:.0f} MiB)")
        if judged == 0:
            print("  RSS not judged: no process ran for 40 % of the run with 8 samples")
        return None

    def summary(self):
        if not self.samples:
            return "not sampled"
        values = [r for _, r, _ in self.samples]
        tenth = max(1, len(values) // 10)
        marks = " ".join(f"{max(values[i:i + tenth]):.0f}" for i in range(0, len(values), tenth))
        return (f"start {values[0]:.0f} MiB, peak {max(values):.0f} MiB, end {values[-1]:.0f} MiB "
                f"(peak per tenth of the run: {marks})")

    def report(self, ok, reason):
        with open(os.path.join(self.out, "soak.json"), "w") as f:
            json.dump({"ok": ok, "reason": reason, "seconds": self.args.seconds,
                       "actions": self.actions, "restarts": self.restarts, "seed": self.args.seed,
                       "rss_mib": self.samples}, f)


# Stand-ins for the app, for --self-test: each writes a layout with a first trace, then crashes
# or grows without end, so that the soak's own checks are seen to fail.
CRASHING_APP = """#!/bin/sh
echo '{"items": {}, "state": {"trace_ready": true, "tokens": 1024}}' > "$4"
sleep 3
kill -SEGV $$
"""
LEAKING_APP = """#!/usr/bin/python3
import json, signal, sys, time
json.dump({"items": {}, "state": {"trace_ready": True, "tokens": 1024}}, open(sys.argv[4], "w"))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
kept = []
while True:
    kept.append(bytearray(b"x" * (16 << 20)))  # 16 MiB touched every 0.25 s, never freed
    time.sleep(0.25)
"""

# Passes: a plateau with transient peaks late in the run (as a run or an export makes).
SPIKY_APP = """#!/usr/bin/python3
import json, signal, sys, time
json.dump({"items": {}, "state": {"trace_ready": True, "tokens": 1024}}, open(sys.argv[4], "w"))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
kept = bytearray(b"x" * (64 << 20))
start = time.time()
while True:
    if time.time() - start > 9:
        spike = b"x" * (128 << 20)  # 128 MiB held 0.3 s, then freed
        time.sleep(0.3)
        del spike
    time.sleep(5)
"""


def self_test():
    """The soak's checks, each seen to fail: a crash, RSS that keeps growing, a leak report
    through attnviz; and seen to pass: a plateau, leaks in system libraries only."""
    folder = tempfile.mkdtemp(prefix="attnviz_soak_selftest_")
    failures = []
    for name, script, seconds, expected in [("crash", CRASHING_APP, 8, "died with exit code -11"),
                                            ("leak", LEAKING_APP, 16, "RSS does not level off")]:
        stub = os.path.join(folder, name)
        with open(stub, "w") as f:
            f.write(script)
        os.chmod(stub, 0o755)
        result = subprocess.run([sys.executable, os.path.abspath(__file__), "--binary", stub,
                                 "--seconds", str(seconds), "--out", os.path.join(folder, name + "_out")],
                                capture_output=True, text=True, timeout=120)
        if result.returncode == 0 or expected not in result.stderr:
            failures.append(f"{name}: expected a failure saying '{expected}', got exit "
                            f"{result.returncode}: {result.stderr[-500:]}")
    stub = os.path.join(folder, "spiky")
    with open(stub, "w") as f:
        f.write(SPIKY_APP)
    os.chmod(stub, 0o755)
    result = subprocess.run([sys.executable, os.path.abspath(__file__), "--binary", stub,
                             "--seconds", "20", "--out", os.path.join(folder, "spiky_out")],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        failures.append(f"spiky plateau: expected a pass, got exit {result.returncode}: "
                        f"{result.stderr[-500:]}")
    leak = ("Direct leak of 64 byte(s) in 1 object(s) allocated from:\n"
            "    #0 0x1 in malloc\n    #1 0x2 in attnviz::Worker::run() app/worker.cpp:9\n")
    system = ("Indirect leak of 56 byte(s) in 1 object(s) allocated from:\n"
              "    #0 0x1 in __interceptor_calloc\n    #1 0x7f84afd8edd3  (<unknown module>)\n")
    if len(our_leaks("x\n" + leak + "\n" + system)) != 1:
        failures.append("our_leaks does not tell attnviz's leaks from the system's")
    shutil.rmtree(folder, ignore_errors=True)
    if failures:
        print("FAIL: soak self-test:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)
    print("soak self-test: a crash, growing RSS and a leak through attnviz are each caught; "
          "a plateau with transient peaks passes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "attnviz"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="scratch folder (default: a new temp folder)")
    parser.add_argument("--startup-timeout", type=float, default=120)
    parser.add_argument("--shots", type=float, default=0,
                        help="save a screenshot every this many seconds (0: none)")
    parser.add_argument("--self-test", action="store_true",
                        help="check that the soak's checks fail on a crashing and a leaking stand-in")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    for tool in ["xdotool"]:
        if not shutil.which(tool):
            sys.exit(f"FAIL: {tool} is not installed")
    if not os.environ.get("DISPLAY"):
        if not shutil.which("xvfb-run"):
            sys.exit("FAIL: no display and no xvfb-run")
        command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable,
                   os.path.abspath(__file__)] + sys.argv[1:]
        sys.exit(subprocess.call(command))
    if args.self_test:
        self_test()
        return
    args.out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="attnviz_soak_"))
    print(f"soak: {args.binary}, {args.seconds:.0f} s, seed {args.seed}, scratch {args.out}")
    Soak(args).run()


if __name__ == "__main__":
    main()
