#!/usr/bin/env bash
# Compares Process with vipsthumbnail (Debian: apt-get install libvips-tools)
# on the very files the benchmarks generate: BenchmarkProcess_* writes them to
# $IMAGING_BENCH_DIR, then vipsthumbnail makes the 320 and the 1280 px
# thumbnail from each, as two runs whose wall times are added, start-up
# included. Its start-up is estimated by running it on a 1x1 JPEG; the
# figure without it subtracts that twice. Each time is the median of RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

IMAGING_BENCH_DIR=$dir go test ./imaging -run '^$' -bench 'BenchmarkProcess_' -benchmem -count "${COUNT:-5}" | tee "$dir/go.txt"
vips black "$dir/one.jpg" 1 1

# wall prints the median wall time in ms of RUNS runs of the command.
wall() {
	for _ in $(seq "$RUNS"); do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(((e - s) / 1000))
	done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

startup=$(wall vipsthumbnail "$dir/one.jpg" -s 320x320 -o "$dir/one_t.jpg")
echo
echo "vipsthumbnail start-up (1x1 JPEG): ${startup} ms"
printf '%-10s %9s %9s %11s %13s %9s %13s %15s\n' file go_ms vips_320 vips_1280 vips_sum ratio vips_no_start ratio_no_start
for b in JPEG12MP:photo12mp.jpg JPEG2MP:photo2mp.jpg PNG4MP:photo4mp.png; do
	name=${b%%:*} file=$dir/${b#*:}
	go_ms=$(grep "BenchmarkProcess_${name}-" "$dir/go.txt" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1e6}')
	t320=$(wall vipsthumbnail "$file" -s 320x320 -o "$dir/t320.jpg")
	t1280=$(wall vipsthumbnail "$file" -s 1280x1280 -o "$dir/t1280.jpg")
	awk -v n="$name" -v g="$go_ms" -v a="$t320" -v b="$t1280" -v s="$startup" 'BEGIN {
		sum = a + b; bare = sum - 2 * s
		printf "%-10s %9.1f %9.1f %11.1f %13.1f %9.2f %13.1f %15.2f\n", n, g, a, b, sum, g / sum, bare, g / bare
	}'
done
