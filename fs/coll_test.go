package fs

import (
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The collection forms: hashes, sets and sorted sets as directories, lists
// as files, written with ordinary tools and checked through TCP.

func TestHashDir(t *testing.T) {
	needTool(t, "redis-cli")
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		cli := `redis-cli -p ` + e.port() + ` `
		cl.str("HSET", "h", "f1", "v1")

		e.sh(`echo v > $M/0/h/f`)
		eq(t, "HGET after echo", cl.str("HGET", "h", "f"), "v\n")
		eq(t, "cat", e.sh(`cat $M/0/h/f`), "v\n")
		eq(t, "stat", e.sh(`stat -c '%F %s' $M/0/h/f`), "regular file 2\n")
		e.sh(`printf x >> $M/0/h/f`)
		eq(t, "HGET after >>", cl.str("HGET", "h", "f"), "v\nx")
		e.sh(`truncate -s 1 $M/0/h/f`)
		eq(t, "HGET after truncate", cl.str("HGET", "h", "f"), "v")
		e.sh(`echo over > $M/0/h/f1`)
		eq(t, "HGET after overwrite", cl.str("HGET", "h", "f1"), "over\n")
		eq(t, "ls", e.sh(`ls $M/0/h`), "f\nf1\n")
		eq(t, "size is HLEN", e.sh(`stat -c %s $M/0/h`), "2\n")

		// Create makes the field at once, empty; O_EXCL on an existing one.
		e.sh(`touch $M/0/h/empty`)
		eq(t, "touched field", cl.str("HEXISTS", "h", "empty")+cl.str("HSTRLEN", "h", "empty"), "10")
		if out, err := e.shErr(`set -C; echo x > $M/0/h/f`); err == nil || !strings.Contains(out, "exists") {
			t.Errorf("noclobber write over an existing field: %v %q", err, out)
		}
		eq(t, "unchanged", cl.str("HGET", "h", "f"), "v")

		// Changes through TCP show at the next cat and ls.
		e.sh(cli + `HSET h f changed >/dev/null`)
		eq(t, "cat after redis-cli HSET", e.sh(`cat $M/0/h/f`), "changed")
		cl.str("HSET", "h", "f3", "three")
		eq(t, "ls after HSET", e.sh(`ls $M/0/h`), "empty\nf\nf1\nf3\n")
		eq(t, "cat new field", e.sh(`cat $M/0/h/f3`), "three")
		cl.str("HDEL", "h", "f3")
		if out, err := e.shErr(`cat $M/0/h/f3`); err == nil {
			t.Errorf("cat of a field deleted by HDEL: %q", out)
		}

		// rm is HDEL, mv within the key HSET+HDEL.
		e.sh(`rm $M/0/h/empty`)
		eq(t, "rm", cl.str("HEXISTS", "h", "empty"), "0")
		e.sh(`mv $M/0/h/f1 $M/0/h/g`)
		eq(t, "mv", cl.str("HEXISTS", "h", "f1")+" "+cl.str("HGET", "h", "g"), "0 over\n")
		eq(t, "ls after mv", e.sh(`ls $M/0/h`), "f\ng\n")
		eq(t, "cat after mv", e.sh(`cat $M/0/h/g`), "over\n")

		// Field names are percent-encoded like key names.
		e.sh(`printf slash > "$M/0/h/a%2Fb"`)
		eq(t, "encoded field", cl.str("HGET", "h", "a/b"), "slash")
		cl.str("HSET", "h", "100%", "pc")
		eq(t, "ls encoded", e.sh(`ls $M/0/h`), "100%25\na%2Fb\nf\ng\n")
		eq(t, "cat encoded", e.sh(`cat "$M/0/h/100%25"`), "pc")

		// The key goes with its last field, and the directory with it.
		e.sh(`rm $M/0/h/*`)
		eq(t, "EXISTS after the last rm", cl.str("EXISTS", "h"), "0")
		eq(t, "ls after the last rm", e.sh(`ls $M/0`), "")
		if out, err := e.shErr(`ls $M/0/h`); err == nil {
			t.Errorf("the emptied directory is still there: %q", out)
		}

		// rm -r: HDELs, then an rmdir that succeeds.
		cl.str("HSET", "r", "a", "1", "b", "2", "c", "3")
		e.sh(`rm -r $M/0/r`)
		eq(t, "rm -r", cl.str("EXISTS", "r"), "0")
		eq(t, "ls after rm -r", e.sh(`ls $M/0`), "")

		// A string is no directory; a hash is no file.
		cl.str("SET", "s", "v")
		if _, err := e.shErr(`echo x > $M/0/s/f`); err == nil {
			t.Error("created a field under a string")
		}
		cl.str("HSET", "h2", "f", "v")
		if _, err := e.shErr(`echo x > $M/0/h2`); err == nil {
			t.Error("wrote over a hash")
		}
		if _, err := e.shErr(`mkdir $M/0/h2/sub`); err == nil {
			t.Error("mkdir inside a hash")
		}
		// Across keys, mv copies.
		cl.str("HSET", "h3", "x", "y")
		e.sh(`mv $M/0/h2/f $M/0/h3/f`)
		eq(t, "mv across keys", cl.str("HGET", "h3", "f")+" "+cl.str("EXISTS", "h2"), "v 0")
	})
}

