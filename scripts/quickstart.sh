#!/usr/bin/env bash
# Set up, build pbuild, then build the example app, flash it with the real dfu-util and show its output.
#
# Without arguments it uses the bundled Device OS-shaped tree and a simulated P1 running Device OS 2.1.0,
# plugged in and running: pbuild asks it over USB to enter DFU mode (no buttons), updates the system
# parts first, flashes the app, and prints the app's serial output for a few seconds. Real things instead:
#   DEVICE_OS_PATH=~/device-os PLATFORM=photon APP=tinker DEVICE=<24-hex device id> bash scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --quiet
tree="${DEVICE_OS_PATH:-$PWD/examples/device-os-mini}"
platform="${PLATFORM:-p1}"
app="${APP:-blink}"
out="$PWD/target/quickstart"
pbuild="$PWD/target/release/pbuild"
device="${DEVICE:-}"
if [ -z "$device" ]; then
  rm -rf "$out/sim-device"
  "$pbuild" --platform "$platform" sim create "$out/sim-device" --system-version 2101
  device="sim:$out/sim-device"
fi
set -x
"$pbuild" --tree "$tree" --platform "$platform" --app "$app" --target-dir "$out" build
"$pbuild" --tree "$tree" --platform "$platform" --app "$app" --target-dir "$out" flash --device "$device" --monitor --for 3
case "$device" in sim:*) "$pbuild" sim status "${device#sim:}" ;; esac
