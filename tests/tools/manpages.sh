#!/usr/bin/env bash
# manpages.sh SYNACK LIBSYNACK_SO MANDIR: the man pages say what the program and library are:
#  - synack(1) has a section for every command `synack --help` lists, and names every option that
#    each command's --help lists (long and short);
#  - synack(3) names every symbol libsynack.so exports;
#  - both carry the version of include/synack/version.h and render without groff warnings.
set -euo pipefail
SYNACK=$1 LIB=$2 MAN=$3
fail() { echo "FAIL: manpages: $*" >&2; exit 1; }
for t in groff nm; do command -v $t >/dev/null || fail "'$t' not installed (scripts/setup.sh)"; done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -nE 's/^#define SYNACK_VERSION "([0-9.]+)"$/\1/p' "$ROOT/include/synack/version.h")
WORK=$(mktemp -d /tmp/synack-man.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# The words of each page as written, with roff's escaped hyphens and font changes plain: every
# option-like token of synack.1, every synack_ identifier of synack.3 (one pass each, no fork per
# name: this runs under ASan on loaded machines).
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$MAN/synack.1" | grep -oE -- '--?[a-zA-Z][a-z0-9-]*' | sort -u >"$WORK/man1"
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$MAN/synack.3" | grep -oE 'synack_[a-z0-9_]+' | sort -u >"$WORK/man3"
for p in synack.1 synack.3; do
  head -5 "$MAN/$p" | grep -q "^\.TH SYNACK [13] .*\"synack $VERSION\"" || fail "$p: .TH does not say synack $VERSION"
  W=$(groff -man -Tutf8 -ww -z "$MAN/$p" 2>&1) || fail "$p: groff failed: $W"
  [ -z "$W" ] || fail "$p: groff warnings: $W"
done

# Commands as `synack --help` lists them: two-space indented words at the start of a line.
CMDS=$("$SYNACK" --help | sed -nE 's/^  ([a-z]+)( .*)?$/\1/p' | sort -u)
[ -n "$CMDS" ] || fail "no commands in synack --help"
n_opts=0
for c in $CMDS; do
  grep -q "^\.SS \"synack $c\"" "$MAN/synack.1" || fail "synack.1 has no section for '$c'"
  [ "$c" = help ] && continue
  H=$("$SYNACK" "$c" --help) || fail "synack $c --help exited non-zero"
  echo "$H" | grep -oE '(^|[ ,[])--?[a-zA-Z][a-z0-9-]*' | sed -E 's/^[ ,[]//' | sort -u >"$WORK/help_$c"
  MISSING=$(comm -23 "$WORK/help_$c" "$WORK/man1")
  [ -z "$MISSING" ] || fail "synack.1 does not mention $(echo $MISSING) of synack $c"
  n_opts=$((n_opts + $(wc -l <"$WORK/help_$c")))
done

nm -D --defined-only "$LIB" | awk '{print $NF}' | sed 's/@.*//' | grep '^synack_' | sort -u >"$WORK/exports"
n_syms=$(wc -l <"$WORK/exports")
MISSING=$(comm -23 "$WORK/exports" "$WORK/man3")
[ -z "$MISSING" ] || fail "synack.3 does not mention $(echo $MISSING)"
[ $n_syms -gt 50 ] || fail "only $n_syms symbols exported?"
echo "commands: $(echo $CMDS); $n_opts options of their --help all in synack.1; $n_syms exports all in synack.3"
echo "PASS"
