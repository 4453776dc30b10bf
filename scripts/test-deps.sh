#!/usr/bin/env bash
# Installs, when missing, the Debian packages whose binaries the test suite
# runs for real: promtool and prometheus (prometheus), amtool and
# prometheus-alertmanager (prometheus-alertmanager), and headless chromium
# (chromium: the scorecard page and digest tests). Needs root (CI
# runs as root); without root it only reports what is missing.
set -euo pipefail

need=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 && command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v chromium >/dev/null 2>&1 || need+=(chromium)


if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "test-deps: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install --no-install-recommends ${need[*]})" >&2
	exit 1
fi
echo "test-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian packages start their services on install where an init system
# runs; the tests start their own instances on loopback ports.
for svc in prometheus prometheus-alertmanager; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
		systemctl stop "$svc" || true
	fi
done
