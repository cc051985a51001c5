# A newcomer types `make demo` or `make test`; CMake does the rest.
JOBS ?= 2
# `make install` puts the library, headers, pkg-config and CMake files, the synack command and
# its man pages under $(DESTDIR)$(PREFIX).
PREFIX ?= /usr/local
DESTDIR ?=
.PHONY: all demo test build setup fuzz clean install

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

install:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build build -j$(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install build

fuzz:
	cmake -S . -B build-fuzz -DSYNACK_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	cmake --build build-fuzz -j$(JOBS)

clean:
	rm -rf build build-asan build-fuzz
