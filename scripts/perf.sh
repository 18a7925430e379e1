#!/usr/bin/env bash
# perf.sh reproduces the HTTP measurements of docs/performance.md: imagerepo
# against nginx serving the same bytes from disk and a minimal net/http
# handler (scripts/refserver) writing them from memory, all driven by wrk
# with the same connections, in turns A B A B (imagerepo, nginx, net/http
# each time; for the JSON and the thumbnail also refserver's two floors
# under net/http: --mode readrequest and --mode raw); then start-up time and RSS of imagerepo on a repository of
# --images documents, and vipsthumbnail beside imagerepo's upload pipeline.
# It is not part of the tests.
#
#   scripts/perf.sh [--images 100000] [--data DIR] [--rounds 2] [--duration 10s] [--connections 32]
#                   [--nginx-access-log] [--app-flags '--log-level warn']
#
# Needs: go, curl, python3, wrk, nginx (nginx-light), vipsthumbnail
# (libvips-tools); with --install it apt-get installs the last three.
set -euo pipefail

IMAGES=100000 DATA="" ROUNDS=2 DURATION=10s CONNS=32 INSTALL=0
while [ $# -gt 0 ]; do
	case "$1" in
	--images) IMAGES=$2; shift ;;
	--data) DATA=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	--connections) CONNS=$2; shift ;;
	--install) INSTALL=1 ;;
	--nginx-access-log) NGINX_ACCESS_LOG=1 ;;
	--app-flags) APP_FLAGS=$2; shift ;;
	*) echo "perf.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [ "$INSTALL" = 1 ]; then
	apt-get update -qq && apt-get install -y -qq nginx-light wrk libvips-tools curl python3
fi
for tool in go curl python3 wrk nginx vipsthumbnail; do
	command -v "$tool" >/dev/null || { echo "perf.sh: $tool is missing (try --install)" >&2; exit 1; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/imagerepo-perf.XXXXXX)
DATA=${DATA:-/dev/shm/imagerepo-perf-$IMAGES}
PORT_APP=18080 PORT_NGINX=18081 PORT_REF=18082 PORT_READREQ=18083 PORT_RAW=18084
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
log() { echo "perf.sh: $*" >&2; }

cd "$ROOT"
log "building into $WORK"
CGO_ENABLED=0 go build -o "$WORK/imagerepo" .
go build -o "$WORK/genrepo" ./scripts/genrepo
go build -o "$WORK/refserver" ./scripts/refserver

# The repository: made once per --images and kept (in /dev/shm by default,
# where fsync is free, so that 100,000 images take minutes, not an hour).
if [ ! -s "$DATA/perf.token" ]; then
	rm -rf "$DATA"
	log "making a repository of $IMAGES images in $DATA"
	"$WORK/genrepo" --data "$DATA" --images "$IMAGES" >"$WORK/token"
	log "building its search index"
	"$WORK/imagerepo" reindex --data "$DATA" >&2
	mv "$WORK/token" "$DATA/perf.token"
fi
TOKEN=$(cat "$DATA/perf.token")
"$WORK/genrepo" --data "$WORK/unused" --images 0 --photo "$WORK/photo.jpg" >/dev/null 2>&1

# Start-up: from exec to the first answered request, five times.
start_app() {
	local t0 t1
	t0=$(date +%s%N)
	# shellcheck disable=SC2086 # APP_FLAGS is a list of flags
	"$WORK/imagerepo" serve --addr 127.0.0.1:$PORT_APP --data "$DATA" ${APP_FLAGS:-} >>"$WORK/imagerepo.log" 2>&1 &
	APP=$!
	until curl -sf -o /dev/null http://127.0.0.1:$PORT_APP/healthz; do sleep 0.005; done
	t1=$(date +%s%N)
	STARTUP=$(( (t1 - t0) / 1000000 ))
}
STARTUPS=()
for _ in 1 2 3 4 5; do
	start_app
	STARTUPS+=("$STARTUP")
	kill -INT $APP; wait $APP || true
done
log "start-up (ms, exec to first answer): ${STARTUPS[*]}"
start_app
PIDS+=($APP)

