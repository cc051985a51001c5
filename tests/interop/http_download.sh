#!/usr/bin/env bash
# http_download.sh SYNACK [4|6]: the kernel's curl downloads a 64 MiB file from `synack serve`
# (sha256 equal), then checks keep-alive, HEAD, 404, a range request and Connection: close.
. "$(dirname "$0")/lib.sh" "$@"
FAMILY=${2:-4}
MIB=${SYNACK_DOWNLOAD_MIB:-64}

ns_up
mkdir -p "$WORK/www/dir"
make_file "$WORK/www/big" "$MIB"
echo "hello from synack" >"$WORK/www/small.txt"
echo "<p>index</p>" >"$WORK/www/dir/index.html"
start_serve --services http
if [ "$FAMILY" = 6 ]; then BASE="http://[2001:db8::2]"; else BASE="http://198.18.0.2"; fi
CURL=(curl -sS -g --max-time 120)

# A quick probe first, so that a broken path fails in seconds, not at the big download's limit.
[ "$(ns curl -sS -g --max-time 10 "$BASE/small.txt")" = "hello from synack" ] ||
  fail "cannot fetch a small file from $BASE (IPv$FAMILY)"
say "GET $BASE/big ($MIB MiB)"
t=$(ms_now)
ns "${CURL[@]}" --fail -o "$WORK/big.got" "$BASE/big" || fail "curl download failed"
dt=$(( $(ms_now) - t ))
same_file "$WORK/www/big" "$WORK/big.got"
say "ok: $MIB MiB in ${dt} ms ($(( MIB * 8 * 1000 / (dt > 0 ? dt : 1) )) Mbit/s), sha256 equal"

# Two URLs in one curl: the second must reuse the first connection (keep-alive).
ns "${CURL[@]}" -v -o "$WORK/a" "$BASE/small.txt" -o "$WORK/b" "$BASE/dir/" 2>"$WORK/curl-ka.log" ||
  fail "keep-alive fetch failed"
grep -q "Re-using existing connection" "$WORK/curl-ka.log" || fail "curl did not reuse the connection"
same_file "$WORK/www/small.txt" "$WORK/a"
same_file "$WORK/www/dir/index.html" "$WORK/b"
say "ok: keep-alive (two requests, one connection), directory index"

ns "${CURL[@]}" -I "$BASE/big" >"$WORK/head.txt" || fail "HEAD failed"
grep -q "^HTTP/1.1 200" "$WORK/head.txt" || fail "HEAD: no 200: $(cat "$WORK/head.txt")"
grep -qi "^Content-Length: $(( MIB * 1048576 ))" "$WORK/head.txt" || fail "HEAD: wrong Content-Length"
say "ok: HEAD"

code=$(ns "${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/missing") || true
[ "$code" = 404 ] || fail "missing file gave HTTP $code, not 404"
code=$(ns "${CURL[@]}" -o /dev/null -w '%{http_code}' --path-as-is "$BASE/../../etc/passwd") || true
[ "$code" = 400 ] || [ "$code" = 404 ] || fail "path escaping the root gave HTTP $code"
say "ok: 404, no way out of the root"

ns "${CURL[@]}" -r 1000-1999 -o "$WORK/range" "$BASE/big" || fail "range request failed"
dd if="$WORK/www/big" of="$WORK/range.want" bs=1000 skip=1 count=1 status=none
same_file "$WORK/range.want" "$WORK/range"
say "ok: range 1000-1999"

ns "${CURL[@]}" -H 'Connection: close' -o "$WORK/c" "$BASE/small.txt" || fail "Connection: close fetch failed"
same_file "$WORK/www/small.txt" "$WORK/c"
say "ok: Connection: close"

stop_serve
say "PASS"
