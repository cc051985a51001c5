# A newcomer types `make demo` or `make test`; CMake does the rest.
JOBS ?= 2
# `make install` puts the library, headers, pkg-config and CMake files, the synack command and
# its man pages under $(DESTDIR)$(PREFIX).
PREFIX ?= /usr/local
DESTDIR ?=
.PHONY: all demo test build setup fuzz clean bench bench-tun install

all: build

setup:
	./scripts/setup.sh

build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j$(JOBS)

# Only what the demo runs: the synack command (not the tests, benchmarks or preload library).
demo:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j$(JOBS) --target synack-cli
	./build/synack demo

# Every test, built with AddressSanitizer and UndefinedBehaviorSanitizer.
test:
	cmake -S . -B build-asan -DSYNACK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

install:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build build -j$(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install build

# Speed and memory figures (bench/README.md): the release build, pinned, medians, one JSON line per
# figure with its anchor and the ratio. Not tests: nothing fails on a missed target. ~7 minutes.
# BENCH_ARGS=--smoke: tiny sizes, one run each (what ctest's bench_smoke runs; figures mean nothing).
BENCH_ARGS ?=
bench: build
	python3 bench/run.py --build build $(BENCH_ARGS)

# Kernel <-> synack over TUN, offloads on and off, against kernel <-> kernel over veth: JSON
# lines (scripts/bench-tun.sh; root, about 1 minute). BENCH_TUN_ARGS=--smoke for a quick run.
bench-tun: build
	./scripts/bench-tun.sh --synack build/synack $(BENCH_TUN_ARGS)

# libFuzzer targets (clang). Replays the corpora in the repository (tests/fuzz/corpus/*,
# tests/fuzz/regressions), then fuzzes each target FUZZ_TIME seconds (0: replay only), new
# inputs kept in build-fuzz/corpus-* (copy the interesting ones into tests/fuzz/corpus).
FUZZ_TIME ?= 60
fuzz:
	cmake -S . -B build-fuzz -DSYNACK_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	cmake --build build-fuzz -j$(JOBS)
	./build-fuzz/fuzz_stack_input -runs=0 tests/fuzz/corpus/stack tests/fuzz/regressions
	./build-fuzz/fuzz_wire_parse -runs=0 tests/fuzz/corpus/wire
	if [ "$(FUZZ_TIME)" != 0 ]; then \
	  mkdir -p build-fuzz/corpus-stack build-fuzz/corpus-wire && \
	  ./build-fuzz/fuzz_stack_input -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    build-fuzz/corpus-stack tests/fuzz/corpus/stack tests/fuzz/regressions && \
	  ./build-fuzz/fuzz_wire_parse -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    build-fuzz/corpus-wire tests/fuzz/corpus/wire; fi

clean:
	rm -rf build build-asan build-fuzz
