#!/usr/bin/env bash
# Runs the benchmarks of issue 3 and writes bench/results.md with the
# machine they ran on. Peers are measured in the same run (mtail on the same
# file; the decoder alone), so the ratios hold on a shared, noisy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench

if ! command -v mtail >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mtail >/dev/null
	else
		echo "bench: mtail missing (apt-get install mtail)" >&2
		exit 1
	fi
fi

cores=$(nproc)
echo "bench: engine (GOMAXPROCS=1, and the parallel ingest on 1 and $cores cores)" >&2
# The engine benchmarks take turns, five rounds, so a noisy spell on the
# shared machine hits all of them alike; the medians are reported.
go test -c -o "$tmp/engine.test" ./exporter/engine
for round in $(seq "${BENCH_ROUNDS:-5}"); do
	for b in 'Ingest$' 'IngestEach$' 'DecodeOnly$' 'IngestParallel$'; do
		GOMAXPROCS=1 "$tmp/engine.test" -test.run '^$' -test.bench "$b" -test.benchtime=1000000x | grep -E '^(Benchmark|cpu|goos)'
	done
	# The same on every core: its name gets the -N suffix of GOMAXPROCS.
	GOMAXPROCS=$cores "$tmp/engine.test" -test.run '^$' -test.bench 'IngestParallel$' -test.benchtime=1000000x | grep -E '^Benchmark'
done | tee "$tmp/engine.txt" >&2
{
	GOMAXPROCS=1 "$tmp/engine.test" -test.run '^$' -test.bench 'MemoryPerUser|Restart|HistoryMemory' -test.benchtime=1x -test.count=1 -test.timeout 30m
	# A restart on every core, as the server restarts: one partition each.
	GOMAXPROCS=$cores "$tmp/engine.test" -test.run '^$' -test.bench 'Restart' -test.benchtime=1x -test.count=1 -test.timeout 30m | grep '^Benchmark'
} | tee "$tmp/mem.txt" >&2
echo "bench: scrape under ingest" >&2
go test ./exporter/pipeline -run '^$' -bench ScrapeUnderIngest -benchtime=300x -count=1 | tee "$tmp/scrape.txt" >&2

echo "bench: mtail and heady-exporter kpis on the same file, on 1 core and on every core" >&2
go run ./scripts/benchgen -out "$tmp/audit.jsonl" -lines 1000000 -users 200000
lines=$(wc -l <"$tmp/audit.jsonl")
bytes=$(wc -c <"$tmp/audit.jsonl")
go build -o "$tmp/heady-exporter" ./cmd/heady-exporter
printf 'state_dir: state\nsources:\n  audit:\n    - paths: [audit.jsonl]\n' >"$tmp/config.yml"
# CPU seconds (user + system) of a command, from bash's own accounting;
# `timed NAME PROCS CMD...` appends "NAME wall cpu" to $tmp/e2e.txt.
TIMEFORMAT='%U %S'
timed() {
	local name=$1 procs=$2
	shift 2
	local start end cpu
	start=$(date +%s.%N)
	if [ "$procs" = all ]; then
		cpu=$( { time "$@" >"$tmp/$name.out" 2>/dev/null; } 2>&1 | awk '{print $1+$2}')
	else
		cpu=$( { time GOMAXPROCS=$procs "$@" >"$tmp/$name.out" 2>/dev/null; } 2>&1 | awk '{print $1+$2}')
	fi
	end=$(date +%s.%N)
	echo "$name $(awk -v s="$start" -v e="$end" 'BEGIN{print e-s}') $cpu" >>"$tmp/e2e.txt"
}
mtail_cmd() {
	mtail --one_shot --one_shot_format=prometheus --progs scripts/bench-toolcalls.mtail \
		--logs "$tmp/audit.jsonl" --logtostderr
}
kpis_cmd() { "$tmp/heady-exporter" kpis --config.file="$tmp/config.yml" --now=2026-11-20T12:00:00Z; }
# One 1-core kpis per core, all at once: what the machine's cores give to
# work that shares nothing, the ceiling of the all-core speed-up.
kpis_copies() {
	local i
	for i in $(seq "$cores"); do
		GOMAXPROCS=1 kpis_cmd >"$tmp/copy$i.out" &
	done
	wait
}
# Seven rounds, the runs taking turns; medians are reported. A
# baseline binary (BENCH_BASELINE_BIN, e.g. the previous release) is run
# at GOMAXPROCS=1 in the same rounds.
: >"$tmp/e2e.txt"
for round in $(seq "${BENCH_E2E_ROUNDS:-7}"); do
	timed mtail1 1 mtail_cmd
	timed mtailN all mtail_cmd
	timed kpis1 1 kpis_cmd
	timed kpisN all kpis_cmd
	timed copies all kpis_copies
	if [ -n "${BENCH_BASELINE_BIN:-}" ]; then
		timed base1 1 "$BENCH_BASELINE_BIN" kpis --config.file="$tmp/config.yml" --now=2026-11-20T12:00:00Z
		cmp -s "$tmp/base1.out" "$tmp/kpis1.out" || { echo "bench: the baseline's kpis differ" >&2; }
	fi
	grep -q 'tool_calls{' "$tmp/mtail1.out" || { echo "bench: mtail counted nothing" >&2; exit 1; }
	grep -q '"wau"' "$tmp/kpis1.out" || { echo "bench: kpis printed no KPIs" >&2; exit 1; }
	cmp -s "$tmp/kpis1.out" "$tmp/kpisN.out" || { echo "bench: kpis differ between 1 and $cores cores" >&2; exit 1; }
	for i in $(seq "$cores"); do
		cmp -s "$tmp/kpis1.out" "$tmp/copy$i.out" || { echo "bench: a kpis run beside others differs" >&2; exit 1; }
	done
