#!/bin/sh
# The main job on a bundled example: assemble an eBPF program, show it the way
# the kernel's verifier log prints it, and run it on a file.
set -eu
build=${1:-build}
skep="$build/skep"
set -x
"$skep" asm examples/fnv1a.s -o "$build/fnv1a.bin"
"$skep" disasm "$build/fnv1a.bin"
"$skep" test-run "$build/fnv1a.bin" --mem examples/hello.txt
"$skep" test-run examples/fnv1a.s --mem examples/hello.txt --checked --json
