#!/usr/bin/env bash
# Time make against pbuild in the same run, with hyperfine, and write the medians and ratios to BENCHMARKS.md.
#
#   bash bench/run.sh                      # the bundled example tree (a private copy), platform p1, app blink
#   DEVICE_OS_PATH=~/device-os bash bench/run.sh   # also a real tree (its build/target is used by make)
#
# Cases: no-op main, no-op modules, edit one app file (main; also without the precompiled header),
# the first main after modules (from the cache modules filled, vs a physical build),
# clean modules build (make -j1 `clean all` vs pbuild -j2 and -j1 --no-cache after `pbuild clean`, and
# -j2 --exact-elf; the .bin files are compared with make's), pbuild's
# cold build (plan import included), the rebuild after `pbuild clean` from the content cache vs the
# physical one, the switch back to a platform built before, and ccache as launcher vs pbuild's cache.
# pbuild's content cache lives in a private directory of this run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --quiet
PBUILD="$PWD/target/release/pbuild"
RUNS="${RUNS:-10}"
SLOW_RUNS="${SLOW_RUNS:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="$work/results"
mkdir -p "$results"
export PBUILD_CACHE_DIR="$work/pbuild-cache" CCACHE_DIR="$work/ccache"

bench_tree() { # name tree platform app
  local name="$1" tree="$2" platform="$3" app="$4"
  local out="$work/out-$name"
  local pb="$PBUILD --tree $tree --target-dir $out --platform $platform --app $app -q"
  local mk="make -s -C $tree"
  local appfile
  appfile="$(find "$tree/user/applications/$app" -name '*.cpp' | sort | head -1)"
  echo "== $name: $tree ($platform, $app)" >&2
  # Warm both: a full build each.
  $mk/modules PLATFORM="$platform" APP="$app" all >/dev/null
  $mk/main PLATFORM="$platform" APP="$app" all >/dev/null
  $pb build --target modules >/dev/null
  $pb build --target main >/dev/null
  hyperfine -N -w 2 -r "$RUNS" --export-json "$results/$name-noop-main.json" \
    -n make "make -s -C $tree/main PLATFORM=$platform APP=$app all" \
    -n pbuild "$pb build --target main" >&2
  hyperfine -N -w 1 -r "$RUNS" --export-json "$results/$name-noop-modules.json" \
    -n make "make -s -C $tree/modules PLATFORM=$platform APP=$app all" \
    -n pbuild "$pb build --target modules" >&2
  cp "$appfile" "$work/app.orig"
  local edit="sh -c 'cp $work/app.orig $appfile; echo \"// edit \$(date +%s%N)\" >> $appfile'"
  hyperfine -r "$RUNS" --export-json "$results/$name-edit-app.json" \
    --prepare "$edit" \
    -n make "make -s -C $tree/main PLATFORM=$platform APP=$app all" \
    -n pbuild "$pb build --target main" >&2
  $pb --no-pch build --target main >/dev/null
  hyperfine -r "$RUNS" --export-json "$results/$name-edit-app-pch.json" \
    --prepare "$edit" \
    -n "pbuild --no-pch" "$pb --no-pch build --target main" \
    -n "pbuild (precompiled Particle.h)" "$pb build --target main" >&2
  cp "$work/app.orig" "$appfile"
  # Clean modules: make -j1 against pbuild at -j2 and -j1 (equivalent variants compiled once) and
  # with --exact-elf (every variant compiled). The -j2 build runs last: its .bin files are compared
  # with make's below.
  local clean="$pb clean --platform $platform"
  hyperfine -r "$SLOW_RUNS" --export-json "$results/$name-clean-modules.json" \
    --prepare true --prepare "$clean" --prepare "$clean" --prepare "$clean" \
    -n "make -j1 clean all" "make -s -C $tree/modules PLATFORM=$platform APP=$app clean all" \
    -n "pbuild -j2 --no-cache --exact-elf (after pbuild clean)" "$pb --no-cache --exact-elf build --target modules -j 2" \
    -n "pbuild -j1 --no-cache (after pbuild clean)" "$pb --no-cache build --target modules -j 1" \
    -n "pbuild -j2 --no-cache (after pbuild clean)" "$pb --no-cache build --target modules -j 2" >&2
  local id
  case "$platform" in photon) id=6 ;; p1) id=8 ;; electron) id=10 ;; *) id=x ;; esac
  for bin in "$out/$platform"/*.bin; do
    local theirs
    theirs="$(find "$tree/build/target" -path "*platform-$id-m*" -name "$(basename "$bin")" | head -1)"
    if [ -n "$theirs" ] && cmp -s "$bin" "$theirs"; then
      echo "$(basename "$bin"): identical to make's" >> "$results/$name-identical.txt"
    else
      echo "$(basename "$bin"): DIFFERS from make's (${theirs:-none found})" >> "$results/$name-identical.txt"
    fi
  done
  hyperfine -r "$SLOW_RUNS" --export-json "$results/$name-cold-modules.json" \
    --prepare "rm -rf $out" \
    -n "pbuild -j2 --no-cache (cold: plan import included)" "$pb --no-cache build --target modules -j 2" >&2
  $pb build --target modules -j 2 >/dev/null
  hyperfine -r "$SLOW_RUNS" --export-json "$results/$name-rebuild-after-clean.json" \
    --prepare "$pb clean --platform $platform" \
    -n "pbuild -j2 --no-cache (physical build)" "$pb --no-cache build --target modules -j 2" \
    -n "pbuild -j2 (from the content cache)" "$pb build --target modules -j 2" >&2
  # The first main after modules: every compile from the cache modules filled (build dirs differ).
  local mam="$work/pbuild-cache-main-after-modules"
  hyperfine -r "$SLOW_RUNS" --export-json "$results/$name-main-after-modules.json" \
    --prepare "sh -c 'rm -rf $out $mam && PBUILD_CACHE_DIR=$mam $pb build --target modules -j 2 >/dev/null'" \
    -n "pbuild -j2 --no-cache main after modules" "$pb --no-cache build --target main -j 2" \
    -n "pbuild -j2 main after modules (cache filled by modules)" "PBUILD_CACHE_DIR=$mam $pb build --target main -j 2" >&2
  $pb build --target modules -j 2 >/dev/null
  local other="photon"
  [ "$platform" = photon ] && other="p1"
  local pbo="$PBUILD --tree $tree --target-dir $out --platform $other --app $app -q"
  # The other platform may not build on this tree (with Debian's gcc 12, photon's system-part2 of
  # the real 2.3.1 outgrows its slot): then there is nothing to switch back from.
  if $pbo build --target modules -j 2 >/dev/null 2>"$work/other.err"; then
    hyperfine -r "$SLOW_RUNS" --export-json "$results/$name-switch-back.json" \
      --prepare "sh -c '$pb clean --all && $pbo build --target modules -j 2'" \
      -n "pbuild -j2 $platform after $other, build dirs removed" "$pb build --target modules -j 2" >&2
  else
    echo "bench: $other modules does not build on $tree, switch-back skipped: $(tail -1 "$work/other.err")" >&2
  fi
  $pb --no-cache --launcher ccache clean --platform "$platform"
  $pb --no-cache --launcher ccache build --target modules -j 2 >/dev/null
  hyperfine -r "$SLOW_RUNS" --export-json "$results/$name-launcher.json" \
    --prepare "$pb clean --platform $platform" \
    -n "pbuild -j2 --no-cache --launcher ccache (warm ccache)" "$pb --no-cache --launcher ccache build --target modules -j 2" \
    -n "pbuild -j2 (warm pbuild cache)" "$pb build --target modules -j 2" >&2
}

copy="$work/device-os-mini"
cp -r examples/device-os-mini "$copy"
rm -rf "$copy/build/target"
bench_tree bundled "$copy" p1 blink
echo "== watch: save to finished build" >&2
python3 bench/watch.py "$PBUILD" "$copy" "$results/watch.json" "$RUNS" >&2
if [ -n "${DEVICE_OS_PATH:-}" ]; then
  bench_tree real "$DEVICE_OS_PATH" "${REAL_PLATFORM:-photon}" "${REAL_APP:-tinker}"
fi

# Keep the sections measured by hand (real trees timed outside this script, history of earlier stops).
hand="$work/hand.md"
sed -n '/^## Real Device OS.*measured by hand/,$p' BENCHMARKS.md > "$hand" 2>/dev/null || true
python3 - "$results" > BENCHMARKS.md <<'PY'
import json, os, sys, platform, subprocess, datetime
d = sys.argv[1]
def med(r): return r["median"]
cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
gcc = subprocess.run(["arm-none-eabi-gcc", "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
print("# Benchmarks\n")
print(f"Measured by `bash bench/run.sh` on {datetime.date.today()} ({cpu} cores, arm-none-eabi-gcc {gcc}).")
load = " / ".join(open("/proc/loadavg").read().split()[:3])
print("Medians of hyperfine runs; make and pbuild measured in the same run. Ratio = make / pbuild.")
print(f"Load average (1 / 5 / 15 min) when the run ended: {load}; other work on the machine slows both alike.\n")
for name in ["bundled", "real"]:
    files = sorted(f for f in os.listdir(d) if f.startswith(name + "-") and f.endswith(".json"))
    if not files: continue
    print(f"## {'Bundled example tree (examples/device-os-mini)' if name == 'bundled' else 'Real Device OS tree'}\n")
    print("| case | command | median | ratio |\n|---|---|---|---|")
    for f in files:
        case = f[len(name) + 1:-5]
        rs = json.load(open(os.path.join(d, f)))["results"]
        base = med(rs[0])
        for r in rs:
            ratio = f"{base / med(r):.1f}×" if len(rs) > 1 and r is not rs[0] else ""
            m = med(r)
            shown = f"{m * 1000:.1f} ms" if m < 1 else f"{m:.2f} s"
            print(f"| {case} | {r['command']} | {shown} | {ratio} |")
    print()
    same = os.path.join(d, f"{name}-identical.txt")
    if os.path.exists(same):
        print("The `.bin` files of the last clean `modules` build (pbuild -j2, variants compiled once) against make's `clean all`:\n")
        for line in open(same):
            print(f"- {line.strip()}")
        print()
w = os.path.join(d, "watch.json")
if os.path.exists(w):
    r = json.load(open(w))
    print("## pbuild watch (bundled tree, p1 blink; `bench/watch.py`)\n")
    print("Time from appending a function to blink.cpp until watch reports the finished build, against a one-shot")
    print(f"`pbuild build` of the same kind of edit ({r['runs']} runs each, medians).\n")
    print("| case | median |\n|---|---|")
    print(f"| watch: save → build finished | {r['watch_median'] * 1000:.0f} ms |")
    print(f"| one-shot `pbuild build` | {r['oneshot_median'] * 1000:.0f} ms |")
    print(f"| overhead of watch (incl. the 30 ms debounce) | {r['overhead'] * 1000:.0f} ms |")
    print()
PY
if [ -s "$hand" ]; then echo >> BENCHMARKS.md; cat "$hand" >> BENCHMARKS.md; fi
cat BENCHMARKS.md
