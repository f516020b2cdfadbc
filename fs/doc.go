// Package fs is redisfs's file front end: it mounts a keyspace with FUSE
// (github.com/hanwen/go-fuse/v2). It reaches the keyspace only through an
// engine (package fs/engine): run a job of commands atomically, be told
// which keys changed, hold client conversations. redisfs mounts its own
// keyspace, next to the RESP server, in the same process and on the same
// event loop, through fs/local's engine; a remote Redis is meant to be
// another engine under the same code (see fs/engine).
//
//	MOUNT/ctl             each open is a conversation: a client of its own
//	MOUNT/info            the text of INFO, read-only
//	MOUNT/clients         the text of CLIENT LIST, read-only
//	MOUNT/monitor         MONITOR: cat streams the commands the server runs
//	MOUNT/pubsub/CHANNEL  cat subscribes, echo publishes (neither is listed)
//	MOUNT/0 … N-1         one directory per database, one entry per key
//
// # One command path
//
// go-fuse serves requests on goroutines of its own; none of them touches
// the keyspace or the server's state. A file operation hands a job to the
// engine (engine.Engine.Do) and waits for it; the job runs commands by
// their argv (engine.Tx.Call) and gets each reply decoded. The embedded
// engine (fs/local) runs the job on the loop, on an internal client, with
// cmds.Client.RunArgv — processCommand, the path a command parsed from a
// TCP client's bytes takes, without encoding it first — and decodes each
// reply once, in place, as Redis's scripting reads its fake client's
// replies. Arity checks, statistics, keyspace notifications, WATCH and
// propagation therefore apply to file operations as to any client.
// Commands of one job are atomic: nothing else runs meanwhile.
// Operations that touch no server state take no job: reads served from
// what an open already holds, flush and release of read-only opens, the
// scratch area.
//
// # Files
//
// A string is a regular file (mode 0644, size = STRLEN). An open for
// reading takes a snapshot of the value when it opens and serves its reads
// from it; a read from the start, or past the snapshot's end, after the
// key changed fetches again, so a value rewritten reads as a file
// rewritten in place does and `tail -f` follows a value that grows. When
// the key is gone (DEL, expiry), an open keeps reading, and fstat keeps
// answering, what it has, as a descriptor of an unlinked file does. An
// open for writing works on a private copy committed at flush, close or
// fsync as one SET key value KEEPTTL (so `echo v > key` keeps a TTL; a
// key deleted meanwhile is recreated); O_APPEND writes are committed as
// one APPEND; O_TRUNC, ftruncate and truncate(1) work (truncate of a
// closed file is GET and SET … KEEPTTL in one job; of a file open for
// writing, a truncation of the opens' private copies). While a file has
// opens for writing, every attribute answer for it — LOOKUP, READDIRPLUS,
// GETATTR with or without a file handle — reports the size and the
// modification time those opens see (writers.go): the kernel applies the
// size of any of them to the open file, and a stale one would move the
// writer's end of file. Create is SET key "" NX (O_EXCL on an
// existing key is EEXIST), unlink is UNLINK, rename is one RENAME
// (RENAMENX for RENAME_NOREPLACE). Rename across database directories has
// MOVE semantics: the key keeps its name and moves with MOVE (a key of that
// name in the target database is unlinked first, in the same job); a rename
// to another name across databases fails with EXDEV, so mv falls back to
// copy and unlink.
//
// Hashes, sets and sorted sets are directories of their fields or members,
// named as keys are (a member "a/b" is a%2Fb); a sorted set lists in score
// order. A hash field's file holds its value: cat is HGET, and a write
// works on a private copy committed at close as one HSET (O_TRUNC,
// O_APPEND and ftruncate work on the copy); create is HSET field ""
// (O_EXCL on an existing field is EEXIST). A set member's file is empty:
// create (touch) is SADD, and writing content into it fails with EPERM. A
// sorted set member's file holds its score as ZSCORE gives it: writing a
// number is ZADD at close, a member created without content scores 0, and
// content that is not a number fails with EINVAL and changes nothing: at
// the write that ends it with a newline or a space (`echo blue > z/m`
// fails in the shell), at the close otherwise. unlink is HDEL, SREM or ZREM; rename within one key adds the
// new name and removes the old one in one job (HSET+HDEL, SADD+SREM,
// ZADD+ZREM), and across keys fails with EXDEV (mv copies). The key goes
// with its last member, and its directory with it.
//
// mkdir in a database directory makes an empty collection directory,
// which the file server holds outside the keyspace (Redis has no empty
// collections; it is kept in memory, per mount, and not persisted) until
// the first file made in it creates the key: a hash, unless
// `setfattr -n user.redis.type -v set|zset DIR` chose another type first.
// A key created by any client under its name replaces it. rmdir of a
// collection is one DEL, however many members it has; rm -r instead
// unlinks the members one by one (the kernel never sends one rmdir for a
// whole tree), and its final rmdir of the directory its last unlink
// emptied succeeds. FLUSHDB and FLUSHALL remove the empty directories of
// the databases they empty. A file cannot be made in a directory that
// does not exist, so a collection's first member through the mount needs
// its mkdir first (README's examples).
//
// Lists are files with one element per line; an open for reading keeps a
// snapshot of the rendering as a string's does (tail -f follows RPUSH). An element holding a newline
// or a backslash is written with the escapes \n and \\, and what is written
// is parsed back with them; every line is an element, the last one even
// without its newline. O_APPEND (`echo x >> list`) pushes the lines
// written with one RPUSH at close; any other write replaces the list in
// one job at close (RPUSH of the new elements and LTRIM of the old ones,
// so that a push refused for memory changes nothing and the TTL stays),
// and empty content deletes the key. A list is created with RPUSH (through
// ctl), or from a file: write its lines to a new key, then
// `setfattr -n user.redis.type -v list FILE` turns the string into a list.
// Streams are files with one entry per line ("ID field value …", escaped
// as said in stream.go); a line appended is an XADD, truncating to 0 an
// XTRIM MAXLEN 0.
//
// Metadata shows as extended attributes: user.redis.type (settable only as
// said above), user.redis.encoding and user.redis.ttl (seconds; present
// while the key has a TTL; setting it is EXPIRE, removing it PERSIST).
//
// Modification times are settable (touch -d, rsync -a, cp -a) and kept
// in memory while the server runs, for keys and for members, until the
// next change (mtime.go); a rename of a scratch file keeps its time, so a
// second rsync -a of an unchanged tree sends nothing. Mode and owner are
// fixed (0644 files, 0755 directories, the mounting user's): chmod and
// chown are accepted and change nothing.
//
// The modification time of a key is its last change, kept on the loop from
// the keyspace events (engine.Watcher.KeyChanged) for the keys the file
// server has nodes for (and up to 64Ki keys seen before); any other
// key reports the time of the last change to such an unseen key of its
// database, an upper bound of its real one. OBJECT IDLETIME was not used:
// it measures the last access, and a read through the mount would move it.
//
// Key names are binary, file names are not: '/', NUL and other control
// bytes, DEL, bytes outside valid UTF-8 and '%' are written %XX, as is a
// leading '.'; the empty key is "%". Only canonical names are accepted, so
// each key has exactly one name. Names beginning with '.' created through
// the mount live in a per-mount, per-directory scratch area in memory (vim's
// swap files, editors' and rsync's temporary files), in database and
// collection directories alike, and never reach the keyspace; a scratch
// file renamed onto a key name becomes the key's content as a write of its
// file would make it (a list's lines, a string's value, a member's value
// or score), and the key keeps its type and its TTL: so does a key renamed
// onto a list or a string (sed -i's temporary file; overwrite.go). A key
// whose name is longer than 255 bytes is left out of listings, logged once,
// and reachable through ctl.
//
// A write whose failure is knowable then fails at write(2) or ftruncate
// rather than at close, which shells ignore: past proto-max-bulk-len
// (EFBIG, and the open commits nothing), a score that is no number
// (EINVAL), content in a set member (EPERM). Only the commit can tell of
// a command refused for memory (OOM → ENOSPC), a limit lowered after the
// write, or a key whose type changed meanwhile: those fail the close and
// fsync. A refused commit leaves no trace: the key keeps its value, and
// the kernel drops the attributes and pages of what was refused.
//
// Errors map as: WRONGTYPE → EISDIR, ENOTDIR or EPERM as fits the
// operation; OOM → ENOSPC; NOAUTH/NOPERM → EACCES; other ERR → EINVAL;
// anything else → EIO. A panic in a handler or a job is logged and answers
// EIO.
//
// # ctl
//
// Each open of ctl is a client like a TCP connection (an
// engine.Conversation): write(2) sends the bytes (inline commands or
// RESP), which the engine runs as a socket read's, handing over each
// command's replies with its argv as it completes, so each reply is known
// to belong to its command; read(2) returns the
// replies rendered as redis-cli prints them when its output is not a
// terminal (proto.AppendCLI), a line per read (as a terminal in canonical
// mode), waits while a command is blocked (BLPOP) or the client is
// subscribed, and returns end-of-file when nothing is pending. A write
// with a command answered by an error fails with EINVAL (ERR) or EIO
// (other codes), the error text still readable; a protocol error ends the
// conversation. Closing the file frees the client.
//
// # Pub/sub, monitor and clients
//
// pubsub holds one file per channel, named as keys are (so "a/b" is
// a%2Fb). Every canonical name exists: opening one creates nothing. An
// open for reading is a subscriber, a client of its own that runs
// SUBSCRIBE CHANNEL like a connection (it shows in CLIENT LIST and PUBSUB
// NUMSUB); read(2) returns each message's payload followed by a newline, a
// line per read, and waits for the next message until the reader is
// interrupted (EINTR). Closing the file frees the client, which ends the
// subscription. An open for writing publishes: each complete line written
// is one PUBLISH CHANNEL LINE (without its newline), run when the write
// arrives, so `echo msg > pubsub/x` publishes "msg"; an unterminated last
// line is published when a descriptor of the open is closed (any copy of
// it: a child process that inherited it publishes it when it exits). A
// payload holding a newline can be published through ctl only. An open
// for both does both: `exec 3<>pubsub/x` hears its own messages. Pattern
// subscriptions are for ctl and TCP clients.
//
// monitor works the same way with MONITOR: each open is a monitoring
// client, and its reads return the lines redis-cli prints for MONITOR
// (without the first OK), file operations included. clients is CLIENT
// LIST as it was when the file was opened (the file server's internal
// clients are not listed; subscribers, monitors and ctl conversations
// are).
//
// Replies wait in the engine (the client's reply buffer: a Held
// conversation) until a read takes them, so a
// reader that does not keep up is treated as a TCP client that does not
// read: a subscriber is disconnected by client-output-buffer-limit pubsub,
// and a monitor by the limits of that same class (Redis puts monitors in
// the normal class, unlimited by default, but memory held for a file
// nobody reads has no bound otherwise), both checked by the server's one
// function (fs/local). After that its reads return end-of-file; the engine
// never waits for a reader.
//
// monitor and the channel files never end, so they are not listed (ls
// pubsub is empty; PUBSUB CHANNELS through ctl names the active
// channels): a walk of the whole mount (grep -r, rsync, find -exec cat)
// never waits in one, and they are there when named.
//
// statfs (df, stat -f, getconf NAME_MAX) answers the same at every node
// of the mount, from INFO: the size is maxmemory, or the machine's
// memory when there is none, the space used is used_memory, and the files
// in use are the keys of all databases.
//
// A CLIENT PAUSE holds file operations as it holds clients' commands: an
// operation is a job of commands that must run together, and it cannot
// tell beforehand whether one of them will write, so it waits out a WRITE
// pause as well as an ALL one. ctl conversations, subscribers and monitors
// are clients of their own and wait exactly as TCP clients do; info,
// clients and statfs, which only read the server's state, never wait.
//
// The network front end comes first: while clients other than the file
// server keep the engine busy (engine.Engine.Busy: over 5,000 commands a
// second on the embedded loop), an open
// through the mount waits a millisecond before it starts (yield.go), so
// that a grep -r over the mount cannot take the CPU the loop and its
// clients need.
//
// # Coherence
//
// Once any client holds the reply to a write, every later operation on
// the mount sees it. The kernel caches entries, attributes and pages of
// keys (Options CacheTimeout, 10s by default), and every change to a key
// the kernel may hold is invalidated before the reply to it leaves: the
// engine reports changes (keyspace events, FLUSHDB, FLUSHALL and SWAPDB:
// engine.Watcher) and the file server hands those of keys that have nodes
// to a notifier goroutine, which merges repeats and calls NotifyContent
// and NotifyEntry; meanwhile the embedded engine holds every client's
// replies (engine.Watcher.BeforeReplies, cmds.Server.HoldReplies) but goes
// on running commands and jobs, and sends them once the kernel has taken
// the invalidations (or after a second, should the kernel never answer).
// Notify calls are never made on the loop, and the loop never waits for
// them: the kernel may need a lock held by a FUSE request that waits for
// a job. Lookups racing with a change are answered uncached (a change
// marks the lookups of its key in flight at once, on the loop), and a
// change to a key whose node is being inserted is invalidated again
// shortly after (see notify.go). A lookup also fetches the value of a small string with
// its attributes, and a directory listing fetches types, sizes and small
// values for a batch of keys per job (READDIRPLUS is answered from the
// batch), so that `cat dir/*` costs about one job per few hundred files;
// a lookup of a name that already has a node of the same type returns that
// node, so the kernel keeps its pages; opens that do not write ask for no
// FLUSH (FOPEN_NOFLUSH). Which keys have nodes is kept on the loop, per
// key, and swept against go-fuse's tree when it grows large.
// Options.DirectIO selects the other design — direct I/O, no kernel caching
// and no prefetching, every operation a job — to measure against.
//
// # Mounting
//
// Mount uses the mount system call directly when run as root and
// fusermount3 otherwise, clears a stale mount left at the directory by a
// crashed server ("transport endpoint is not connected") by detaching it,
// and passes allow_other (with default_permissions) when asked.
//
// With allow_other, a caller whose uid is not the mounting user's acts as
// the ACL user Options.Users maps its uid to (redisfs's directive
// `mount-acl-user UID NAME`), and with no mapping gets EACCES for every
// operation. Every command a mapped caller's file operations run is
// checked against that user's ACL (NOPERM → EACCES; an open file's reads,
// writes and commit run as its opener), and its ctl, pub/sub and monitor
// files are clients authenticated as that user (CLIENT LIST shows it).
// The kernel's mode checks (default_permissions) are then left off: the
// ACLs decide. The mounting user and the file server's own work are
// unrestricted (users.go). Unmount
// detaches lazily when files are still open; the server keeps serving.
//
// # Concurrency
//
// Mount, Unmount and Close may be called from any goroutine. A process
// serving a mount must not use the mount itself from its own goroutines in
// ways that fork or block on it (see go-fuse's package documentation); the
// tests drive the mount through exec'd tools only.
package fs
