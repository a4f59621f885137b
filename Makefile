# skep: eBPF outside the kernel.  Plain, non-recursive GNU make; every output
# goes under $(BUILD).  `make help` lists the targets.

BUILD ?= build
CC ?= gcc
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
CONFORMANCE_DIR ?= ../shared/conformance/tests

WARN := -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration -Werror=int-conversion
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -fPIC $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -fvisibility=hidden -Iinclude -Isrc -MMD -MP
LDFLAGS += $(EXTRA_LDFLAGS)
LDLIBS := -lpcap -lseccomp -lbpf -lelf -lz -lcapstone -lpthread

LIB_SRCS := $(wildcard src/*/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/src/interp/interp_checked.o
LIB := $(BUILD)/libskep.a

SKEP_SRCS := $(wildcard tools/skep/*.c)
SKEP_OBJS := $(SKEP_SRCS:%.c=$(BUILD)/obj/%.o)
SKEP := $(BUILD)/skep
PLUGIN := $(BUILD)/skep-conformance-plugin

TEST_COMMON := $(wildcard tests/lib/*.c)
TEST_COMMON_OBJS := $(TEST_COMMON:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/*/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BIN := $(BUILD)/bench/skep-bench

FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps test check conformance asan fuzz bench format install example help clean
.DEFAULT_GOAL := all
.SECONDARY:

all: $(DEPS_STAMP) $(LIB) $(SKEP) $(PLUGIN) $(TEST_BINS)

help:
	@echo "make            build libskep, the skep CLI, the conformance plugin and the tests"
	@echo "make example    build and run the bundled example program"
	@echo "make test       run every test; ends with 'N passed, N failed, N skipped'"
	@echo "make asan       the tests under AddressSanitizer + UBSan (in build/asan)"
	@echo "make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60), then fuzz-diff"
	@echo "make fuzz-diff  FUZZ_DIFF_PROGRAMS (50000) random programs: interpreter vs JIT vs kernel"
	@echo "make bench      benchmarks: interpreter vs kernel JIT vs gcc -O2, as ratios"
	@echo "make conformance  the bpf_conformance suite (CONFORMANCE_DIR=...)"
	@echo "make format     clang-format every source file"
	@echo "make install PREFIX=/usr/local"

# Installs missing Debian packages (as root) or says which to install.
$(DEPS_STAMP): scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p $(@D) && touch $@
deps: $(DEPS_STAMP)

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The checked interpreter is the same source compiled with its checks on.
$(BUILD)/obj/src/interp/interp_checked.o: src/interp/interp.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (checked)")
	$(Q)$(CC) $(ALL_CFLAGS) -DSKEP_INTERP_CHECKED -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(SKEP): $(SKEP_OBJS) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(PLUGIN): $(BUILD)/obj/tools/conformance/plugin.o $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_COMMON_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

test check: all
	@SKEP_BUILD=$(BUILD) CONFORMANCE_DIR=$(CONFORMANCE_DIR) sh tests/run.sh

conformance: $(PLUGIN) $(BUILD)/tests/conformance/test_conformance
	@SKEP_BUILD=$(BUILD) CONFORMANCE_DIR=$(CONFORMANCE_DIR) sh tests/run.sh conformance

asan:
	$(MAKE) BUILD=build/asan CC=$(CC) \
		EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" test

example: all
	@sh scripts/example.sh $(BUILD)

# libFuzzer needs clang; the library is rebuilt with coverage in build/fuzz.
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
fuzz: $(DEPS_STAMP)
	$(MAKE) BUILD=build/fuzz CC=clang EXTRA_CFLAGS="$(FUZZ_FLAGS)" fuzz-bins
	@for name in $(notdir $(FUZZ_BINS)); do \
		f=build/fuzz/fuzz/$$name; \
		echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
		mkdir -p build/fuzz/corpus/$$name; \
		if ! $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			build/fuzz/corpus/$$name >build/fuzz/$$name.log 2>&1; then \
			tail -n 40 build/fuzz/$$name.log; echo "fuzz: $$name FAILED"; exit 1; \
		fi; \
		grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done)" build/fuzz/$$name.log; \
	done
	$(MAKE) fuzz-diff
fuzz-bins: $(FUZZ_BINS)

