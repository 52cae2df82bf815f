#!/usr/bin/env bash
# Fetches Particle's released firmware binaries shipped inside the npm package particle-cli@2.16.0
# (assets/updates/*@2.2.0.bin, assets/binaries/*) and prints the directory that holds `assets/`.
#
#   PBUILD_TESTDATA  where test data lives (default: target/testdata, relative to the cwd)
#
# Idempotent: does nothing but print the directory when it is already complete. Needs `npm` and
# access to the npm registry the first time. The tarball is checked against a pinned SHA-256.
set -euo pipefail

version=2.16.0
tarball_sha256=8740e7bb69fbba35d1d8ebecd8171a7e597f094e844dd964fc2aea669faa24bb

root="${PBUILD_TESTDATA:-target/testdata}"
dest="$root/particle-cli-$version"

if [ ! -f "$dest/.complete" ]; then
    command -v npm >/dev/null || { echo "release-binaries.sh: npm is not installed" >&2; exit 1; }
    mkdir -p "$root"
    work="$(mktemp -d "$root/.fetch.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack --silent "particle-cli@$version" >/dev/null)
    tarball="$work/particle-cli-$version.tgz"
    actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
    if [ "$actual" != "$tarball_sha256" ]; then
        echo "release-binaries.sh: particle-cli-$version.tgz has SHA-256 $actual, expected $tarball_sha256" >&2
        exit 1
    fi
    tar -xzf "$tarball" -C "$work" package/assets
    rm -rf "$dest"
    mkdir -p "$dest"
    mv "$work/package/assets" "$dest/assets"
    touch "$dest/.complete"
fi

cd "$dest" && pwd
