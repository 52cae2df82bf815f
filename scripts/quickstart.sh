#!/usr/bin/env bash
# Set up, build pbuild, and build the bundled example app for a P1 on the bundled Device OS-shaped tree.
# Give a real tree with DEVICE_OS_PATH=… and a platform/app with PLATFORM=… APP=….
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --quiet
tree="${DEVICE_OS_PATH:-$PWD/examples/device-os-mini}"
platform="${PLATFORM:-p1}"
app="${APP:-blink}"
pbuild=target/release/pbuild
set -x
"$pbuild" --tree "$tree" --platform "$platform" --app "$app" --target-dir target/quickstart build
"$pbuild" --tree "$tree" --platform "$platform" --app "$app" --target-dir target/quickstart build --explain
