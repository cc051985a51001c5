#!/usr/bin/env bash
# cli.sh SYNACK: the command lines of demo, serve, get and connect (and synack itself) as people
# expect them, without root or a TUN device:
#  - --help and -h print usage on stdout and exit 0; --version prints "synack X.Y.Z" and exits 0;
#  - a bad command line exits 2 and names the argument at fault on stderr: unknown options (long,
#    short, inside a cluster), missing values, values a flag does not take, bad values of every
#    checked option (connection limits included), missing and extra operands;
#  - --opt=value, abbreviations, combined short flags and -- are accepted: such a command line gets
#    past parsing and fails later for the device (exit 1, never 2) — the device is a name that
#    does not exist, with --no-create, so nothing is created or touched.
set -uo pipefail
SYNACK=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -nE 's/^#define SYNACK_VERSION "([0-9.]+)"$/\1/p' "$ROOT/include/synack/version.h")
WORK=$(mktemp -d /tmp/synack-cli.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
n=0
fail() { echo "FAIL: cli: $*" >&2; exit 1; }
run() { "$SYNACK" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null; }
check_no_sanitizer() { ! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$WORK/err" || fail "sanitizer report: $*"; }

# ok_exit CODE ARGS...: exits CODE, no sanitizer report.
ok_exit() {
  local want=$1 rc=0
  shift
  run "$@" || rc=$?
  check_no_sanitizer "$@"
  [ $rc -eq "$want" ] || fail "'synack $*' exited $rc, want $want: $(head -3 "$WORK/err")"
  n=$((n + 1))
}
# usage_error PATTERN ARGS...: exit 2, stderr matches PATTERN (the argument named) and points to --help.
usage_error() {
  local pat=$1
  shift
  ok_exit 2 "$@"
  grep -qE -- "$pat" "$WORK/err" || fail "'synack $*': message '$(head -1 "$WORK/err")' lacks /$pat/"
  grep -q -- "--help" "$WORK/err" || fail "'synack $*': message does not point to --help"
  [ ! -s "$WORK/out" ] || fail "'synack $*': printed on stdout: $(head -1 "$WORK/out")"
}
# parsed ARGS...: gets past the command line (fails on the missing device: exit 1).
DEV=(--no-create --dev sa-nodev$$)
parsed() {
  ok_exit 1 "$@"
  grep -q "does not exist\|cannot open\|permitted\|/dev/net/tun" "$WORK/err" ||
    fail "'synack $*' did not fail on the device: $(head -2 "$WORK/err")"
}

# synack itself.
for a in --help -h help; do
  ok_exit 0 $a
  grep -q '^usage: synack' "$WORK/out" || fail "synack $a: no usage on stdout"
done
ok_exit 0 --version
[ "$(head -1 "$WORK/out")" = "synack $VERSION" ] || fail "synack --version: $(head -1 "$WORK/out")"
usage_error "unknown command 'frobnicate'" frobnicate
usage_error "unknown or ambiguous option '--frob'" --frob
usage_error "unknown option '-x'" -x
ok_exit 2
grep -q '^usage: synack' "$WORK/err" || fail "synack without a command: no usage on stderr"

for c in demo serve get connect ladder; do
  for a in --help -h --hel; do
    ok_exit 0 $c $a
    grep -q "^usage: synack $c" "$WORK/out" || fail "synack $c $a: no usage on stdout"
  done
  ok_exit 0 $c --version
  [ "$(head -1 "$WORK/out")" = "synack $VERSION" ] || fail "synack $c --version: $(head -1 "$WORK/out")"
  usage_error "unknown or ambiguous option '--bogus'" $c --bogus
  usage_error "unknown or ambiguous option '--bogus'" $c --bogus=1
  usage_error "unknown option '-Z'" $c -Z
  usage_error "option '--help' takes no value" $c --help=yes
done

# demo
usage_error "bad value '9' for --scenario" demo --scenario 9
usage_error "bad value '0' for --scenario" demo --scenario=0
usage_error "bad value 'x' for -s" demo -sx
usage_error "option '--pcap' needs a value" demo --pcap
usage_error "unexpected argument 'extra'" demo extra
usage_error "option '--no-color' takes no value" demo --no-color=1
ok_exit 0 demo -s1 --no-color
grep -q "Passive open" "$WORK/out" || fail "demo -s1 did not play scenario 1"
ok_exit 0 demo --no-col --scenario=2 # an unambiguous abbreviation
grep -q "Data both ways" "$WORK/out" || fail "demo --scenario=2 did not play scenario 2"
usage_error "option '--html' needs a value" demo --html
usage_error "--html and --pcap do not go together" demo --html x.html --pcap "$WORK/p"
ok_exit 0 demo -s1 --html "$WORK/d.html"
grep -q "<svg" "$WORK/d.html" || fail "demo --html wrote no SVG"
ok_exit 1 demo --html "$WORK/no/such/dir/d.html"

# ladder
usage_error "missing capture file" ladder
usage_error "not both" ladder -s 3 x.pcap
usage_error "bad value '9' for --scenario" ladder --scenario 9
usage_error "bad value 'x' for --conn" ladder --conn x -s 3
usage_error "bad value '1.2.3.4:80' for --conn" ladder --conn 1.2.3.4:80 -s 3
usage_error "unexpected argument 'b'" ladder a b
ok_exit 1 ladder "$WORK/missing.pcap"
grep -q "cannot open" "$WORK/err" || fail "ladder of a missing file: $(head -1 "$WORK/err")"
printf 'not a capture file at all, but long enough' >"$WORK/bad.pcap"
ok_exit 1 ladder "$WORK/bad.pcap"
grep -q "not a pcap file" "$WORK/err" || fail "ladder of a non-pcap: $(head -1 "$WORK/err")"
printf '\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00' >"$WORK/ng.pcap"
ok_exit 1 ladder "$WORK/ng.pcap"
grep -q "pcapng" "$WORK/err" || fail "ladder of a pcapng: $(head -1 "$WORK/err")"
ok_exit 1 ladder -s 8 --conn 3
grep -q "no connection 3 (2 in all" "$WORK/err" || fail "ladder --conn 3: $(head -1 "$WORK/err")"
ok_exit 0 ladder -s 8 --conn 198.18.0.2:80,198.18.0.1:1 --list
ok_exit 0 demo -s8 --pcap "$WORK/caps"
ok_exit 0 ladder --list "$WORK/caps/synack-demo-8-refused-abort.pcap"
[ "$(grep -c '198.18.0.2:8[01]' "$WORK/out")" = 2 ] || fail "ladder --list: $(cat "$WORK/out")"
port=$(sed -nE 's/^ +2 +198\.18\.0\.1:([0-9]+) .*/\1/p' "$WORK/out")
ok_exit 0 ladder --conn "198.18.0.2:80,198.18.0.1:$port" "$WORK/caps/synack-demo-8-refused-abort.pcap"
grep -q "connection 2:" "$WORK/out" || fail "ladder --conn by 4-tuple did not pick connection 2"
# A capture cut inside a record: what was whole is drawn, the cut is reported.
head -c 300 "$WORK/caps/synack-demo-8-refused-abort.pcap" >"$WORK/cut.pcap"
ok_exit 0 ladder "$WORK/cut.pcap"
grep -q "truncated" "$WORK/err" || fail "ladder of a cut capture did not say so"

# The stack options, on each network command.
for c in serve get connect; do
  case $c in
    serve) ops=() ;;
    get) ops=(http://198.18.0.1/) ;;
    connect) ops=(198.18.0.1 7) ;;
  esac
  for o in max-conns max-sockets syn-queue; do
    usage_error "bad value '0' for --$o" $c --$o 0 "${ops[@]}"
    usage_error "bad value '-1' for --$o" $c --$o=-1 "${ops[@]}"
    usage_error "bad value '12x' for --$o" $c "--$o=12x" "${ops[@]}"
    usage_error "option '--$o' needs a value" $c "${ops[@]}" --$o
  done
  usage_error "bad value '65536' for --syn-queue" $c --syn-queue 65536 "${ops[@]}"
  usage_error "bad value '2147483648' for --max-sockets" $c --max-sockets 2147483648 "${ops[@]}"
  usage_error "bad value '4294967296' for --max-conns" $c --max-conns 4294967296 "${ops[@]}"
  usage_error "bad value 'x' for --max-time-wait" $c --max-time-wait x "${ops[@]}"
  usage_error "bad value 'maybe' for --syncookies \(off, auto or always\)" $c --syncookies=maybe "${ops[@]}"
  usage_error "bad value 'yes' for --ecn \(off, on or passive\)" $c --ecn yes "${ops[@]}"
  usage_error "option '--ecn' needs a value" $c "${ops[@]}" --ecn
  usage_error "bad value '198.18.0.999' for --addr" $c --addr 198.18.0.999 "${ops[@]}"
  usage_error "bad value '198.18.0.1' for --addr6" $c --addr6=198.18.0.1 "${ops[@]}"
  usage_error "bad value '100' for --mtu" $c --mtu 100 "${ops[@]}"
  usage_error "bad value '5parsecs' for --msl" $c --msl 5parsecs "${ops[@]}"
  usage_error "bad value '0' for --rto-min" $c --rto-min=0 "${ops[@]}"
  usage_error "bad value '12' for --sndbuf" $c --sndbuf 12 "${ops[@]}"
  usage_error "bad value 'loss=200%'.*--impair" $c --impair loss=200% "${ops[@]}"
  usage_error "bad value 'far' for --seed" $c --seed far "${ops[@]}"
  usage_error "bad value '1000001' for --busy-poll" $c --busy-poll 1000001 "${ops[@]}"
  usage_error "bad value '5us' for --busy-poll" $c --busy-poll=5us "${ops[@]}"
  usage_error "bad value '' for --dev" $c --dev= "${ops[@]}"
  usage_error "option '--no-create' takes no value" $c --no-create=yes "${ops[@]}"
  usage_error "unknown or ambiguous option '--max'" $c --max 5 "${ops[@]}" # max-conns, max-sockets, ...
  usage_error "unknown option '-x'" $c -vx "${ops[@]}"                    # inside a cluster
  # Good values in every form get past parsing.
  parsed $c "${DEV[@]}" --max-conns 64 --max-sockets=128 --max-time-wait 0 --syn-queue=16 \
    --syncookies always -vv "${ops[@]}"
  parsed $c "${DEV[@]}" --max-c=64 --syncookies=off --syn-q 65535 --verbose "${ops[@]}"
  parsed $c "${DEV[@]}" --syncookies auto --mtu=1280 --msl 2s --rto-min=50ms --sndbuf=64k -- "${ops[@]}"
  parsed $c "${DEV[@]}" --ecn on --ecn=off --ecn passive "${ops[@]}"
  parsed $c "${DEV[@]}" --busy-poll 50 "${ops[@]}"
