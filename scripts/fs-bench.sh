#!/bin/sh
# fs-bench.sh — the speed of the file front end.
#
# 1. `cat DIR/*` over 10,000 keys through redisfs (kernel caching with
#    invalidation, and direct I/O), a minimal go-fuse in-memory tree and
#    tmpfs, interleaved, warm and cold, and `ls -l DIR` the same way
#    (go test -bench (Cat|Ls)10k; the metrics
#    are median wall times in ms).
# 2. redis-benchmark SET/GET (-P 1) against a mounted redisfs, idle and
#    while a `grep -r` loop runs over the mount: the file front end must
#    not starve the network one.
#
# Usage: scripts/fs-bench.sh   (ROUNDS=5 N=200000 by default; run as root
# for the cold cat, which drops the kernel's caches between rounds)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-5}
n=${N:-200000}
[ -e /dev/fuse ] || { echo "no /dev/fuse"; exit 0; }

echo "== cat and ls -l of 10,000 keys (median ms per cat, $rounds rounds)"
(cd "$root" && go test ./fs -run XXX -bench '(Cat|Ls)10k' -benchtime "${rounds}x") |
	grep Benchmark | sed 's/[[:space:]][[:space:]]*/ /g'

echo "== redis-benchmark -P 1 SET/GET, idle and during a grep -r loop"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/redisfs-bench.XXXXXX")
mnt=$tmp/mnt
pid=
gpid=
cleanup() {
	set +e
	if [ -n "$gpid" ]; then
		# The loop's running grep too, or it outlives the loop and
		# reads the mount while the server stops.
		kids=$(pgrep -P "$gpid")
		kill "$gpid" $kids 2>/dev/null
		wait "$gpid" 2>/dev/null
	fi
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
(cd "$root" && go build -o "$tmp/redisfs" ./cmd/redisfs)
"$tmp/redisfs" serve --port 0 --save '' --appendonly no --mount "$mnt" >"$tmp/log" 2>&1 &
pid=$!
until grep -q "Keyspace mounted" "$tmp/log" 2>/dev/null; do sleep 0.1; done
port=$(sed -n 's/.*Ready to accept connections tcp (.*:\([0-9][0-9]*\)).*/\1/p' "$tmp/log")
i=0
while [ $i -lt 10000 ]; do
	printf 'SET file:%d "line %d of some text to grep through"\n' $i $i
	i=$((i + 1))
done | redis-cli -p "$port" >/dev/null

bench() {
	redis-benchmark -p "$port" -t set,get -n "$n" -P 1 -c 50 --csv 2>/dev/null |
		awk -F, '/^"(SET|GET)"/ { gsub(/"/, ""); printf "%s %s  ", $1, $2 } END { print "" }'
}
idle=$(bench)
echo "idle:           $idle"
(while :; do grep -r -c 'line 4' "$mnt/0" >/dev/null; done) &
gpid=$!
sleep 1
busy=$(bench)
echo "during grep -r: $busy"
echo "$idle" "$busy" | awk '{ printf "ratio: SET %.2f  GET %.2f\n", $6 / $2, $8 / $4 }'