func TestSetDir(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		cl.str("SADD", "s", "x")
		e.sh(`touch $M/0/s/a $M/0/s/b`)
		eq(t, "SMEMBERS", sortedReply(cl, "SMEMBERS", "s"), "a,b,x")
		eq(t, "ls", e.sh(`ls $M/0/s`), "a\nb\nx\n")
		eq(t, "stat", e.sh(`stat -c '%F %s' $M/0/s/a`), "regular empty file 0\n")
		e.sh(`touch $M/0/s/a`) // existing: no change
		e.sh(`rm $M/0/s/x`)
		eq(t, "rm is SREM", sortedReply(cl, "SMEMBERS", "s"), "a,b")
		if _, err := e.shErr(`echo data > $M/0/s/a`); err == nil {
			t.Error("wrote content into a set member")
		}
		eq(t, "still a member", cl.str("SISMEMBER", "s", "a"), "1")
		e.sh(`: > $M/0/s/a; cat $M/0/s/a`)
		e.sh(`mv $M/0/s/a $M/0/s/c`)
		eq(t, "mv is SADD+SREM", sortedReply(cl, "SMEMBERS", "s"), "b,c")
		// A member with a '/' in it.
		e.sh(`touch "$M/0/s/a%2Fb"`)
		eq(t, "encoded member", cl.str("SISMEMBER", "s", "a/b"), "1")
		cl.str("SADD", "s", "new")
		eq(t, "ls after SADD", e.sh(`ls $M/0/s`), "a%2Fb\nb\nc\nnew\n")
		e.sh(`rm -r $M/0/s`)
		eq(t, "rm -r", cl.str("EXISTS", "s"), "0")
	})
}

func TestZSetDir(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		cl.str("ZADD", "z", "1", "a", "2", "b")
		e.sh(`echo 3.5 > $M/0/z/m`)
		eq(t, "ZSCORE new", cl.str("ZSCORE", "z", "m"), "3.5")
		eq(t, "cat", e.sh(`cat $M/0/z/m`), "3.5")
		e.sh(`echo 0.5 > $M/0/z/b`)
		eq(t, "ZSCORE updated", cl.str("ZSCORE", "z", "b"), "0.5")
		eq(t, "ls -U in score order", e.sh(`ls -U $M/0/z`), "b\na\nm\n")
		cl.str("ZADD", "z", "0.1", "t")
		eq(t, "cat in Redis's format", e.sh(`cat $M/0/z/t`), "0.10000000000000001")

		// A bad score fails the close and changes nothing.
		e.sh(`echo notanumber > $W/bad; echo 7 > $W/seven`)
		if out, err := e.shErr(`cp $W/bad $M/0/z/a`); err == nil || !strings.Contains(out, "Invalid argument") {
			t.Errorf("a bad score was accepted: %v %q", err, out)
		}
		eq(t, "unchanged", cl.str("ZSCORE", "z", "a"), "1")
		if _, err := e.shErr(`cp $W/bad $M/0/z/newbad`); err == nil {
			t.Error("a new member with a bad score was accepted")
		}
		eq(t, "not added", cl.str("ZSCORE", "z", "newbad"), "(nil)")
		// The shell flushes "> file" before echo writes: still no change.
		e.sh(`echo bad > $M/0/z/newbad2 || true`)
		eq(t, "not added by the shell", cl.str("ZSCORE", "z", "newbad2"), "(nil)")
		e.sh(`echo bad > $M/0/z/a || true; : > $M/0/z/a`)
		eq(t, "unchanged by the shell", cl.str("ZSCORE", "z", "a"), "1")
		eq(t, "ls", e.sh(`ls $M/0/z`), "a\nb\nm\nt\n")
		e.sh(`cp $W/seven $M/0/z/seven`)
		eq(t, "cp new member", cl.str("ZSCORE", "z", "seven"), "7")

		// touch adds with score 0; rm is ZREM; mv keeps the score.
		e.sh(`touch $M/0/z/zero`)
		eq(t, "touch", cl.str("ZSCORE", "z", "zero"), "0")
		e.sh(`rm $M/0/z/a`)
		eq(t, "rm", cl.str("ZSCORE", "z", "a"), "(nil)")
		e.sh(`mv $M/0/z/m $M/0/z/moved`)
		eq(t, "mv", cl.str("ZSCORE", "z", "moved")+" "+cl.str("ZSCORE", "z", "m"), "3.5 (nil)")
		cl.str("ZADD", "z", "-1", "first")
		eq(t, "ls -U after ZADD", e.sh(`ls -U $M/0/z`), "first\nzero\nt\nb\nmoved\nseven\n")
		e.sh(`rm -r $M/0/z`)
		eq(t, "rm -r", cl.str("EXISTS", "z"), "0")
	})
}

