#!/bin/sh
# The main job on bundled examples: an eBPF program assembled, shown as the
# kernel's verifier log prints it and run in the interpreter and the JIT; then
# a C program that clang built for the kernel, verified, shown with its
# source lines and run on a packet as BPF_PROG_TEST_RUN runs it.
set -eu
build=${1:-build}
skep="$build/skep"
set -x
"$skep" asm examples/fnv1a.s -o "$build/fnv1a.bin"
"$skep" disasm "$build/fnv1a.bin"
"$skep" test-run "$build/fnv1a.bin" --mem examples/hello.txt
"$skep" test-run examples/fnv1a.s --mem examples/hello.txt --jit --json
"$skep" verify "$build/examples/net/xdp_firewall.bpf.o"
"$skep" disasm "$build/examples/globals.bpf.o" --source
"$skep" test-run "$build/examples/net/xdp_firewall.bpf.o" --data examples/net/udp53.bin --jit
"$skep" test-run "$build/examples/globals.bpf.o" --dump-maps
