#!/usr/bin/env bash
# test.sh — redisfs's whole test run, as CI runs it (.ci/run calls it).
#
# On a fresh Debian 12 machine, as root, it installs what the tests need
# (the real redis-server and redis-cli that the differential tests compare
# against, fuse3 for the mount, vim and attr for the file tests), makes sure
# no system redis-server service is left running, then runs go vet, the
# whole test suite with the race detector, and a bounded fuzz run of the
# request parser. It exits non-zero if any step fails, after running all of
# them so that one run shows every failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/usr/local/go/bin"

step() { printf '\n=== %s\n' "$*"; }

install_packages() {
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "test.sh: not root or no apt-get: skipping package installation" >&2
		return 0
	fi
	step "apt-get install redis-server redis-tools fuse3 vim attr rsync python3"
	export DEBIAN_FRONTEND=noninteractive
	# policy-rc.d exiting 101 keeps apt from starting services: the tests
	# start their own redis-server on free ports.
	local policy=/usr/sbin/policy-rc.d created=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		created=1
	fi
	local rc=0
	apt-get update -qq || rc=$?
	if [ "$rc" -eq 0 ]; then
		apt-get install -y -qq -o Dpkg::Use-Pty=0 redis-server redis-tools fuse3 vim attr rsync python3 >/dev/null || rc=$?
	fi
	if [ -n "$created" ]; then
		rm -f "$policy"
	fi
	if [ "$rc" -ne 0 ]; then
		# Without the registry, go on if what the tests need is there.
		local bin
		for bin in redis-server redis-cli fusermount3 vim getfattr; do
			command -v "$bin" >/dev/null 2>&1 || return "$rc"
		done
		echo "test.sh: apt-get failed ($rc), but every package is installed already" >&2
	fi
	return 0
}

# stop_system_redis stops the redis-server of the Debian service, if one
# runs, and keeps it from starting at boot. It touches only the service's
# own process (its pid file), never other redis-servers.
stop_system_redis() {
	if [ "$(id -u)" -ne 0 ]; then
		return 0
	fi
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		if systemctl is-active --quiet redis-server 2>/dev/null; then
			echo "test.sh: stopping the redis-server service"
			systemctl stop redis-server || true
		fi
		systemctl disable --quiet redis-server 2>/dev/null || true
	fi
	local pidfile=/run/redis/redis-server.pid pid
	if [ -s "$pidfile" ]; then
		pid=$(cat "$pidfile")
		if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/bin/redis-server ]; then
			echo "test.sh: stopping the redis-server service (pid $pid)"
			if [ -x /etc/init.d/redis-server ]; then
				/etc/init.d/redis-server stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
			else
				kill "$pid" 2>/dev/null || true
			fi
		fi
	fi
	if command -v update-rc.d >/dev/null 2>&1 && [ -x /etc/init.d/redis-server ]; then
		update-rc.d redis-server disable >/dev/null 2>&1 || true
	fi
}

failed=()
run() {
	local name=$1
	shift
	step "$name"
	if ! "$@"; then
		failed+=("$name")
	fi
}

run "install packages" install_packages
stop_system_redis
for bin in redis-server redis-cli go; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "test.sh: $bin not found" >&2
		failed+=("$bin missing")
	fi
done
command -v redis-server >/dev/null 2>&1 && redis-server --version
go version

run "go vet ./..." go vet ./...
run "go test -race ./..." go test -race -count=1 -timeout 20m ./...
run "scripts/fs-scenario.sh" scripts/fs-scenario.sh
run "fuzz FuzzReadCommand 30s" go test -run '^$' -fuzz FuzzReadCommand -fuzztime 30s ./core/proto/

if [ ${#failed[@]} -gt 0 ]; then
	printf '\ntest.sh: FAILED: %s\n' "${failed[*]}"
	exit 1
fi
printf '\ntest.sh: all steps passed\n'
