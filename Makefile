# wardwatch: `make` builds, `make check` tests, `make asan`, `make fuzz`,
# `make fuzz-smoke`, `make bench`, `make demo`. Libraries come from
# Debian's packages through pkg-config; scripts/install-deps installs them.

CC      ?= cc
FUZZCC  ?= clang
PKGS    := libpcap jansson sqlite3
WERROR  ?= -Werror
OPT     ?= -O2
STD     := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 $(WERROR)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = $(STD) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Isrc -Itools -MMD -MP
LDLIBS  := $(PKG_LIBS) -lm -pthread

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

B ?= build/release

LIB_SRC  := $(filter-out src/cli/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TOOL_SRC := tools/pktbuild.c
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/%.o)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all check asan fuzz fuzz-smoke bench bench-keystroke bench-kitnet eval demo deps clean lint \
        unit-bins format testbed

all: wardwatch

wardwatch: $(B)/wardwatch
	cp $< $@

# The autoencoders' inner loops want the vectorizer at full strength; their
# clamps vectorize only when no value is taken to be NaN or infinite
# (kitnet.c uses none) and the sign of a zero does not matter.
$(B)/src/detect/kitnet.o: CFLAGS += -O3 -ffinite-math-only -fno-signed-zeros
# The damped statistics are loops over five windows: -O3 vectorizes them.
$(B)/src/detect/streams.o: CFLAGS += -O3

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/libww.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/wardwatch: $(B)/src/cli/main.o $(B)/libww.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/pcapgen: $(B)/tools/pcapgen.o $(B)/tools/pcapgen_cases.o $(TOOL_OBJ) $(B)/libww.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench-keystroke: $(B)/bench/keystroke_bench.o $(B)/libww.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench-kitnet: $(B)/bench/kitnet_bench.o $(B)/libww.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(TOOL_OBJ) $(B)/libww.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS) $(TEST_LDFLAGS)

# Counts the allocations wardwatch's own code makes (tests/unit/test_alloc.c).
$(B)/tests/test_alloc: TEST_LDFLAGS := -Wl,--wrap=malloc -Wl,--wrap=calloc \
	-Wl,--wrap=realloc -Wl,--wrap=aligned_alloc

unit-bins: $(TEST_BIN)

# Every test: unit tests, capture regression cases, the sanitizer pass over
# ../shared/data when it is there. The last line is "N passed, N failed".
check: deps
	$(MAKE) wardwatch unit-bins testbed
	$(MAKE) B=build/asan CFLAGS="-O1 -g $(SAN_FLAGS)" build/asan/wardwatch
	tests/run --build $(B) --asan-build build/asan

# The same tests built with AddressSanitizer and UBSan.
asan: deps
	$(MAKE) B=build/asan CFLAGS="-O1 -g $(SAN_FLAGS)" build/asan/wardwatch unit-bins
	tests/run --build build/asan --no-data --no-peer

# Fuzz targets share one library built for fuzzing (coverage, ASan, UBSan).
FUZZ_CFLAGS := $(STD) -g -O1 $(PKG_CFLAGS) -Isrc -Itools
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o) $(TOOL_SRC:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

build/fuzz/libww.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libww.a
	@mkdir -p $(dir $@)
	$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libww.a \
		$(LDLIBS)

fuzz: deps $(FUZZ_BIN)

# A short run of every fuzz target (FUZZ_SECONDS each), seeded from tests/fuzz/corpus.
FUZZ_SECONDS ?= 60
fuzz-smoke: fuzz
	tests/fuzz/smoke $(FUZZ_SECONDS) $(FUZZ_BIN)

bench: deps
	scripts/install-deps --bench
	$(MAKE) wardwatch $(B)/pcapgen $(B)/bench-keystroke $(B)/bench-kitnet
	$(CC) -O2 -o $(B)/pcap-read bench/pcap_read.c $(PKG_LIBS)
	bench/run --build $(B)
	$(B)/bench-keystroke
	$(B)/bench-kitnet

bench-kitnet: $(B)/bench-kitnet
	$(B)/bench-kitnet

bench-keystroke: $(B)/bench-keystroke
	$(B)/bench-keystroke

# Keystroke detectors on the shared MEU data set, when it is there.
EVAL_KEYSTROKE ?= ../shared/data/keystroke-meu-mobile-ksd/meu-timing.csv
eval: wardwatch
	python3 tests/detect/hospital_eval.py --wardwatch ./wardwatch
	python3 tests/detect/replay_eval.py --wardwatch ./wardwatch
	@if [ -f $(EVAL_KEYSTROKE) ]; then ./wardwatch keystroke eval $(EVAL_KEYSTROKE); \
	else echo "eval: $(EVAL_KEYSTROKE) is absent; nothing to evaluate"; fi

# The sample's first five minutes (one hospital day) are benign: learn on them.
DEMO_LEARN ?= 300

demo: deps
	$(MAKE) wardwatch
	./wardwatch analyze --learn $(DEMO_LEARN) -o wardwatch-out samples/hospital.pcap

# The virtual hospital's own programs (testbed/tools); testbed/hospital runs them.
TESTBED_BIN := build/testbed/hl7-send build/testbed/hl7-engine

testbed: $(TESTBED_BIN)

build/testbed/%: testbed/tools/%.c testbed/tools/hl7_common.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) $(OPT) -g -o $@ $<

# Installs missing packages when root; otherwise says what to run.
deps:
	@scripts/install-deps --check || scripts/install-deps

lint:
	scripts/check-banned

format:
	clang-format -i $(shell find src tests tools bench -name '*.[ch]')

clean:
	rm -rf build wardwatch wardwatch-out

-include $(shell find build -name '*.d' 2>/dev/null)