# The long differential runs: FUZZ_DIFF_PROGRAMS random programs in the
# interpreter against the JIT (per feature mix), against the kernel, and
# through the JIT's batch loops.
FUZZ_DIFF_PROGRAMS ?= 50000
fuzz-diff: all
	@echo "fuzz-diff: $(FUZZ_DIFF_PROGRAMS) random programs, interpreter vs JIT vs kernel"
	@SKEP_JIT_DIFF_N=$(FUZZ_DIFF_PROGRAMS) $(BUILD)/tests/jit/test_jit_diff \
		>$(BUILD)/fuzz-diff-jit.log 2>&1; rc=$$?; \
		SKEP_DIFF_PROGRAMS=$(FUZZ_DIFF_PROGRAMS) SKEP_DIFF_SEED=1000000 \
		$(BUILD)/tests/kernel/test_kernel_diff >$(BUILD)/fuzz-diff-kernel.log 2>&1; \
		rk=$$?; SKEP_JIT_BATCH_N=$(FUZZ_DIFF_PROGRAMS) $(BUILD)/tests/jit/test_jit_batch \
		>$(BUILD)/fuzz-diff-batch.log 2>&1; rb=$$?; \
		grep -hE '^(FAIL|SKIP|#)|programs' $(BUILD)/fuzz-diff-jit.log \
		$(BUILD)/fuzz-diff-kernel.log $(BUILD)/fuzz-diff-batch.log; \
		[ $$rc -eq 0 ] && [ $$rk -ne 1 ] && [ $$rb -eq 0 ]
.PHONY: fuzz-diff fuzz-bins
$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