func TestListFile(t *testing.T) {
	needTool(t, "redis-cli")
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		cli := `redis-cli -p ` + e.port() + ` `
		cl.str("RPUSH", "l", "a", "b\nc", `d\e`, "")
		want := "a\nb\\nc\nd\\\\e\n\n"
		eq(t, "cat with escapes", e.sh(`cat $M/0/l`), want)
		eq(t, "size", e.sh(`stat -c %s $M/0/l`), strconv.Itoa(len(want))+"\n")

		// >> pushes each line, a last partial one too, in one RPUSH.
		e.sh(`printf 'x\ny' >> $M/0/l`)
		eq(t, "LRANGE after >>", listReply(cl, "l"), "a|b\nc|d\\e||x|y")
		// > replaces, escapes parsed back; the TTL stays.
		cl.str("EXPIRE", "l", "100")
		e.sh(`printf 'p\nq\\nr\\\\s\n' > $M/0/l`)
		eq(t, "LRANGE after >", listReply(cl, "l"), "p|q\nr\\s")
		if ttl, _ := strconv.Atoi(cl.str("TTL", "l")); ttl <= 0 {
			t.Errorf("replacing the list dropped the TTL: %d", ttl)
		}
		eq(t, "round trip", e.sh(`cat $M/0/l`), "p\nq\\nr\\\\s\n")

		// Changes through TCP show at the next cat.
		e.sh(cli + `RPUSH l more >/dev/null`)
		eq(t, "cat after redis-cli RPUSH", e.sh(`cat $M/0/l`), "p\nq\\nr\\\\s\nmore\n")

		// truncate, and emptying deletes the key.
		e.sh(`truncate -s 2 $M/0/l`)
		eq(t, "truncate", listReply(cl, "l"), "p")
		if ttl, _ := strconv.Atoi(cl.str("TTL", "l")); ttl <= 0 {
			t.Errorf("truncate dropped the TTL: %d", ttl)
		}
		e.sh(`: > $M/0/l`)
		eq(t, "emptied", cl.str("EXISTS", "l"), "0")

		// A string turned into a list.
		e.sh(`printf 'one\ntwo\n' > $M/0/nl`)
		cl.str("EXPIRE", "nl", "100")
		e.sh(`setfattr -n user.redis.type -v list $M/0/nl`)
		eq(t, "converted", cl.str("TYPE", "nl")+" "+listReply(cl, "nl"), "list one|two")
		if ttl, _ := strconv.Atoi(cl.str("TTL", "nl")); ttl <= 0 {
			t.Errorf("the conversion dropped the TTL: %d", ttl)
		}
		eq(t, "cat converted", e.sh(`cat $M/0/nl; getfattr --only-values -n user.redis.type $M/0/nl`), "one\ntwo\nlist")
		e.sh(`echo three >> $M/0/nl`)
		eq(t, ">> after conversion", listReply(cl, "nl"), "one|two|three")
		e.sh(`touch $M/0/empty`)
		if _, err := e.shErr(`setfattr -n user.redis.type -v list $M/0/empty`); err == nil {
			t.Error("an empty string became a list")
		}
	})
}