# The fixture: the ~3 MB photo uploaded as a public image, and the bytes an
# anonymous client gets for it.
ID=$(curl -sf -H "Authorization: Bearer $TOKEN" -F file=@"$WORK/photo.jpg" -F visibility=public \
	http://127.0.0.1:$PORT_APP/api/images | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])')
mkdir -p "$WORK/www"
curl -sf -o "$WORK/www/doc.json" http://127.0.0.1:$PORT_APP/api/images/$ID
curl -sf -o "$WORK/www/thumb.jpg" http://127.0.0.1:$PORT_APP/api/images/$ID/thumb/small
curl -sf -o "$WORK/www/photo.jpg" http://127.0.0.1:$PORT_APP/api/images/$ID/file
log "fixture $ID: json $(stat -c %s "$WORK/www/doc.json") B, thumb $(stat -c %s "$WORK/www/thumb.jpg") B, original $(stat -c %s "$WORK/www/photo.jpg") B"

# nginx logs no requests unless --nginx-access-log (then one line per
# request to a file, as Debian's default configuration does), while
# imagerepo logs one line per request unless --app-flags '--log-level warn'.
ACCESS_LOG="access_log off;"
[ -n "${NGINX_ACCESS_LOG:-}" ] && ACCESS_LOG="access_log $WORK/nginx-access.log;"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 1024; }
http {
	$ACCESS_LOG
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	types { application/json json; image/jpeg jpg; }
	server {
		listen 127.0.0.1:$PORT_NGINX;
		root $WORK/www;
	}
}
EOF
chmod 755 "$WORK" && chmod -R a+rX "$WORK/www" # nginx's workers are not root
nginx -c "$WORK/nginx.conf" -p "$WORK"
declare -A PID_OF=([imagerepo]=$APP)
for ref in nethttp:$PORT_REF readrequest:$PORT_READREQ raw:$PORT_RAW; do
	"$WORK/refserver" --mode "${ref%:*}" --addr 127.0.0.1:"${ref#*:}" /doc.json="$WORK/www/doc.json" \
		/thumb.jpg="$WORK/www/thumb.jpg" /photo.jpg="$WORK/www/photo.jpg" >/dev/null 2>&1 &
	PIDS+=($!)
	PID_OF[${ref%:*}]=$!