done
cat "$tmp/e2e.txt" >&2
# e2erate NAME wall|cpu: the median rate of NAME's runs, in lines a second.
e2erate() {
	awk -v n="$1" -v l="$lines" -v f="$2" '$1==n{printf "%.0f\n", l/(f=="wall" ? $2 : $3)}' "$tmp/e2e.txt" | sort -n |
		awk '{a[NR]=$1} END{if (NR) printf "%.0f", a[int((NR+1)/2)]}'
}
mtail_rate=$(e2erate mtail1 wall)
mtail_cpu_rate=$(e2erate mtail1 cpu)
mtailN_rate=$(e2erate mtailN wall)
mtailN_cpu_rate=$(e2erate mtailN cpu)
kpis_rate=$(e2erate kpis1 wall)
kpis_cpu_rate=$(e2erate kpis1 cpu)
kpisN_rate=$(e2erate kpisN wall)
kpisN_cpu_rate=$(e2erate kpisN cpu)
# The copies read $cores times the lines in their wall time.
copies_rate=$(awk -v r="$(e2erate copies wall)" -v c="$cores" 'BEGIN{printf "%.0f", r*c}')
base_rate=$(e2erate base1 wall)
base_cpu_rate=$(e2erate base1 cpu)

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
range() { sort -n | awk 'NR==1{lo=$1} {hi=$1} END{print lo "-" hi}'; }
# metric BENCH UNIT: every value of UNIT reported by benchmark BENCH.
metric() { awk -v b="$1" -v u="$2" '$1==b{for(i=1;i<=NF;i++) if($(i+1)==u) print $i}' "$tmp/engine.txt"; }
ingest=$(metric BenchmarkIngest lines/s | median)
ingest_cpu=$(metric BenchmarkIngest lines/cpu-s | median)
ingest_range=$(metric BenchmarkIngest lines/cpu-s | range)
each=$(metric BenchmarkIngestEach lines/s | median)
each_cpu=$(metric BenchmarkIngestEach lines/cpu-s | median)
decode=$(metric BenchmarkDecodeOnly lines/s | median)
decode_cpu=$(metric BenchmarkDecodeOnly lines/cpu-s | median)
par1=$(metric BenchmarkIngestParallel lines/s | median)
par1_cpu=$(metric BenchmarkIngestParallel lines/cpu-s | median)
parN=$(metric "BenchmarkIngestParallel-$cores" lines/s | median)
parN_cpu=$(metric "BenchmarkIngestParallel-$cores" lines/cpu-s | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.2fx", a/b; else print "-"}'; }
# roundratios A B [N]: the lowest and highest of N times A's wall time over
# B's, round by round (the spread the medians smooth).
roundratios() {
	local r
	r=$(awk -v a="$1" -v b="$2" -v n="${3:-1}" '$1==a{x[++i]=$2} $1==b{y[++j]=$2} END{for(k=1;k<=i&&k<=j;k++) printf "%.2f\n", n*x[k]/y[k]}' "$tmp/e2e.txt" | range)
	printf "%sx to %sx" "${r%-*}" "${r#*-}"
}
# ceilingshare A B C N: round by round, the all-core speed-up (A's wall
# time over B's) as a share of the ceiling (N times A's over C's, the
# copies): C's time over N times B's; the median and the spread.
ceilingshare() {
	local shares r
	shares=$(awk -v b="$1" -v c="$2" -v n="$3" '$1==b{y[++j]=$2} $1==c{z[++k]=$2} END{for(i=1;i<=j&&i<=k;i++) printf "%.0f\n", 100*z[i]/(n*y[i])}' "$tmp/e2e.txt")
	r=$(range <<<"$shares")
	printf "%s%% (round by round %s%% to %s%%)" "$(median <<<"$shares")" "${r%-*}" "${r#*-}"
}
peruser=$(awk '/^BenchmarkMemoryPerUser/{for(i=1;i<=NF;i++) if($(i+1)=="bytes/user") print $i}' "$tmp/mem.txt")
restart=$(awk '$1=="BenchmarkRestart"{print $3}' "$tmp/mem.txt")
restartN=$(awk -v b="BenchmarkRestart-$cores" '$1==b{print $3}' "$tmp/mem.txt")
unsealed=$(awk '/^BenchmarkHistoryMemory/{for(i=1;i<=NF;i++) if($(i+1)=="MiB-unsealed") print $i}' "$tmp/mem.txt")
sealed=$(awk '/^BenchmarkHistoryMemory/{for(i=1;i<=NF;i++) if($(i+1)=="MiB-sealed") print $i}' "$tmp/mem.txt")
p99=$(awk '/^BenchmarkScrapeUnderIngest/{for(i=1;i<=NF;i++) if($(i+1)=="p99-ms") print $i}' "$tmp/scrape.txt")
p50=$(awk '/^BenchmarkScrapeUnderIngest/{for(i=1;i<=NF;i++) if($(i+1)=="p50-ms") print $i}' "$tmp/scrape.txt")

{
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` (scripts/bench.sh) on $(date -u +%Y-%m-%dT%H:%M:%SZ)."
	echo
	echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3-4); mtail $(mtail --version 2>&1 | awk '{print $3}' | head -1)."
	echo
	echo "Rates are given per wall-clock second and per CPU second (user + system time of the process): on a"
	echo "shared machine the CPU rate is what one dedicated core does, and it is how the two tools are compared."
	echo
	echo "| measure | per CPU second | per wall second | target |"
	echo "|---|---|---|---|"
	echo "| ingest, canonical audit JSONL through the whole engine (GOMAXPROCS=1, 200,000 users, $((bytes / lines)) bytes a line; batches of 256 lines through ApplyBatch, as the pipeline applies them; median of 5, range ${ingest_range}) | ${ingest_cpu} lines | ${ingest} lines | >= 400,000 lines/s |"
	echo "| the same with Apply called per event (peer: what ApplyBatch's prefetching gains) | ${each_cpu} lines | ${each} lines | |"
	echo "| the decoder alone on the same lines (median of 5) | ${decode_cpu} lines | ${decode} lines | (floor) |"
	echo "| ingest as the pipeline runs it: batches of 1,024 lines decoded in parallel on a reader goroutine, applied by a partitioned engine (BenchmarkIngestParallel), GOMAXPROCS=1 | ${par1_cpu} lines | ${par1} lines | |"
	echo "| the same on all $cores cores (GOMAXPROCS=$cores: $cores decoders; the event side and $((cores - 1)) user partitions) | ${parN_cpu} lines | ${parN} lines | |"
	echo "| mtail counting the same file by tool and status, one-shot, GOMAXPROCS=1 | ${mtail_cpu_rate} lines | ${mtail_rate} lines | |"
	echo "| mtail, the same, all cores (GOMAXPROCS unset) | ${mtailN_cpu_rate} lines | ${mtailN_rate} lines | |"
	echo "| \`heady-exporter kpis\` over the same file, end to end (process start, file reading, decode, engine, evaluation, JSON), GOMAXPROCS=1 | ${kpis_cpu_rate} lines | ${kpis_rate} lines | |"
	echo "| \`heady-exporter kpis\`, the same, all cores (GOMAXPROCS unset; output identical to the byte) | ${kpisN_cpu_rate} lines | ${kpisN_rate} lines | |"
	if [ -n "$base_rate" ]; then
		echo "| baseline \`kpis\` ($(basename "$BENCH_BASELINE_BIN"), BENCH_BASELINE_BIN), GOMAXPROCS=1 | ${base_cpu_rate} lines | ${base_rate} lines | |"
	fi
	echo
	echo "End-to-end runs are medians of ${BENCH_E2E_ROUNDS:-7} rounds in which the runs take turns; engine benchmarks medians of ${BENCH_ROUNDS:-5}."
	echo
	echo "| ratio (same run) | per CPU second | per wall second | target |"
	echo "|---|---|---|---|"
	echo "| engine ingest / mtail, 1 core | $(ratio "$ingest_cpu" "$mtail_cpu_rate") | $(ratio "$ingest" "$mtail_rate") | >= 4x |"
	echo "| kpis / mtail, 1 core | $(ratio "$kpis_cpu_rate" "$mtail_cpu_rate") | $(ratio "$kpis_rate" "$mtail_rate") | |"
	echo "| kpis / mtail, all cores | $(ratio "$kpisN_cpu_rate" "$mtailN_cpu_rate") | $(ratio "$kpisN_rate" "$mtailN_rate") | |"
	echo "| kpis all $cores cores / kpis 1 core (end to end; round by round $(roundratios kpis1 kpisN)) | $(ratio "$kpisN_cpu_rate" "$kpis_cpu_rate") | $(ratio "$kpisN_rate" "$kpis_rate") | >= 1.7x wall on 2 cores |"
	echo "| $cores 1-core kpis at once / one alone: what the cores give to work that shares nothing (the ceiling of the line above; round by round $(roundratios kpis1 copies "$cores")) | | $(ratio "$copies_rate" "$kpis_rate") | |"
	echo "| the all-core speed-up as a share of that ceiling, round by round (median): what the split of the work costs, whatever the machine gives | | $(ceilingshare kpisN copies "$cores") | |"
	echo "| parallel ingest all $cores cores / 1 core (engine benchmark) | $(ratio "$parN_cpu" "$par1_cpu") | $(ratio "$parN" "$par1") | |"
	echo "| mtail all cores / 1 core | $(ratio "$mtailN_cpu_rate" "$mtail_cpu_rate") | $(ratio "$mtailN_rate" "$mtail_rate") | |"
	if [ -n "$base_rate" ]; then
		echo "| kpis 1 core / baseline kpis 1 core | $(ratio "$kpis_cpu_rate" "$base_cpu_rate") | $(ratio "$kpis_rate" "$base_rate") | >= 1x |"
	fi
	echo
	echo "| measure | result | target |"
	echo "|---|---|---|"
	echo "| memory per tracked user at 1,000,000 users | ${peruser} bytes | <= 100 bytes |"
	echo "| restart with 1,000,000 users of state: load checkpoint + first view, on 1 core / on all $cores cores | $(awk -v n="$restart" 'BEGIN{printf "%.2f s", n/1e9}') / $(awk -v n="$restartN" 'BEGIN{printf "%.2f s", n/1e9}') | <= 1 s |"
	echo "| engine heap after the ingest benchmark's week (200,000 users, 1,000,000 ids, timelines): hours written to / sealed by Prune | ${unsealed} / ${sealed} MiB | |"
	echo "| scrape of /metrics while ingesting flat out (GOMAXPROCS=2): p50 / p99 | ${p50} ms / ${p99} ms | p99 <= 50 ms |"
	echo
	echo "Raw output:"
	echo
	echo '```'
	cat "$tmp/engine.txt" "$tmp/mem.txt" "$tmp/scrape.txt" | grep -E '^(Benchmark|cpu|goos)' | awk '/^Benchmark/ || !seen[$0]++'
	echo "# end to end: run, wall seconds, CPU seconds ($lines lines)"
	cat "$tmp/e2e.txt"
	echo '```'
} >"$out"
cat "$out"
