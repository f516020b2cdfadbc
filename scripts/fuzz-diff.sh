#!/usr/bin/env bash
# fuzz-diff.sh — the randomized differential test (core/difftest) for longer
# than the default `go test` run: COUNT commands (default 100000) generated
# from SEED (default: from the clock, printed), against a real redis-server
# and ours. Every mismatch is printed shrunk, as a transcript to replay.
#
#   scripts/fuzz-diff.sh [SEED [COUNT]]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seed=${1:-$(date +%s)}
count=${2:-100000}
echo "fuzz-diff: seed $seed, $count commands" >&2
DIFFTEST_SEED=$seed DIFFTEST_COUNT=$count exec go test ./core/difftest -run '^TestDiffLong$' -count=1 -v -timeout 0