done
sleep 0.5
PID_OF[nginx]=$(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ') # its workers

# cputicks PID...: the user and system CPU the processes have used, in clock ticks.
cputicks() {
	local p t=0
	for p in "$@"; do t=$((t + $(cut -d' ' -f14,15 /proc/"$p"/stat | tr ' ' '+'))); done
	echo $t
}

# bench NAME URL: one wrk run, one result line: name rps p50_ms p99_ms and
# the server's CPU time (user and system) per request in µs.
bench() {
	local out t0 t1 server=${1#*.}
	# shellcheck disable=SC2086 # a list of pids
	t0=$(cputicks ${PID_OF[$server]})
	out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$2")
	# shellcheck disable=SC2086
	t1=$(cputicks ${PID_OF[$server]})
	python3 - "$1" "$out" $((t1 - t0)) "$(getconf CLK_TCK)" <<'PY'
import re, sys
name, out, ticks, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def ms(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    if not m:
        return float("nan")
    v, u = m.groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p50 = ms(re.search(r"50%\s+(\S+)", out).group(1))
p99 = ms(re.search(r"99%\s+(\S+)", out).group(1))
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
reqs = int(re.search(r"(\d+) requests in", out).group(1))
cpu_us = ticks / hz * 1e6 / reqs
print(f"{name} {rps:.0f} {p50:.3f} {p99:.3f} {cpu_us:.1f}" + (f" non2xx={errs.group(1)}" if errs else ""))
PY
}

APPURL=http://127.0.0.1:$PORT_APP/api/images/$ID
RESULTS=$WORK/results.txt
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
	for pair in "json $APPURL doc.json" "thumb $APPURL/thumb/small thumb.jpg" "orig $APPURL/file photo.jpg"; do
		set -- $pair
		for turn in A B; do
			bench "$1.imagerepo" "$2" | tee -a "$RESULTS" >&2
			bench "$1.nginx" "http://127.0.0.1:$PORT_NGINX/$3" | tee -a "$RESULTS" >&2
			bench "$1.nethttp" "http://127.0.0.1:$PORT_REF/$3" | tee -a "$RESULTS" >&2
			[ "$1" = orig ] && continue # the floors matter for small answers
			bench "$1.readrequest" "http://127.0.0.1:$PORT_READREQ/$3" | tee -a "$RESULTS" >&2
			bench "$1.raw" "http://127.0.0.1:$PORT_RAW/$3" | tee -a "$RESULTS" >&2
		done
	done
	log "round $r done; load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

RSS_HOT=$(grep -E 'VmRSS|VmHWM' /proc/$APP/status | tr -s ' ' | tr '\n' ' ')
log "imagerepo after the hot-path runs: $RSS_HOT"

# RSS under load over many ids: wrk walks 20,000 ids of the repository
# (cache misses and fills, thumbnails from the thumbnail cache).
python3 - "$TOKEN" $PORT_APP >"$WORK/ids.lua" <<'PY'
import json, sys, urllib.request
token, port = sys.argv[1], sys.argv[2]
ids, cursor = [], ""
while len(ids) < 20000:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/images?limit=200&cursor={cursor}",
                                 headers={"Authorization": "Bearer " + token})
    page = json.load(urllib.request.urlopen(req))
    ids += [i["id"] for i in page["images"]]
    cursor = page["next"]
    if not cursor:
        break
print("ids = {" + ",".join('"%s"' % i for i in ids) + "}")
print("""n = 0
request = function()
  n = n + 1
  local id = ids[(n * 7919) % #ids + 1]
  if n % 2 == 0 then return wrk.format("GET", "/api/images/" .. id .. "/thumb/small") end
  return wrk.format("GET", "/api/images/" .. id)
end""")
PY
wrk -t2 -c"$CONNS" -d"$DURATION" -s "$WORK/ids.lua" http://127.0.0.1:$PORT_APP >"$WORK/wrk-ids.txt"
RPS_IDS=$(grep Requests/sec "$WORK/wrk-ids.txt" | awk '{print $2}')
RSS=$(grep -E 'VmRSS|VmHWM' /proc/$APP/status | tr -s ' ' | tr '\n' ' ')
log "many ids: $RPS_IDS req/s; imagerepo $RSS"

# Thumbnails: vipsthumbnail beside imagerepo's whole upload pipeline (decode,
# both thumbnails, EXIF, hash, the copy without location, storing), 10 each,
# on 10 copies of the photo that differ in a JPEG comment: the same pixels,
# but new bytes, so that no upload is a duplicate stored already. (The ratio
# of the thumbnail work alone, both sizes against two vipsthumbnail runs, is
# imaging/bench_vips.sh's: imaging/BENCHMARKS.md.)
python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
data = open(f"{work}/photo.jpg", "rb").read()
for i in range(1, 11):
    note = f"perf.sh copy {i} {work}".encode()
    com = b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note
    open(f"{work}/copy-{i}.jpg", "wb").write(data[:2] + com + data[2:])
PY
t0=$(date +%s%N)
for i in $(seq 10); do vipsthumbnail "$WORK/copy-$i.jpg" -s 320 -o "$WORK/vips-%s.jpg"; done
t1=$(date +%s%N)
for i in $(seq 10); do
	curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -F file=@"$WORK/copy-$i.jpg" http://127.0.0.1:$PORT_APP/api/images
done
t2=$(date +%s%N)
RSS_UPLOADS=$(grep -E 'VmRSS|VmHWM' /proc/$APP/status | tr -s ' ' | tr '\n' ' ')
VIPS=$(( (t1 - t0) / 10000000 )) UPLOAD=$(( (t2 - t1) / 10000000 ))

echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(go version | cut -d' ' -f3), load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "repository: $IMAGES images in $DATA; wrk -t2 -c$CONNS -d$DURATION; $ROUNDS rounds of A B A B"
echo "start-up, exec to first answer (ms): ${STARTUPS[*]}"
echo "RSS after the hot-path runs (VmHWM is the peak since start): $RSS_HOT"
echo "RSS under load over 20,000 ids ($RPS_IDS req/s): $RSS"
echo "vipsthumbnail -s 320: $VIPS ms per photo; imagerepo upload pipeline: $UPLOAD ms per photo (10 new photos)"
echo "RSS after those uploads (the first new one loads the similar-image index, reading every document): $RSS_UPLOADS"
python3 - "$RESULTS" <<'PY'
import statistics, sys, collections
runs = collections.defaultdict(list)
order = []
for line in open(sys.argv[1]):
    f = line.split()
    runs[f[0]].append((float(f[1]), float(f[3]), float(f[4])))
    if f[0] not in order: order.append(f[0])
print(f"{'case':<18}{'req/s (each run)':<48}{'p99 ms (each run)':<40}{'server CPU µs/request (median)'}")
for k in order:
    print(f"{k:<18}{' '.join('%.0f' % r[0] for r in runs[k]):<48}{' '.join('%.2f' % r[1] for r in runs[k]):<40}"
          f"{statistics.median(r[2] for r in runs[k]):.1f}")
print()
for case in ("json", "thumb", "orig"):
    a, n, g = runs[case + ".imagerepo"], runs[case + ".nginx"], runs[case + ".nethttp"]
    ratios = [x[0] / y[0] for x, y in zip(a, n)]
    p99 = [x[1] / y[1] for x, y in zip(a, n)]
    to_ref = [x[0] / y[0] for x, y in zip(a, g)]
    ref = [x[0] / y[0] for x, y in zip(g, n)]
    print(f"{case}: imagerepo/nginx req/s median {statistics.median(ratios):.2f}x (runs {' '.join('%.2f' % r for r in ratios)}), "
          f"p99 ratio median {statistics.median(p99):.2f}x; net/http from memory/nginx median "
          f"{statistics.median(ref):.2f}x (runs {' '.join('%.2f' % r for r in ref)}); "
          f"imagerepo/net/http median {statistics.median(to_ref):.2f}x (runs {' '.join('%.2f' % r for r in to_ref)})")
    for floor in ("readrequest", "raw"):
        if case + "." + floor in runs:
            f = [x[0] / y[0] for x, y in zip(runs[case + "." + floor], n)]
            print(f"  refserver --mode {floor}/nginx median {statistics.median(f):.2f}x (runs {' '.join('%.2f' % r for r in f)})")
PY
