# sirnn -- one non-recursive Makefile (STYLE.md s9).
#
#   make             build/sirnn and build/libsirnn.a
#   make test        Criterion suites, then the MPI integration tests
#   make check-asan  the same under ASan + UBSan (build-asan/)
#   make demo        the README's first command: deps, build, demo
#   make deps        install the Debian packages when missing
#   make bench       benchmark suite (docs/benchmarks.md figures)
#   make lint        layering greps + clang-format check
#   make fuzz        libFuzzer harnesses tests/fuzz/ (clang 14; not in CI)
#
# BUILD=dir puts objects elsewhere (parallel work trees, sanitizers).

BUILD    ?= build
CC       := mpicc
ARCH     ?= -march=x86-64-v3 -maes -mpclmul
OPT      ?= -O2
WERROR   ?= $(if $(CI),-Werror,)
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(ARCH) -g -fopenmp -I. -MMD -MP \
            -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes $(WERROR) $(SAN)
LDFLAGS  += -fopenmp $(SAN)
LDLIBS   += -lssl -lcrypto -ljansson -lmpfr -lgmp -lm -lpthread

LIB_SRC  := $(wildcard engine/*.c protocols/*.c math/*.c layers/*.c) \
            $(filter-out jobs/main.c,$(wildcard jobs/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_AUX := $(BUILD)/tests/twoparty.o $(BUILD)/tests/fgmodel.o
MPI_SRC  := $(wildcard tests/mpi/*.c)
MPI_BIN  := $(MPI_SRC:tests/mpi/%.c=$(BUILD)/tests/mpi/%)

.PHONY: all deps test check-asan demo bench lint clean tests fuzz
.SECONDARY:

all: $(BUILD)/sirnn $(BUILD)/libsirnn.a

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libsirnn.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/sirnn: $(BUILD)/jobs/main.o $(BUILD)/libsirnn.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_AUX) $(BUILD)/libsirnn.a
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

$(BUILD)/tests/mpi/%: $(BUILD)/tests/mpi/%.o $(BUILD)/libsirnn.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests: all $(TEST_BIN) $(MPI_BIN)

test: tests
	@BUILD=$(BUILD) bash tests/run.sh

check-asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    test

deps:
	@bash .ci/deps.sh

demo: deps
	$(MAKE) -j2 all
	$(BUILD)/sirnn demo

bench: all
	bash jobs/bench.sh

# make bench-all [WAN=] [SCI_DIR=...]: every table, figure and plot of
# docs/benchmarks.md in one command (jobs/bench_all.sh: bench.sh all,
# summary and models, then tools/netem/all.sh with WAN=full unless WAN= is
# given, then the reference code when SCI_DIR is set); ~55 min, root.
.PHONY: bench-all
bench-all: all
	BUILD=$(BUILD) WAN=$(if $(filter undefined,$(origin WAN)),full,$(WAN)) SCI_DIR=$(SCI_DIR) bash jobs/bench_all.sh

# make bench-scale [WAN=full]: scaling study over emulated LAN/WAN links
# (network namespaces, tbf, tools/netem/delayproxy; needs root): every table
# and plot of docs/benchmarks.md's scaling sections into docs/data/scale-*
# (tools/netem/all.sh; WAN=full adds the full-model kws WAN grid, ~15 min).
# SCALE_OP / SCALE_ARGS / SCALE_N / SCALE_GRID run one study only.
.PHONY: bench-scale
bench-scale: all
	BUILD=$(BUILD) WAN=$(WAN) bash tools/netem/all.sh

lint:
	@bash tests/lint.sh

clean:
	rm -rf build build-asan build-*

# make fuzz: each tests/fuzz/fuzz_T.c is a libFuzzer harness, built with
# clang 14 under ASan + UBSan into build-fuzz/ (needs the Debian package
# libclang-rt-14-dev for -fsanitize=fuzzer) and run for FUZZ_SECONDS from
# its seed corpus tests/fuzz/T/ (read only; new inputs go to
# build-fuzz/corpus/T/, crashes to build-fuzz/crash-T-*).  Not part of
# `make test` or CI.  FUZZ_TARGETS="npy" picks some.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= build-fuzz
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_SRC := $(wildcard engine/*.c) math/fxp.c math/plan.c \
                math/mathfn_plain.c layers/conv2d.c layers/pool.c \
                layers/rnnpool.c layers/heads_float.c layers/fastgrnn_float.c \
                layers/fastgrnn.c \
                jobs/npy.c jobs/npy_save.c jobs/model.c jobs/model_heads.c \
                jobs/jsonerr.c
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -g -O1 -march=x86-64-v3 -maes -mpclmul -I. $(shell mpicc --showme:compile) \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer -Wno-unknown-pragmas
FUZZ_LIBS     = $(shell mpicc --showme:link) -lssl -lcrypto -ljansson -lmpfr -lgmp -lm -lpthread

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# (the Makefile is a prerequisite: with .SECONDARY a changed object list
# alone would not rebuild the archive)
$(FUZZ_BUILD)/libfuzzlib.a: $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) Makefile
	rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libfuzzlib.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_BUILD)/libfuzzlib.a \
	    -o $@ $(FUZZ_LIBS)

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	    echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=8192 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
	        $(FUZZ_BUILD)/corpus/$$t tests/fuzz/$$t 2>&1 | \
	        grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|INFO: seed corpus|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' || true; \
	    if ls $(FUZZ_BUILD)/crash-$$t-* >/dev/null 2>&1; then \
	        echo "fuzz $$t: CRASH (see $(FUZZ_BUILD)/crash-$$t-*)"; exit 1; fi; \
	done

-include $(LIB_OBJ:.o=.d) $(TEST_BIN:=.d) $(MPI_BIN:=.d) $(BUILD)/jobs/main.d $(TEST_AUX:.o=.d)
