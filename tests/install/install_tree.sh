#!/usr/bin/env bash
# install_tree.sh BUILD_DIR PREFIX [EXTRA_CFLAGS]: installs the build into a temporary DESTDIR
# (cmake --install, as `make install` does) and checks what a user of the installed tree gets:
#  - the files: bin/synack, lib/libsynack.so.MAJOR.MINOR.PATCH with its soname links, libsynack.a,
#    include/synack/*.h (version.h included), synack.pc, the CMake package, man pages, LICENSE,
#    CHANGELOG.md;
#  - libsynack.so's soname is libsynack.so.MAJOR and it exports only synack_* (nm -D), among them
#    every function the installed headers declare;
#  - the installed synack runs (--version prints the headers' version);
#  - a program (tests/install/consumer) builds and runs against the installed tree with
#    pkg-config (shared) and with CMake find_package (synack::synack and synack::synack_static).
# EXTRA_CFLAGS (e.g. -fsanitize=address,undefined) go to the consumer's compile and link, because
# a sanitized library needs the sanitizer runtime in the program.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
PREFIX=$2
EXTRA=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
fail() { echo "FAIL: install_tree: $*" >&2; exit 1; }
for t in cmake pkg-config nm readelf cc; do
  command -v "$t" >/dev/null || fail "'$t' not installed (scripts/setup.sh)"