func TestPendingDirs(t *testing.T) {
	needTool(t, "getfattr", "setfattr")
	modes(t, func(t *testing.T, e *env) {
		cl := e.client()
		e.sh(`mkdir $M/0/d`)
		eq(t, "not a key", cl.str("DBSIZE"), "0")
		eq(t, "listed", e.sh(`ls $M/0; stat -c %F $M/0/d; ls -A $M/0/d`), "d\ndirectory\n")
		eq(t, "default type", e.sh(`getfattr --only-values -n user.redis.type $M/0/d`), "hash")
		e.sh(`setfattr -n user.redis.type -v set $M/0/d`)
		eq(t, "type set", e.sh(`getfattr --only-values -n user.redis.type $M/0/d`), "set")
		if _, err := e.shErr(`setfattr -n user.redis.type -v list $M/0/d`); err == nil {
			t.Error("a pending directory took type list")
		}
		e.sh(`touch $M/0/d/m`)
		eq(t, "SADD", cl.str("TYPE", "d")+" "+sortedReply(cl, "SMEMBERS", "d"), "set m")
		eq(t, "type", e.sh(`getfattr --only-values -n user.redis.type $M/0/d`), "set")

		e.sh(`mkdir $M/0/h && echo v > $M/0/h/f`)
		eq(t, "hash by default", cl.str("TYPE", "h")+" "+cl.str("HGET", "h", "f"), "hash v\n")

		e.sh(`mkdir $M/0/z && setfattr -n user.redis.type -v zset $M/0/z && echo 2 > $M/0/z/m`)
		eq(t, "zset", cl.str("TYPE", "z")+" "+cl.str("ZSCORE", "z", "m"), "zset 2")

		// A bad first score leaves the directory pending.
		e.sh(`mkdir $M/0/z2 && setfattr -n user.redis.type -v zset $M/0/z2 && echo x > $W/bad`)
		if _, err := e.shErr(`cp $W/bad $M/0/z2/m`); err == nil {
			t.Error("a bad score was accepted")
		}
		eq(t, "still pending", cl.str("EXISTS", "z2")+e.sh(`ls $M/0/z2`), "0")

		// rmdir of an empty (pending) directory, of a full one (one DEL).
		e.sh(`rmdir $M/0/z2`)
		eq(t, "ls after rmdir", e.sh(`ls $M/0`), "d\nh\nz\n")
		cl.str("HSET", "h", "g", "w")
		e.sh(`rmdir $M/0/h`)
		eq(t, "rmdir is DEL", cl.str("EXISTS", "h"), "0")
		e.sh(`mkdir $M/0/e && rm -r $M/0/e $M/0/d`)
		eq(t, "rm -r", cl.str("EXISTS", "d")+e.sh(`ls $M/0`), "0z\n")

		// mkdir of an existing name; a key created by a client.
		if _, err := e.shErr(`mkdir $M/0/z`); err == nil {
			t.Error("mkdir over an existing key")
		}
		e.sh(`mkdir $M/0/p`)
		cl.str("SADD", "p", "viaclient")
		eq(t, "created by a client", e.sh(`ls $M/0/p; getfattr --only-values -n user.redis.type $M/0/p`), "viaclient\nset")
		cl.str("DEL", "p")
		if out, err := e.shErr(`ls $M/0/p`); err == nil {
			t.Errorf("a pending directory came back after its key went: %q", out)
		}

		// Renaming a pending directory; mkdir after an emptying rm.
		e.sh(`mkdir $M/0/q && mv $M/0/q $M/0/q2`)
		eq(t, "renamed", e.sh(`ls $M/0`), "q2\nz\n")
		e.sh(`rm $M/0/z/m && mkdir $M/0/z && touch $M/0/z/n`)
		eq(t, "remade", cl.str("TYPE", "z"), "hash")
	})
}

// sortedReply returns an array reply's elements, sorted, joined by commas.
func sortedReply(cl *client, args ...string) string {
	cl.t.Helper()
	r := cl.do(args...)
	var s []string
	for i := range r.Elems {
		s = append(s, string(r.Elems[i].Str))
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// listReply returns LRANGE key 0 -1 joined by '|'.
func listReply(cl *client, key string) string {
	cl.t.Helper()
	r := cl.do("LRANGE", key, "0", "-1")
	var s []string
	for i := range r.Elems {
		s = append(s, string(r.Elems[i].Str))
	}
	return strings.Join(s, "|")
}