done

# serve
usage_error "bad value 'gopher' for --services" serve --services gopher
usage_error "bad value 'http:0' for --services" serve -s http:0
usage_error "bad value '5x' for --close-delay" serve --close-delay 5x
usage_error "option '-r' needs a value" serve -r
usage_error "unexpected argument 'extra'" serve "${DEV[@]}" extra
parsed serve "${DEV[@]}" -vs echo,http:8080 -r/ --close-delay=2s

# get
usage_error "no URL given" get
usage_error "is not http://" get ftp://198.18.0.1/
usage_error "unexpected argument 'two'" get http://198.18.0.1/ two
usage_error "bad value '0' for --max-time" get --max-time=0 http://198.18.0.1/
usage_error "bad value 'soon' for -m" get -m soon http://198.18.0.1/
usage_error "option '-o' needs a value" get http://198.18.0.1/ -vIo
parsed get "${DEV[@]}" -vIo "$WORK/body" --max-time=5 http://198.18.0.1/
parsed get "${DEV[@]}" -- http://198.18.0.1:8080/-file

# connect
usage_error "need HOST and PORT" connect 198.18.0.1
usage_error "need HOST and PORT" connect
usage_error "unexpected argument '3'" connect 198.18.0.1 7 3
usage_error "bad PORT '99999'" connect 198.18.0.1 99999
usage_error "bad PORT '0'" connect 198.18.0.1 0
usage_error "bad HOST 'example.org'" connect example.org 80
usage_error "bad value '-1' for --quit-after" connect --quit-after=-1 198.18.0.1 7
usage_error "option '-q' needs a value" connect 198.18.0.1 7 -q
parsed connect "${DEV[@]}" -vq1 -m 3 198.18.0.1 7
parsed connect "${DEV[@]}" 2001:db8::1 --max-time=3 7

echo "$n command lines checked"
echo "PASS"