done
WORK=$(mktemp -d /tmp/synack-install.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
DEST=$WORK/dest

DESTDIR=$DEST cmake --install "$BUILD" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; fail "cmake --install"; }
TREE=$DEST$PREFIX
[ -d "$TREE" ] || fail "nothing under DESTDIR$PREFIX"
# Nothing outside DESTDIR: every installed path is under $DEST.
grep -E '^-- (Installing|Up-to-date): ' "$WORK/install.log" | sed -E 's/^-- [A-Za-z-]+: //' | while read -r p; do
  case $p in "$DEST"/*) ;; *) fail "installed outside DESTDIR: $p" ;; esac
done

VERSION=$(sed -nE 's/^#define SYNACK_VERSION "([0-9.]+)"$/\1/p' "$ROOT/include/synack/version.h")
MAJOR=${VERSION%%.*}
[ -n "$VERSION" ] || fail "no SYNACK_VERSION in include/synack/version.h"
LIBDIR=$(dirname "$(find "$TREE" -name "libsynack.so.$VERSION" | head -1)")
[ -n "$LIBDIR" ] && [ -f "$LIBDIR/libsynack.so.$VERSION" ] || fail "no libsynack.so.$VERSION installed"
echo "installed under DESTDIR$PREFIX:"
(cd "$TREE" && find . -type f -o -type l | sort | sed 's/^/  /')

expect() { [ -e "$TREE/$1" ] || fail "missing $1"; }
expect bin/synack
REL=${LIBDIR#"$TREE"/}
for f in "libsynack.so.$VERSION" "libsynack.so.$MAJOR" libsynack.so libsynack.a pkgconfig/synack.pc \
         cmake/synack/synackConfig.cmake cmake/synack/synackConfigVersion.cmake cmake/synack/synackTargets.cmake; do
  expect "$REL/$f"
done
[ -L "$LIBDIR/libsynack.so" ] && [ -L "$LIBDIR/libsynack.so.$MAJOR" ] || fail "libsynack.so links are not symlinks"
for h in "$ROOT"/include/synack/*.h; do expect "include/synack/$(basename "$h")"; done
[ "$(ls "$TREE/include/synack" | grep -vc '\.h$')" -eq 0 ] || fail "non-header files in include/synack"
expect share/man/man1/synack.1
expect share/man/man3/synack.3
expect share/doc/synack/LICENSE
expect share/doc/synack/CHANGELOG.md
# Test programs and the packetdrill adapter are not for users.
[ -z "$(find "$TREE" -name 'libsynack-packetdrill*' -o -name 'unit_*' -o -name 'state_*')" ] || fail "test files installed"

SONAME=$(readelf -d "$LIBDIR/libsynack.so.$VERSION" | sed -nE 's/.*\(SONAME\).*\[(.*)\]/\1/p')
[ "$SONAME" = "libsynack.so.$MAJOR" ] || fail "soname '$SONAME', want libsynack.so.$MAJOR"
# Exports: defined dynamic symbols, except the version node itself (SYNACK_0).
nm -D --defined-only "$LIBDIR/libsynack.so.$VERSION" | awk '{print $NF}' | sed 's/@.*//' | grep -vx "SYNACK_$MAJOR" | sort -u >"$WORK/exports"
NEXP=$(wc -l <"$WORK/exports")
BAD=$(grep -v '^synack_' "$WORK/exports" || true)
[ -z "$BAD" ] || fail "exports beyond synack_*: $(echo $BAD | head -c 300)"
# Every function the installed headers declare (not static inline) is exported.
grep -hoE '^[a-z_].*[ *]synack_[a-z0-9_]+\(' "$TREE"/include/synack/*.h | grep -v '^static' |
  grep -oE 'synack_[a-z0-9_]+\($' | tr -d '(' | sort -u >"$WORK/declared"
MISSING=$(comm -23 "$WORK/declared" "$WORK/exports")
[ -z "$MISSING" ] || fail "declared in the headers but not exported: $MISSING"
echo "libsynack.so: soname $SONAME, $NEXP symbols exported, all synack_*; $(wc -l <"$WORK/declared") declared functions all among them"

# The installed command runs and knows its version.
V=$(LD_LIBRARY_PATH=$LIBDIR "$TREE/bin/synack" --version | head -1)
[ "$V" = "synack $VERSION" ] || fail "installed synack --version says '$V'"

# pkg-config, as a user with a DESTDIR-staged tree would (the sysroot prefixes -I and -L).
export PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$LIBDIR/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST
[ "$(pkg-config --modversion synack)" = "$VERSION" ] || fail "pkg-config --modversion: $(pkg-config --modversion synack)"
CFLAGS_PC=$(pkg-config --cflags synack)
LIBS_PC=$(pkg-config --libs synack)
echo "pkg-config: $CFLAGS_PC $LIBS_PC"
# -Werror on the public headers as a user compiles them, pedantic C11.
cc -std=c11 -Wall -Wextra -Wpedantic -Werror $EXTRA $CFLAGS_PC "$HERE/consumer/consumer.c" -o "$WORK/consumer_pc" $LIBS_PC ||
  fail "consumer did not build with pkg-config"
# It must not have found the headers or library anywhere but the installed tree.
readelf -d "$WORK/consumer_pc" | grep -q "NEEDED.*\[libsynack.so.$MAJOR\]" || fail "consumer_pc does not need libsynack.so.$MAJOR"
OUT=$(LD_LIBRARY_PATH=$LIBDIR "$WORK/consumer_pc") || fail "consumer_pc failed: $OUT"
[ "$OUT" = "consumer ok $VERSION" ] || fail "consumer_pc said '$OUT'"
echo "pkg-config consumer: $OUT"
# Without the library path the loader must not find libsynack elsewhere (no stray install).
if LD_LIBRARY_PATH= "$WORK/consumer_pc" >/dev/null 2>&1; then
  echo "note: libsynack.so.$MAJOR is also installed system-wide; the run above used LD_LIBRARY_PATH"
fi

# CMake find_package, against the installed tree only.
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
cmake -S "$HERE/consumer" -B "$WORK/cmake-build" -DCMAKE_PREFIX_PATH="$TREE" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DCMAKE_C_FLAGS="-Wall -Werror $EXTRA" \
  -DCMAKE_EXE_LINKER_FLAGS="$EXTRA" >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; fail "find_package(synack) configure"; }
grep -q "synack_DIR:PATH=$TREE" "$WORK/cmake-build/CMakeCache.txt" || fail "find_package found synack elsewhere: $(grep synack_DIR "$WORK/cmake-build/CMakeCache.txt")"
cmake --build "$WORK/cmake-build" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; fail "CMake consumer build"; }
for kind in shared static; do
  OUT=$(LD_LIBRARY_PATH=$LIBDIR "$WORK/cmake-build/consumer_$kind") || fail "consumer_$kind failed: $OUT"
  [ "$OUT" = "consumer ok $VERSION" ] || fail "consumer_$kind said '$OUT'"
  echo "CMake consumer ($kind): $OUT"
done
readelf -d "$WORK/cmake-build/consumer_static" | grep -q 'NEEDED.*libsynack' && fail "consumer_static needs libsynack.so"
readelf -d "$WORK/cmake-build/consumer_shared" | grep -q "NEEDED.*\[libsynack.so.$MAJOR\]" || fail "consumer_shared does not need libsynack.so.$MAJOR"
echo "PASS"
