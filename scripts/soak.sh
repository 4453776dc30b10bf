#!/usr/bin/env bash
# Load and soak test of the exporter (issue 9; `make soak`, not part of
# `make test`). Builds the binary and runs scripts/soak: the real exporter
# (`serve --now=T`) ingests benchmark-shaped audit lines written at
# SOAK_RATE lines/s while /metrics is scraped every second, the log rotated
# every minute and the process killed with -9 every SOAK_KILL_EVERY and
# restarted; at the end every engine series must equal a clean exporter's
# over the same files, every KPI must equal `heady-exporter kpis --now=T`,
# the live Go heap and RSS must grow no more than the engine state they
# hold (scripts/soak/flat.go says how that is judged), goroutines and open
# files must stay flat and the scrape p99 must be under 100 ms. The figures
# go to bench/soak.md (SOAK_OUT) with the machine; hand-written notes below
# its notes mark are kept.
#
#   SOAK_MINUTES=10 SOAK_RATE=5000 SOAK_KILL_EVERY=3m ./scripts/soak.sh
#   SOAK_DIR=/tmp/soak ./scripts/soak.sh   # keep the files, the exporter log
#                                          # and every scrape's figures (samples.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench
go build -trimpath -o "$tmp/heady-exporter" ./cmd/heady-exporter
go build -o "$tmp/soak" ./scripts/soak
args=(-bin "$tmp/heady-exporter" -minutes "${SOAK_MINUTES:-10}" -rate "${SOAK_RATE:-5000}"
	-kill-every "${SOAK_KILL_EVERY:-3m}" -rotate-every "${SOAK_ROTATE_EVERY:-1m}" -out "${SOAK_OUT:-bench/soak.md}")
if [ -n "${SOAK_DIR:-}" ]; then
	mkdir -p "$SOAK_DIR"
	args+=(-dir "$SOAK_DIR")
fi
exec "$tmp/soak" "${args[@]}"
