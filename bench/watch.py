#!/usr/bin/env python3
"""Time from a save to a finished build in `pbuild watch`, against a one-shot `pbuild build` of the same edit.

usage: watch.py PBUILD TREE OUT.json [RUNS]
Each run appends a new function to blink.cpp (so the compile, link and image really run), then waits for
watch's `watch-build` JSON line; the one-shot side makes the same kind of edit and times `pbuild build`.
"""
import json, os, statistics, subprocess, sys, threading, time, queue

pbuild, tree, out_json = sys.argv[1], sys.argv[2], sys.argv[3]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
target = os.path.join(os.path.dirname(out_json), "watch-target")
src = os.path.join(tree, "user/applications/blink/blink.cpp")
base = [pbuild, "--tree", tree, "--target-dir", target, "--platform", "p1", "--app", "blink"]
original = open(src).read()
n = [0]

def edit():
    n[0] += 1
    with open(src, "a") as f:
        f.write(f"\nint pbuild_bench_{os.getpid()}_{n[0]}(int x) {{ return x * {n[0]}; }}\n")

try:
    subprocess.run(base + ["-q", "build"], check=True)
    lines = queue.Queue()
    watch = subprocess.Popen(base + ["--message-format", "json", "watch"] + sys.argv[5:], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    threading.Thread(target=lambda: [lines.put(l) for l in watch.stdout], daemon=True).start()
    time.sleep(1.0)
    watch_times = []
    for _ in range(runs):
        time.sleep(0.4)
        while not lines.empty():  # the start-up build and anything earlier
            lines.get_nowait()
        t0 = time.monotonic()
        edit()
        while True:
            line = lines.get(timeout=60)
            if '"watch-build"' in line:
                break
        watch_times.append(time.monotonic() - t0)
    watch.terminate()
    watch.wait()
    oneshot_times = []
    for _ in range(runs):
        edit()
        t0 = time.monotonic()
        subprocess.run(base + ["-q", "build"], check=True)
        oneshot_times.append(time.monotonic() - t0)
finally:
    open(src, "w").write(original)
w, o = statistics.median(watch_times), statistics.median(oneshot_times)
json.dump({"watch_median": w, "oneshot_median": o, "overhead": w - o, "runs": runs}, open(out_json, "w"))
print(f"watch: save -> build finished median {w*1000:.0f} ms; one-shot build {o*1000:.0f} ms; overhead {(w-o)*1000:.0f} ms")