# ---- packet examples: begin ----
# examples/net/NAME.bpf.c: XDP, tc and socket-filter programs built by clang
# with libbpf's headers, as for the kernel; tests/hooks runs them in skep and
# in the kernel side by side.
NET_EXAMPLE_SRCS := $(wildcard examples/net/*.bpf.c)
NET_EXAMPLE_OBJS := $(NET_EXAMPLE_SRCS:examples/net/%.bpf.c=$(BUILD)/examples/net/%.bpf.o)
NET_BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -I/usr/include/$(shell $(CC) -dumpmachine)
all: $(NET_EXAMPLE_OBJS)
$(BUILD)/examples/net/%.bpf.o: examples/net/%.bpf.c examples/net/net.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CLANG   $<")
	$(Q)$(BPF_CLANG) $(NET_BPF_CFLAGS) -c $< -o $@
# ---- packet examples: end ----

# ---- loader examples: begin ----
# examples/bpf/NAME.bpf.c: one program per loader feature, built as for the
# kernel (clang -O2 -g -target bpf, libbpf's headers) into
# $(BUILD)/examples/NAME.bpf.o, and by clang-16 (-mcpu=v3) into
# $(BUILD)/examples/clang16/ when it is installed; tests/loader loads them in
# skep and through libbpf in the kernel.
LOADER_EXAMPLE_SRCS := $(wildcard examples/bpf/*.bpf.c)
LOADER_EXAMPLE_OBJS := $(LOADER_EXAMPLE_SRCS:examples/bpf/%.bpf.c=$(BUILD)/examples/%.bpf.o)
LOADER_BPF_CFLAGS := -O2 -g -target bpf -Wall -I/usr/include/$(shell $(CC) -dumpmachine)
CLANG16 ?= $(shell command -v clang-16 2>/dev/null)
ifneq ($(CLANG16),)
LOADER_EXAMPLE_OBJS += $(LOADER_EXAMPLE_SRCS:examples/bpf/%.bpf.c=$(BUILD)/examples/clang16/%.bpf.o)
endif
all: $(LOADER_EXAMPLE_OBJS)
$(BUILD)/examples/%.bpf.o: examples/bpf/%.bpf.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CLANG   $<")
	$(Q)$(BPF_CLANG) $(LOADER_BPF_CFLAGS) -c $< -o $@
$(BUILD)/examples/clang16/%.bpf.o: examples/bpf/%.bpf.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CLANG16 $<")
	$(Q)$(CLANG16) $(LOADER_BPF_CFLAGS) -mcpu=v3 -c $< -o $@
# ---- loader examples: end ----

# ---- bench: begin ----
# Each bench/progs/NAME.c is built twice: by clang -target bpf into raw BPF
# instructions, $(BUILD)/bench/NAME.bin (the .text of NAME.bpf.o), for skep and
# the kernel; and by gcc -O2 into the bench binary as bench_native_NAME.
BPF_CLANG ?= clang
LLVM_OBJCOPY ?= llvm-objcopy
LLVM_READELF ?= llvm-readelf
BPF_CFLAGS := -O2 -target bpf -mcpu=v3 -fno-builtin -Wall -Wextra
BENCH_PROG_SRCS := $(wildcard bench/progs/*.c)
BENCH_PROG_BINS := $(BENCH_PROG_SRCS:bench/progs/%.c=$(BUILD)/bench/%.bin)
BENCH_NATIVE_OBJS := $(BENCH_PROG_SRCS:%.c=$(BUILD)/obj/%.o)

BENCH_CBPF_BIN := $(BUILD)/bench/skep-bench-cbpf
BENCH_XDP_BIN := $(BUILD)/bench/skep-bench-xdp

bench: all $(BENCH_BIN) $(BENCH_PROG_BINS) $(BENCH_CBPF_BIN) $(BENCH_XDP_BIN)
	@$(BENCH_BIN) $(BUILD)/bench
	@echo
	@echo "== tcpdump filters: packets per second, skep vs libpcap vs gcc -O2 vs kernel =="
	@$(BENCH_CBPF_BIN)
	@echo
	@echo "== XDP: packets per second per core, and test-run ns per packet vs the kernel =="
	@$(BENCH_XDP_BIN) $(BUILD)
$(BENCH_XDP_BIN): $(BUILD)/obj/bench/xdp/bench_xdp.o $(BUILD)/obj/tests/lib/kernel_bpf.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# skep-bench-cbpf's gcc column: gen-cbpf-native prints each filter of
# bench/cbpf/exprs.h, as libpcap compiles it, as a C function; that file is
# built -O2 (as the native programs are) into the bench.
BENCH_CBPF_OBJS := $(addprefix $(BUILD)/obj/bench/cbpf/,bench_cbpf.o packets.o cbpf_native.o)
BENCH_CBPF_GEN := $(BUILD)/bench/gen-cbpf-native
$(BENCH_CBPF_BIN): $(BENCH_CBPF_OBJS) $(BUILD)/obj/tests/lib/kernel_bpf.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BENCH_CBPF_GEN): $(BUILD)/obj/bench/cbpf/gen_native.o
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lpcap
# Through a temporary file, so that a generator that fails leaves no output.
$(BUILD)/bench/cbpf_native.c: $(BENCH_CBPF_GEN)
	$< >$@.tmp && mv $@.tmp $@
$(BUILD)/obj/bench/cbpf/cbpf_native.o: $(BUILD)/bench/cbpf_native.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 -Ibench/cbpf -c $< -o $@
$(BENCH_BIN): $(BENCH_SRCS:%.c=$(BUILD)/obj/%.o) $(BENCH_NATIVE_OBJS) $(TEST_COMMON_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The native builds are -O2 whatever CFLAGS says.
$(BUILD)/obj/bench/progs/%.o: bench/progs/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 -c $< -o $@
.PRECIOUS: $(BUILD)/bench/%.bpf.o
$(BUILD)/bench/%.bpf.o: bench/progs/%.c bench/progs/prog.h
	@mkdir -p $(@D)
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@
# The .text must stand alone: no relocations (globals, calls, .rodata tables).
$(BUILD)/bench/%.bin: $(BUILD)/bench/%.bpf.o
	@if $(LLVM_READELF) -r $< | grep -q 'Relocation section'; then \
		echo "$<: has relocations; a bench program must be self-contained" >&2; exit 1; fi
	$(LLVM_OBJCOPY) -O binary --only-section=.text $< $@
# ---- bench: end ----

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# What is installed exports only the public skep_* API: the static library is
# one pre-linked object with every hidden (internal) symbol made local, so an
# embedder's own names cannot clash with skep's internals.
DIST_LIB := $(BUILD)/dist/libskep.a
DIST_SO := $(BUILD)/dist/libskep.so
$(DIST_LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	ld -r -o $(@D)/skep.o $^
	objcopy --localize-hidden $(@D)/skep.o
	rm -f $@ && ar rcs $@ $(@D)/skep.o
$(DIST_SO): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

install: all $(DIST_LIB) $(DIST_SO)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/skep
	install -m 755 $(SKEP) $(DESTDIR)$(PREFIX)/bin/skep
	install -m 644 $(DIST_LIB) $(DESTDIR)$(PREFIX)/lib/libskep.a
	install -m 755 $(DIST_SO) $(DESTDIR)$(PREFIX)/lib/libskep.so
	install -m 644 include/skep/*.h $(DESTDIR)$(PREFIX)/include/skep/

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
