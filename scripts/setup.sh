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
# Ladders and the demo's web page (tests/golden, tests/tools/html_check.py): tshark to dissect
# the captures, rsvg-convert to render the SVGs, Chromium (headless) to open the page, fonts
# with Chinese glyphs for its screenshots.
for pkg in tshark librsvg2-bin chromium chromium-driver fonts-dejavu-core fonts-noto-cjk; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  # tshark asks whether non-root users may capture; answer no, without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
