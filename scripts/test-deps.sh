#!/usr/bin/env bash
# Installs what the test suite runs for real.
#
# Debian packages, when missing: promtool and prometheus (prometheus),
# amtool and prometheus-alertmanager (prometheus-alertmanager), headless
# chromium (chromium: the scorecard page and digest screenshots). Needs root
# (CI runs as root); without root it only reports what is missing.
#
# Current upstream tools, built with `go install` from the Go module proxy
# into a cache that outlives the clone (HEADY_TOOLS_DIR, default
# ~/.cache/heady-metrics/tools/<name>-<version>), so a second run costs
# nothing:
#   promtool           github.com/prometheus/prometheus      v0.316.0
#   amtool, alertmanager github.com/prometheus/alertmanager  v0.35.0
#                      (alertmanager without its web UI: see build_alertmanager)
#   sloth              github.com/slok/sloth                 v0.16.0
#   helm               helm.sh/helm/v3                       v3.22.0
#   golangci-lint      github.com/golangci/golangci-lint/v2  v2.15.0
# `scripts/test-deps.sh --print-env` prints the HEADY_*_BIN variables the
# tests read to find them (the Makefile exports them for `go test`).
set -euo pipefail

TOOLS_DIR=${HEADY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/heady-metrics/tools}

# name|package path|version|binary
UPSTREAM=(
	"promtool|github.com/prometheus/prometheus/cmd/promtool|v0.316.0|promtool"
	"amtool|github.com/prometheus/alertmanager/cmd/amtool|v0.35.0|amtool"
	"alertmanager|github.com/prometheus/alertmanager/cmd/alertmanager|v0.35.0|alertmanager"
	"sloth|github.com/slok/sloth/cmd/sloth|v0.16.0|sloth"
	"helm|helm.sh/helm/v3/cmd/helm|v3.22.0|helm"
	"golangci-lint|github.com/golangci/golangci-lint/v2/cmd/golangci-lint|v2.15.0|golangci-lint"
)

# env var name for a tool: HEADY_PROMTOOL_UPSTREAM_BIN, HEADY_SLOTH_BIN, ...
envname() {
	local n=${1^^}
	n=${n//-/_}
	case $1 in
	promtool | amtool | alertmanager) echo "HEADY_${n}_UPSTREAM_BIN" ;;
	*) echo "HEADY_${n}_BIN" ;;
	esac
}

if [ "${1:-}" = --print-env ]; then
	for entry in "${UPSTREAM[@]}"; do
		IFS='|' read -r name pkg ver bin <<<"$entry"
		echo "export $(envname "$name")=$TOOLS_DIR/$name-$ver/$bin"
	done
	exit 0
fi

# build_alertmanager VERSION OUTDIR: Alertmanager's module zip lacks its web
# UI (ui/app/dist, which its release builds with npm and embeds with
# go:embed), so `go install` fails ("pattern app/dist: no matching files
# found"). It is built from a copy of the module source with an empty UI
# page instead: the API, the routing and the notifiers are the release's;
# the tests use nothing else.
build_alertmanager() {
	local ver=$1 out=$2 src tmp
	src=$(cd / && GOFLAGS= go mod download -json "github.com/prometheus/alertmanager@$ver" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -n "$src" ] || return 1
	tmp=$(mktemp -d)
	cp -r "$src/." "$tmp/" && chmod -R u+w "$tmp"
	for ui in elm mantine; do
		mkdir -p "$tmp/ui/app/dist/$ui"
		echo "<!-- Alertmanager $ver built by heady-metrics' test-deps.sh without its web UI -->" >"$tmp/ui/app/dist/$ui/index.html"
	done
	(cd "$tmp" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build \
		-ldflags "-X github.com/prometheus/common/version.Version=${ver#v}" \
		-o "$out/alertmanager" ./cmd/alertmanager)
	local rc=$?
	rm -rf "$tmp"
	return $rc
}

install_upstream() {
	local failed=()
	for entry in "${UPSTREAM[@]}"; do
		IFS='|' read -r name pkg ver bin <<<"$entry"
		local dir="$TOOLS_DIR/$name-$ver"
		if [ -x "$dir/$bin" ]; then
			continue
		fi
		echo "test-deps: go install $pkg@$ver"
		mkdir -p "$dir.tmp"
		if [ "$name" = alertmanager ]; then
			build=(build_alertmanager "$ver" "$dir.tmp")
		else
			build=(env GOBIN="$dir.tmp" GOFLAGS= CGO_ENABLED=0 go install "$pkg@$ver")
		fi
		if "${build[@]}"; then
			rm -rf "$dir"
			mv "$dir.tmp" "$dir"
		else
			rm -rf "$dir.tmp"
			failed+=("$name@$ver")
		fi
	done
	if [ ${#failed[@]} -gt 0 ]; then
		echo "test-deps: could not build ${failed[*]}" >&2
		return 1
	fi
}

install_debian() {
	local need=()
	command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
	command -v amtool >/dev/null 2>&1 && command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
	command -v chromium >/dev/null 2>&1 || need+=(chromium)
	if [ ${#need[@]} -eq 0 ]; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "test-deps: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install --no-install-recommends ${need[*]})" >&2
		return 1
	fi
	echo "test-deps: installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	# The Debian packages start their services on install where an init
	# system runs; the tests start their own instances on loopback ports.
	for svc in prometheus prometheus-alertmanager; do
		if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
			systemctl stop "$svc" || true
		fi
	done
}

install_debian
install_upstream
