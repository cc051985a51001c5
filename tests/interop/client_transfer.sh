#!/usr/bin/env bash
# client_transfer.sh SYNACK [4|6]: synack as the client against kernel servers: `synack get`
# downloads from python's http.server, `synack connect` uploads to socat and downloads from it;
# sha256 equal each time. Also: a 404 from the kernel's server makes `synack get` exit 22.
. "$(dirname "$0")/lib.sh" "$@"
FAMILY=${2:-4}
MIB=${SYNACK_CLIENT_MIB:-64}
need socat

if [ "$FAMILY" = 6 ]; then
  KADDR=2001:db8::1 KURL="[2001:db8::1]" LISTEN=TCP6-LISTEN SBIND="[2001:db8::1]"
else
  KADDR=198.18.0.1 KURL=198.18.0.1 LISTEN=TCP4-LISTEN SBIND=198.18.0.1
fi
STACK=(--dev tun0 --no-create --addr 198.18.0.2 --addr6 2001:db8::2 -v)

ns_up
mkdir -p "$WORK/srv"
make_file "$WORK/srv/file" "$MIB"

# Kernel HTTP server.
bg httpd "$PY" -m http.server 8080 --bind "$KADDR" --directory "$WORK/srv"
HTTPD=$LAST_PID
wait_until 10 sh -c "ip netns exec $NS ss -Hltn 'sport = :8080' | grep -q 8080" || fail "http.server did not listen"

say "synack get http://$KURL:8080/file ($MIB MiB)"
t=$(ms_now)
ns timeout 120 "$SYNACK" get "${STACK[@]}" -o "$WORK/dl" "http://$KURL:8080/file" 2>"$WORK/get.log" ||
  fail "synack get failed ($?)"
dt=$(( $(ms_now) - t ))
same_file "$WORK/srv/file" "$WORK/dl"
check_no_sanitizer "$WORK/get.log"
say "ok: download $MIB MiB in ${dt} ms, sha256 equal"

rc=0
ns timeout 30 "$SYNACK" get "${STACK[@]}" -o "$WORK/nf" "http://$KURL:8080/not-there" 2>"$WORK/get404.log" || rc=$?
[ $rc -eq 22 ] || fail "synack get of a missing file exited $rc, not 22"
grep -q "404" "$WORK/get404.log" || fail "synack get did not report the 404"
say "ok: 404 -> exit 22"
kill -TERM "$HTTPD" 2>/dev/null || true

# Upload: synack connect's stdin to a kernel socat that writes a file.
bg socat-up socat -u "$LISTEN:9000,bind=$SBIND,reuseaddr" "CREATE:$WORK/up"
UP=$LAST_PID
wait_until 10 sh -c "ip netns exec $NS ss -Hltn 'sport = :9000' | grep -q 9000" || fail "socat did not listen"
say "synack connect $KADDR 9000 < file (upload)"
t=$(ms_now)
ns timeout 120 "$SYNACK" connect "${STACK[@]}" "$KADDR" 9000 <"$WORK/srv/file" >"$WORK/up.out" 2>"$WORK/connect-up.log" ||
  fail "synack connect (upload) failed"
dt=$(( $(ms_now) - t ))
wait "$UP" || fail "socat (upload receiver) failed"
same_file "$WORK/srv/file" "$WORK/up"
check_no_sanitizer "$WORK/connect-up.log"
say "ok: upload $MIB MiB in ${dt} ms, sha256 equal"

# Download through connect: socat sends the file and closes; stdin is empty.
bg socat-down socat -u "OPEN:$WORK/srv/file" "$LISTEN:9001,bind=$SBIND,reuseaddr"
DOWN=$LAST_PID
wait_until 10 sh -c "ip netns exec $NS ss -Hltn 'sport = :9001' | grep -q 9001" || fail "socat did not listen"
ns timeout 120 "$SYNACK" connect "${STACK[@]}" "$KADDR" 9001 </dev/null >"$WORK/down" 2>"$WORK/connect-down.log" ||
  fail "synack connect (download) failed"
wait "$DOWN" || fail "socat (sender) failed"
same_file "$WORK/srv/file" "$WORK/down"
check_no_sanitizer "$WORK/connect-down.log"
say "ok: download through synack connect, sha256 equal"
say "PASS"
