#!/bin/sh
# fs-scenario.sh — the file front end, used as a user would.
#
# Builds redisfs, serves it on a free port with the keyspace mounted in a
# temporary directory, changes keys with ordinary shell tools (echo, cat,
# ls, stat, rm, mv, truncate, touch, cp, mkdir, rmdir, sed -i, grep -r,
# find, getfattr, setfattr, vim -es, the ctl file) and checks every result
# through redis-cli as well; then stops the server with SIGTERM and checks
# that it unmounted. Prints one line per check and exits non-zero if any
# failed.
#
# Usage: scripts/fs-scenario.sh            (from anywhere in the repository)
# Needs: go, fuse3 (/dev/fuse; fusermount3 when not root), redis-cli, attr,
# and optionally vim.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/redisfs-scenario.XXXXXX")
mnt=$tmp/mnt
pid=

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if grep -q " $mnt " /proc/self/mounts 2>/dev/null; then
		fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

[ -e /dev/fuse ] || { echo "no /dev/fuse: skipping"; exit 0; }

echo "building redisfs"
(cd "$root" && go build -o "$tmp/redisfs" ./cmd/redisfs) || exit 1

"$tmp/redisfs" serve --port 0 --save '' --appendonly no --mount "$mnt" >"$tmp/log" 2>&1 &
pid=$!
i=0
until grep -q "Keyspace mounted" "$tmp/log"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "the server did not come up:"
		cat "$tmp/log"
		exit 1
	fi
	sleep 0.1
done
port=$(sed -n 's/.*Ready to accept connections tcp (.*:\([0-9][0-9]*\)).*/\1/p' "$tmp/log")
echo "redisfs on port $port, keyspace on $mnt"

cli() { redis-cli -p "$port" "$@"; }

pass=0
fail=0
# check NAME GOT WANT
check() {
	if [ "$2" = "$3" ]; then
		pass=$((pass + 1))
		echo "ok    $1"
	else
		fail=$((fail + 1))
		echo "FAIL  $1"
		printf '      got:  %s\n      want: %s\n' "$2" "$3"
	fi
}

db=$mnt/0

# Strings are files.
cli SET greeting hello >/dev/null
check "cat shows a SET"            "$(cat "$db/greeting")" "hello"
echo "bonjour" > "$db/greeting"
check "echo > is a SET"            "$(cli GET greeting)" "bonjour"
check "stat size is STRLEN"        "$(stat -c %s "$db/greeting")" "$(cli STRLEN greeting)"
printf 'tout le monde' >> "$db/greeting"
check ">> is an APPEND"            "$(cli GET greeting)" "bonjour
tout le monde"
truncate -s 7 "$db/greeting"
check "truncate"                   "$(cli GET greeting)" "bonjour"
touch "$db/empty"
check "touch creates an empty key" "$(cli EXISTS empty) $(cli STRLEN empty)" "1 0"
check "ls lists the keys"          "$(ls "$db" | tr '\n' ' ')" "empty greeting "

# Changes made through TCP are seen at once.
cli SET greeting salut >/dev/null
check "next cat sees redis-cli"    "$(cat "$db/greeting")" "salut"
check "next stat sees redis-cli"   "$(stat -c %s "$db/greeting")" "5"
cli DEL empty >/dev/null
check "next ls sees a DEL"         "$(ls "$db")" "greeting"

# Copies, renames, deletions.
printf 'line one\nline two\n' > "$tmp/file"
cp "$tmp/file" "$db/copied"
check "cp into the mount"          "$(cli GET copied)" "line one
line two"
cp "$db/greeting" "$tmp/out"
check "cp out of the mount"        "$(cat "$tmp/out")" "salut"
mv "$db/copied" "$db/moved"
check "mv is a RENAME"             "$(cli EXISTS copied) $(cli GET moved | head -1)" "0 line one"
mv "$db/moved" "$mnt/1/moved"
check "mv across dbs is a MOVE"    "$(cli EXISTS moved) $(cli -n 1 EXISTS moved)" "0 1"
rm "$mnt/1/moved"
check "rm is an UNLINK"            "$(cli -n 1 EXISTS moved)" "0"

# Tools.
cli SET conf "port 6379
bind 127.0.0.1" >/dev/null
sed -i 's/6379/7000/' "$db/conf"
check "sed -i"                     "$(cli GET conf | head -1)" "port 7000"
check "grep -r"                    "$(grep -rl 'bind' "$mnt/0" | sed "s|$mnt/||")" "0/conf"
check "find"                       "$(find "$mnt/0" -type f -name 'g*' | sed "s|$mnt/||")" "0/greeting"
check "sed -i left no temp key"    "$(cli DBSIZE)" "2"
if command -v vim >/dev/null; then
	vim -es -u NONE -i NONE -c '%s/bind/listen/' -c 'wq' "$db/conf"
	check "vim -es edits a key"    "$(cli GET conf | grep -c '^listen 127.0.0.1$')" "1"
	check "vim left no key behind" "$(cli DBSIZE)" "2"
fi

