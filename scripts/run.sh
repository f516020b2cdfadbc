#!/usr/bin/env bash
# run.sh: set up a fresh Debian machine and run redisfs on its defaults:
# RESP on 127.0.0.1:6379 and the keyspace mounted at ./mnt (MOUNT= to change).
# Extra arguments go to `redisfs serve` (e.g. --port 7000 --save '' --appendonly no).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v fusermount3 >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fuse3 >/dev/null
  else
    echo "run.sh: fuse3 is missing: sudo apt-get install fuse3" >&2
  fi
fi
export PATH=$PATH:/usr/local/go/bin
go build -o ./redisfs ./cmd/redisfs
mount=${MOUNT:-./mnt}
mkdir -p "$mount"
exec ./redisfs serve --mount "$mount" "$@"
