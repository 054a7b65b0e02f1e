# sirnn -- one non-recursive Makefile (STYLE.md s9).
#
#   make             build/sirnn and build/libsirnn.a
#   make test        Criterion suites, then the MPI integration tests
#   make check-asan  the same under ASan + UBSan (build-asan/)
#   make demo        the README's first command: deps, build, demo
#   make deps        install the Debian packages when missing
#   make bench       benchmark suite (docs/benchmarks.md figures)
#   make lint        layering greps + clang-format check
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
LDLIBS   += -lcrypto -ljansson -lmpfr -lgmp -lm -lpthread

LIB_SRC  := $(wildcard engine/*.c protocols/*.c math/*.c layers/*.c) \
            $(filter-out jobs/main.c,$(wildcard jobs/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_AUX := $(BUILD)/tests/twoparty.o
MPI_SRC  := $(wildcard tests/mpi/*.c)
MPI_BIN  := $(MPI_SRC:tests/mpi/%.c=$(BUILD)/tests/mpi/%)

.PHONY: all deps test check-asan demo bench lint clean tests
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

demo: deps all
	$(BUILD)/sirnn demo

bench: all
	bash jobs/bench.sh

lint:
	@bash tests/lint.sh

clean:
	rm -rf build build-asan build-*

-include $(LIB_OBJ:.o=.d) $(TEST_BIN:=.d) $(MPI_BIN:=.d) $(BUILD)/jobs/main.d $(TEST_AUX:.o=.d)
