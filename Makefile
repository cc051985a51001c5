# A newcomer types `make demo` or `make test`; CMake does the rest.
JOBS ?= 2
.PHONY: all demo test build setup fuzz clean bench

all: build

setup:
	./scripts/setup.sh

build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j$(JOBS)

demo: build
	./build/synack demo

# Every test, built with AddressSanitizer and UndefinedBehaviorSanitizer.
test:
	cmake -S . -B build-asan -DSYNACK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

# Speed and memory figures (bench/README.md): the release build, pinned, medians, one JSON line per
# figure with its anchor and the ratio. Not tests: nothing fails on a missed target. ~7 minutes.
bench: build
	python3 bench/run.py --build build

fuzz:
	cmake -S . -B build-fuzz -DSYNACK_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	cmake --build build-fuzz -j$(JOBS)

clean:
	rm -rf build build-asan build-fuzz
