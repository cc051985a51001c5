#!/usr/bin/env bash
# netns.sh: makes and removes a private network namespace holding one TUN device for synack.
# The kernel side of the device gets 198.18.0.1/24 and 2001:db8::1/64 (synack takes .2 and ::2);
# nothing is routed out of the namespace (no default route, no other interface but lo).
#
#   scripts/netns.sh up NAME [--dev tun0] [--mtu 1500] [--multi-queue]
#                                                          create (fails if NAME exists); a
#                                                          multi-queue device for serve --cores
#   scripts/netns.sh down NAME                             delete (quiet if it is gone)
#   scripts/netns.sh exec NAME CMD...                      run CMD inside NAME
#
# Then: ip netns exec NAME synack serve --dev tun0 --addr 198.18.0.2 --addr6 2001:db8::2
set -euo pipefail

prog=$(basename "$0")
die() { echo "$prog: $*" >&2; exit 1; }
usage() { sed -n '5,9p' "$0" | sed 's/^#  */usage: /' >&2; exit 2; }

[ $# -ge 2 ] || usage
cmd=$1 name=$2
shift 2
[[ $name =~ ^[A-Za-z0-9_.-]{1,40}$ ]] || die "bad namespace name '$name'"

need_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces and TUN devices need CAP_NET_ADMIN)"
  command -v ip >/dev/null || die "ip not found (install iproute2)"
}

case $cmd in
up)
  dev=tun0 mtu=1500 mq=()
  while [ $# -gt 0 ]; do
    case $1 in
    --multi-queue) mq=(multi_queue); shift ;;
    --dev) dev=${2:?--dev needs a name}; shift 2 ;;
    --mtu) mtu=${2:?--mtu needs a number}; shift 2 ;;
    *) die "unknown option '$1'" ;;
    esac
  done
  need_root
  [ -c /dev/net/tun ] || die "/dev/net/tun is missing: this machine has no TUN support"
  ip netns add "$name" 2>/dev/null || die "cannot create namespace '$name' (does it exist already? ip netns list)"
  # From here on, a failure removes what we made.
  trap 'ip netns del "$name" 2>/dev/null || true' ERR
  ns() { ip netns exec "$name" "$@"; }
  ns ip link set lo up
  # DAD would hold the addresses tentative for a second or more: tests must not wait for it.
  ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.default.router_solicitations=0 >/dev/null
  ns ip tuntap add dev "$dev" mode tun "${mq[@]}" || die "cannot create TUN device '$dev' in '$name'"
  ns sysctl -qw "net.ipv6.conf.$dev.accept_dad=0" "net.ipv6.conf.$dev.router_solicitations=0" >/dev/null
  ns ip link set "$dev" mtu "$mtu" up
  ns ip addr add 198.18.0.1/24 dev "$dev"
  ns ip -6 addr add 2001:db8::1/64 dev "$dev" nodad
  trap - ERR
  ;;
down)
  need_root
  if ip netns list | awk '{print $1}' | grep -qx -- "$name"; then
    pids=$(ip netns pids "$name" 2>/dev/null | tr '\n' ' ')
    # Processes inside keep the namespace alive; they belong to whoever started them.
    [ -z "$pids" ] || echo "$prog: warning: processes still in '$name': $pids" >&2
    ip netns del "$name"
  fi
  ;;
exec)
  need_root
  [ $# -gt 0 ] || usage
  exec ip netns exec "$name" "$@"
  ;;
*)
  usage
  ;;
esac
