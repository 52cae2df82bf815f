#!/usr/bin/env bash
# Install what pbuild, its tests and the bundled example tree need on Debian/Ubuntu (run as root or with sudo).
set -euo pipefail
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
packages=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib make dfu-util libusb-1.0-0-dev pkg-config xxd
          libarchive-zip-perl hyperfine python3 ccache sccache distcc redis-server)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -q
  sudo_if_needed apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null 2>&1 || { echo "setup: cargo (Rust) is needed: https://rustup.rs" >&2; exit 1; }
