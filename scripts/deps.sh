#!/bin/sh
# Installs the Debian packages skep needs to build and test, when run as root;
# otherwise prints the exact apt-get line and stops.  Run by the Makefile.
set -eu

# gcc/make build; clang compiles BPF examples and libFuzzer targets (its
# runtime is libclang-rt-14-dev); libelf, libbpf and libpcap are the libraries
# the loader and packet stages link; libseccomp resolves syscall names for
# `skep seccomp`; capstone disassembles the JIT's code (`skep disasm --jited`); tcpdump is the reference the cBPF tests
# compare with; iproute2 makes the network namespaces of the live tests.
PKGS="gcc make libc6-dev linux-libc-dev pkg-config clang clang-16 llvm libclang-rt-14-dev \
libelf-dev zlib1g-dev libbpf-dev libpcap-dev libseccomp-dev libcapstone-dev tcpdump iproute2 python3"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "skep: missing packages:$missing (and this is not a Debian-like system; install their equivalents)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "skep: missing Debian packages. Run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
echo "skep: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
