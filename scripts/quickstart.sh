#!/bin/sh
# README quick start, step one: install what is missing (Debian packages,
# as root), build, and run the bundled example.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j"$(nproc)"
sh scripts/example.sh build
