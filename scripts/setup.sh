#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test synack. Run as root.
set -euo pipefail
need=()
for pkg in build-essential cmake make gcc clang; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# The install test builds a program against the installed tree with pkg-config
# (tests/install/install_tree.sh); the man page test renders with groff (tests/tools/manpages.sh).
for pkg in pkg-config groff-base; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# Interop tests and the TUN benchmark (tests/interop, scripts/bench-tun.sh): ip/ss, curl, nft,
# ping, socat, python3 (http.server and tests/interop/peer.py); netcat-openbsd and iperf3 for the
# preload library's tests (tests/interop/preload_*.sh).
for pkg in iproute2 curl nftables iputils-ping socat python3 netcat-openbsd iperf3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# The in-process bulk benchmark's anchor (bench/lwip/lwip_bulk.c): lwIP talking to itself.
for pkg in liblwip-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
