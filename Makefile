# A newcomer types `make demo` or `make test`; CMake does the rest.
JOBS ?= 2
# `make install` puts the library, headers, pkg-config and CMake files, the synack command and
# its man pages under $(DESTDIR)$(PREFIX).
PREFIX ?= /usr/local
DESTDIR ?=
.PHONY: all demo test build setup fuzz clean bench bench-tun install figures

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

# The ladder figures in docs/ (client close, simultaneous close) and the golden ladders they are
# checked against (tests/golden/ladder.sh): regenerated from the demo's scenarios.
figures: build
	./tests/golden/ladder.sh build/synack --update

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

# libFuzzer targets (clang): stack_input (segments, ICMP, calls), reass_input (IPv4/IPv6
# fragments), listen_input (SYN floods, cookies, accept), wire_parse (the parsers). Replays every
# corpus in the repository through its target (tests/fuzz/corpus/<target>; the stack's also
# tests/fuzz/regressions), then fuzzes each target FUZZ_TIME seconds (0: replay only), new inputs
# kept in build-fuzz/corpus-<target> (copy the interesting ones into tests/fuzz/corpus).
FUZZ_TIME ?= 60
FUZZ_TARGETS = stack_input:stack reass_input:reass listen_input:listen wire_parse:wire
fuzz:
	cmake -S . -B build-fuzz -DSYNACK_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	cmake --build build-fuzz -j$(JOBS)
	set -e; for t in $(FUZZ_TARGETS); do \
	  bin=$${t%%:*}; dir=$${t##*:}; extra=; [ $$dir = stack ] && extra=tests/fuzz/regressions; \
	  ./build-fuzz/fuzz_$$bin -runs=0 tests/fuzz/corpus/$$dir $$extra; done
	set -e; if [ "$(FUZZ_TIME)" != 0 ]; then for t in $(FUZZ_TARGETS); do \
	  bin=$${t%%:*}; dir=$${t##*:}; extra=; [ $$dir = stack ] && extra=tests/fuzz/regressions; \
	  mkdir -p build-fuzz/corpus-$$dir; \
	  ./build-fuzz/fuzz_$$bin -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    build-fuzz/corpus-$$dir tests/fuzz/corpus/$$dir $$extra; done; fi

clean:
	rm -rf build build-asan build-fuzz