# Metadata as extended attributes.
check "user.redis.type"            "$(getfattr --absolute-names --only-values -n user.redis.type "$db/conf")" "string"
check "user.redis.encoding"        "$(getfattr --absolute-names --only-values -n user.redis.encoding "$db/conf")" "$(cli OBJECT ENCODING conf)"
setfattr -n user.redis.ttl -v 300 "$db/conf"
ttl=$(cli TTL conf)
check "setfattr ttl is an EXPIRE"  "$([ "$ttl" -gt 290 ] && [ "$ttl" -le 300 ] && echo yes)" "yes"
echo "port 1" > "$db/conf"
ttl=$(cli TTL conf)
check "writing keeps the TTL"      "$([ "$ttl" -gt 0 ] && echo yes)" "yes"
setfattr -x user.redis.ttl "$db/conf"
check "removing ttl is a PERSIST"  "$(cli TTL conf)" "-1"

# Collections: hashes, sets and sorted sets are directories, lists files.
c=$mnt/5
cli -n 5 HSET user name alice >/dev/null
check "cat of a hash field"        "$(cat "$c/user/name")" "alice"
echo paris > "$c/user/city"
check "echo > field is an HSET"    "$(cli -n 5 HGET user city)" "paris"
check "ls of a hash is HKEYS"      "$(ls "$c/user" | tr '\n' ' ')" "city name "
cli -n 5 HSET user name bob >/dev/null
check "cat sees redis-cli HSET"    "$(cat "$c/user/name")" "bob"
rm "$c/user/city"
check "rm of a field is an HDEL"   "$(cli -n 5 HEXISTS user city)" "0"
mkdir "$c/tags"
setfattr -n user.redis.type -v set "$c/tags"
touch "$c/tags/red" "$c/tags/blue"
check "mkdir, setfattr, touch: a set" "$(cli -n 5 TYPE tags) $(cli -n 5 SCARD tags)" "set 2"
mkdir "$c/board"
setfattr -n user.redis.type -v zset "$c/board"
echo 20 > "$c/board/bob"
echo 10 > "$c/board/ann"
check "a sorted set lists by score" "$(ls -U "$c/board" | tr '\n' ' ')" "ann bob "
check "a member holds its score"   "$(cat "$c/board/bob")" "20"
cli -n 5 RPUSH queue one "two
lines" >/dev/null
check "a list: a line per element" "$(cat "$c/queue")" 'one
two\nlines'
printf 'three\n' >> "$c/queue"
check ">> on a list is an RPUSH"   "$(cli -n 5 LINDEX queue -1)" "three"
rm -r "$c/tags"
check "rm -r of a set"             "$(cli -n 5 EXISTS tags)" "0"
rmdir "$c/board"
check "rmdir is one DEL"           "$(cli -n 5 EXISTS board)" "0"

# Editor scratch files stay out of the keyspace.
touch "$db/.conf.swp"
check "dot files are scratch"      "$(cli DBSIZE) $(ls -A "$db" | grep -c '^\.conf\.swp$')" "2 1"
rm "$db/.conf.swp"

# Everyday tools (issue 12): sed -i keeps a list and its TTL, rsync into a
# hash (twice: the second sends nothing), statfs below the root, a score
# that is no number fails the write.
cli RPUSH todo milk eggs >/dev/null
cli EXPIRE todo 1000 >/dev/null
sed -i 's/eggs/bread/' "$db/todo"
check "sed -i keeps a list"        "$(cli TYPE todo) $(cli LRANGE todo 0 -1 | tr '\n' ' ')" "list milk bread "
check "sed -i keeps the TTL"       "$([ "$(cli TTL todo)" -gt 0 ] && echo yes)" "yes"
if command -v rsync >/dev/null 2>&1; then
	mkdir -p "$tmp/tree"
	printf 'one\n' > "$tmp/tree/a"
	printf 'two\n' > "$tmp/tree/b"
	rsync -a "$tmp/tree/" "$db/synced/"
	check "rsync -a into a hash"   "$(cli HGET synced a) $(cli HGET synced b)" "one two"
	check "a second rsync sends nothing" \
		"$(rsync -a --stats "$tmp/tree/" "$db/synced/" | grep 'regular files transferred')" \
		"Number of regular files transferred: 0"
fi
check "statfs below the root"      "$(stat -f -c %l "$db/todo")" "255"
if bash -c "mkdir '$db/z'; setfattr -n user.redis.type -v zset '$db/z'; echo 1 > '$db/z/m'; echo blue > '$db/z/m'" 2>/dev/null; then r=ok; else r=failed; fi
check "echo non-number > score fails" "$r $(cli ZSCORE z m)" "failed 1"

# The ctl file: a conversation per open.
echo 'SET viactl yes' > "$mnt/ctl"
check "echo > ctl"                 "$(cli GET viactl)" "yes"
exec 3<>"$mnt/ctl"
echo 'INCR counter' >&3
check "ctl conversation"           "$(head -1 <&3)" "1"
printf 'SELECT 3\nSET indb3 x\n' >&3
exec 3>&-
check "SELECT inside ctl"          "$(cli -n 3 GET indb3)" "x"
if echo 'NOSUCHCOMMAND' > "$mnt/ctl" 2>/dev/null; then r=ok; else r=failed; fi
check "an error reply fails the write" "$r" "failed"
check "info"                       "$(head -1 "$mnt/info" | tr -d '\r')" "# Server"

# SIGTERM unmounts and exits 0.
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM exits 0"            "$rc" "0"
if grep -q " $mnt " /proc/self/mounts; then m=mounted; else m=unmounted; fi
check "SIGTERM unmounts"           "$m" "unmounted"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
