#!/usr/bin/env bash
# Runs every Go native fuzz target of the module (found with
# `go test -list '^Fuzz'`) for FUZZTIME each (default 15s), one after the
# other, over its committed seed corpus (f.Add and testdata/fuzz/<Target>/)
# and then new inputs. `make test` runs it; `make fuzz` runs it alone.
#
#   FUZZTIME=1m ./scripts/fuzz.sh                 # longer runs
#   FUZZMINIMIZETIME=1m ./scripts/fuzz.sh         # minimize new inputs longer
#   FUZZ_PACKAGES=./exporter/config ./scripts/fuzz.sh
#
# A crash leaves its input in the package's testdata/fuzz/<Target>/: fix the
# bug and commit that file, which `go test` then replays as a regression
# test. The script fails if any target fails; a run that ends only on Go
# 1.26's fuzztime shutdown race (a bare "context deadline exceeded", no
# input written) is run once more and must then pass.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-15s}
# An input that finds new code is minimized before fuzzing goes on; Go
# allows a minute for it by default, which a 15-second run would spend
# minimizing (the log shows "execs: ... (0/sec)" meanwhile).
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-2s}
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

# shutdown_race LOG: whether a failed run is only Go's fuzz coordinator
# racing its own -fuzztime deadline (golang/go#75804, fixed in Go 1.27; we
# build with 1.26): a bare "context deadline exceeded" with no input
# written, no panic and no test failure message. Anything else is real.
shutdown_race() {
	grep -q 'context deadline exceeded' "$1" &&
		! grep -q -e 'Failing input written to' -e '^panic:' -e '_test.go:[0-9]*:' "$1"
}

echo "fuzz: ${#targets[@]} targets, ${FUZZTIME} each" >&2
failed=()
raced=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
for pt in "${targets[@]}"; do
	read -r pkg target <<<"$pt"
	for attempt in 1 2; do
		echo "fuzz: $target ($pkg)" >&2
		if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" 2>&1 | tee "$log" >&2; then
			break
		fi
		if [ "$attempt" = 1 ] && shutdown_race "$log"; then
			# Found nothing; run the target once more, and fail if
			# that run fails in any way.
			echo "fuzz: $target ended on Go's fuzztime shutdown race (golang/go#75804), no input written: running it again" >&2
			raced+=("$target")
			continue
		fi
		failed+=("$target ($pkg)")
		break
	done
done
echo "fuzz: done in $(($(date +%s) - start))s${raced[0]+; rerun after the shutdown race: ${raced[*]}}" >&2
if [ "${#failed[@]}" -gt 0 ]; then
	printf 'fuzz: FAILED: %s\n' "${failed[@]}" >&2
	echo "fuzz: the failing inputs are under the packages' testdata/fuzz/: fix, then commit them" >&2
	exit 1
fi
