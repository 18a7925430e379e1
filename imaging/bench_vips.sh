#!/usr/bin/env bash
# Compares Process with vipsthumbnail (Debian: apt-get install libvips-tools)
# on the very files the benchmarks generate: BenchmarkProcess_* writes them to
# $IMAGING_BENCH_DIR, then vipsthumbnail makes the 320 and the 1280 px
# thumbnail from each, as two runs whose wall times are added, start-up
# included. Its start-up is estimated by running it on a 1x1 JPEG; the
# figure without it subtracts that twice.
#
# The two sides take turns: each of ROUNDS rounds runs the Go benchmarks
# once (each figure the mean of as many iterations as fit in a second), then
# RUNS runs of each vipsthumbnail command, so that a busy spell on a shared
# machine falls on both. Every figure printed is the median over all rounds.
# Beside the wall times it gives the CPU times (user and system, all
# threads) of both sides, which a busy machine inflates much less: the Go
# benchmarks report theirs from getrusage, vipsthumbnail's is taken by GNU
# time (in steps of 10 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

go test -c -o "$dir/imaging.test" ./imaging
vips black "$dir/one.jpg" 1 1

# wall prints the wall and the CPU time in µs of each of RUNS runs of the
# command, a line each, after the label $1.
wall() {
	label=$1
	shift
	for _ in $(seq "$RUNS"); do
		s=$(date +%s%N)
		/usr/bin/time -f '%U %S' -o "$dir/cpu" "$@" >/dev/null 2>&1
		e=$(date +%s%N)
		echo "$label $(((e - s) / 1000)) $(awk '{printf "%d", ($1 + $2) * 1e6}' "$dir/cpu")"
	done
}

files="JPEG12MP:photo12mp.jpg JPEG2MP:photo2mp.jpg PNG4MP:photo4mp.png"
for round in $(seq "$ROUNDS"); do
	echo "round $round of $ROUNDS" >&2
	(cd imaging && IMAGING_BENCH_DIR=$dir "$dir/imaging.test" -test.run '^$' -test.bench 'BenchmarkProcess_' -test.benchmem) |
		tee -a "$dir/go.txt" | grep '^Benchmark' >&2
	wall startup vipsthumbnail "$dir/one.jpg" -s 320x320 -o "$dir/one_t.jpg" >>"$dir/vips.txt"
	for b in $files; do
		name=${b%%:*} file=$dir/${b#*:}
		wall "$name-320" vipsthumbnail "$file" -s 320x320 -o "$dir/t320.jpg" >>"$dir/vips.txt"
		wall "$name-1280" vipsthumbnail "$file" -s 1280x1280 -o "$dir/t1280.jpg" >>"$dir/vips.txt"
	done
done

# median prints the median, in ms, of the µs in column $2 (2 wall, 3 CPU)
# after label $1 in vips.txt.
median() {
	awk -v l="$1" -v c="$2" '$1 == l {print $c}' "$dir/vips.txt" | sort -n |
		awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

# gomedian prints the median, in ms, of the Go benchmark $1's figure in
# the unit $2 (ns/op, cpu-ns/op).
gomedian() {
	grep "BenchmarkProcess_$1-" "$dir/go.txt" |
		awk -v u="$2" '{for (i = 2; i <= NF; i++) if ($i == u) print $(i-1)}' | sort -n |
		awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1e6}'
}

echo
echo "$ROUNDS rounds; vips figures the median of $((ROUNDS * RUNS)) runs, Go figures of $ROUNDS benchmark results"
for kind in wall:2:ns/op cpu:3:cpu-ns/op; do
	what=${kind%%:*} col=${kind#*:} col=${col%%:*} unit=${kind##*:}
	startup=$(median startup "$col")
	echo
	echo "$what time; vipsthumbnail start-up (1x1 JPEG): ${startup} ms"
	printf '%-10s %9s %9s %11s %13s %9s %13s %15s\n' file go_ms vips_320 vips_1280 vips_sum ratio vips_no_start ratio_no_start
	for b in $files; do
		name=${b%%:*}
		awk -v n="$name" -v g="$(gomedian "$name" "$unit")" -v a="$(median "$name-320" "$col")" \
			-v b="$(median "$name-1280" "$col")" -v s="$startup" 'BEGIN {
			sum = a + b; bare = sum - 2 * s
			printf "%-10s %9.1f %9.1f %11.1f %13.1f %9.2f %13.1f %15.2f\n", n, g, a, b, sum, g / sum, bare, g / bare
		}'
	done
done
