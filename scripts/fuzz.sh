#!/usr/bin/env bash
# Runs every Go native fuzz target of the module (found with
# `go test -list '^Fuzz'`) for FUZZTIME each (default 15s), one after the
# other, over its committed seed corpus (f.Add and testdata/fuzz/<Target>/)
# and then new inputs. `make test` runs it; `make fuzz` runs it alone.
#
#   FUZZTIME=1m ./scripts/fuzz.sh                 # longer runs
#   FUZZ_PACKAGES=./exporter/config ./scripts/fuzz.sh
#
# A crash leaves its input in the package's testdata/fuzz/<Target>/: fix the
# bug and commit that file, which `go test` then replays as a regression
# test. The script fails if any target fails.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-15s}
read -r -a packages <<<"${FUZZ_PACKAGES:-./...}"

# `go test -list` prints a package's matching names, then its "ok <pkg>" line.
list=$(go test -list '^Fuzz' "${packages[@]}")
targets=()
pending=()
while IFS= read -r line; do
	case "$line" in
	Fuzz*) pending+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for t in "${pending[@]+"${pending[@]}"}"; do targets+=("$pkg $t"); done
		pending=()
		;;
	esac
done <<<"$list"
if [ "${#targets[@]}" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

echo "fuzz: ${#targets[@]} targets, ${FUZZTIME} each" >&2
failed=()
start=$(date +%s)
for pt in "${targets[@]}"; do
	read -r pkg target <<<"$pt"
	echo "fuzz: $target ($pkg)" >&2
	if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >&2; then
		failed+=("$target ($pkg)")
	fi
done
echo "fuzz: done in $(($(date +%s) - start))s" >&2
if [ "${#failed[@]}" -gt 0 ]; then
	printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
	echo "fuzz: the failing inputs are under the packages' testdata/fuzz/: fix, then commit them" >&2
	exit 1
fi
