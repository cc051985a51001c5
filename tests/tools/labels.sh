#!/usr/bin/env bash
# labels.sh CTEST BUILD_DIR LABEL...: every registered test carries at least one of LABELs, and
# every LABEL names at least one test, so that `ctest -L <label>` runs a whole part and no test is
# left out of all parts.
set -euo pipefail
CTEST=$1 BUILD=$2
shift 2
command -v python3 >/dev/null || { echo "FAIL: labels: python3 not installed (scripts/setup.sh)" >&2; exit 1; }
cd "$BUILD"
"$CTEST" --show-only=json-v1 | python3 -c '
import json, sys
labels = sys.argv[1:]
tests = json.load(sys.stdin)["tests"]
bad, count = [], {l: 0 for l in labels}
for t in tests:
    mine = []
    for p in t.get("properties", []):
        if p["name"] == "LABELS":
            mine = p["value"]
    known = [l for l in mine if l in count]
    if not known:
        bad.append("%s (labels %s)" % (t["name"], mine))
    for l in known:
        count[l] += 1
empty = [l for l in labels if count[l] == 0]
print("%d tests; by label: %s" % (len(tests), ", ".join("%s %d" % (l, count[l]) for l in labels)))
if bad:
    sys.exit("FAIL: labels: tests without a known label: " + "; ".join(bad))
if empty:
    sys.exit("FAIL: labels: no test carries " + ", ".join(empty))
print("PASS")
' "$@"
