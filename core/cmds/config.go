package cmds

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redisfs/redisfs/core/proto"
)

// Config holds the directives of redis.conf that the server has. The CLI
// flags, a config file and CONFIG SET all go through Set, so a directive has
// one parser and one name everywhere.
//
// Used by cmd/redisfs, core/persist and core/redistest (and the tests of core/server and core/cmds).
type Config struct {
	Port                   int
	Bind                   []string
	UnixSocket             string
	UnixSocketPerm         int
	Databases              int
	MaxClients             int
	Timeout                int // seconds, 0 = never
	TCPKeepalive           int
	Hz                     int
	LogLevel               string
	LogFile                string
	requirePass            string
	Dir                    string
	Save                   string
	AppendOnly             bool
	ProtectedMode          bool
	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	MaxMemory              int64
	MaxMemoryPolicy        string
	Mount                  string
	AllowOther             bool
	// MountACLUsers maps other users of the mount to ACL users
	// (mount-acl-user UID NAME, repeatable): uid → name.
	MountACLUsers          map[uint32]string
	notifyKeyspaceEvents   string
	hashMaxListpackEntries int64
	hashMaxListpackValue   int64
	setMaxIntsetEntries    int64
	zSetMaxListpackEntries int64
	zSetMaxListpackValue   int64
	hllSparseMaxBytes      int64
	streamNodeMaxBytes     int64
	streamNodeMaxEntries   int64
	listMaxListpackSize    int64
	listCompressDepth      int64
	activeExpireEffort     int
	lazyfreeLazyUserDel    bool
	daemonize              bool
	pidFile                string

	// Redis 7.0's safety switches, "no", "yes" or "local" (a client on the
	// loopback address, the unix socket or the mount), settable only at
	// start: who may run DEBUG, MODULE LOAD/UNLOAD, and CONFIG SET the
	// protected directives (dir, dbfilename). See allowProtectedAction.
	EnableDebugCommand     string
	EnableModuleCommand    string
	EnableProtectedConfigs string

	// Eviction, slow log, latency monitor, ACL and output buffer limits
	// (their directives are registered by evict.go, slowlog.go,
	// latency.go, acl.go and pubsub.go).
	maxMemorySamples          int
	maxMemoryEvictionTenacity int
	lfuLogFactor              int
	lfuDecayTime              int
	slowlogLogSlowerThan      int64
	slowlogMaxLen             int64
	latencyMonitorThreshold   int64
	acllogMaxLen              int64
	aclPubsubDefault          string
	clientOutputBufferLimit   string
	// trackingTableMaxKeys bounds the client-side caching table
	// (tracking.go registers its directive); 0 = no limit.
	trackingTableMaxKeys int64
	// BusyReplyThreshold is busy-reply-threshold (lua-time-limit), in
	// ms: past it a running script lets other clients in, to get BUSY.
	BusyReplyThreshold int

	// persistence (persist_cmds.go registers its directives).
	persistConfig
}

// DefaultConfig returns redisfs's defaults (Redis's, except where DESIGN.md
// says otherwise).
//
// Used by cmd/redisfs and core/redistest (and the tests of core/persist, fs, fs/local and core/cmds).
func DefaultConfig() Config {
	return Config{
		Port:                   6379,
		Bind:                   []string{"127.0.0.1", "-::1"},
		UnixSocketPerm:         0,
		Databases:              16,
		MaxClients:             10000,
		TCPKeepalive:           300,
		Hz:                     10,
		BusyReplyThreshold:     5000,
		LogLevel:               "notice",
		Dir:                    "./redisfs-data",
		Save:                   "3600 1 300 100 60 10000",
		AppendOnly:             true,
		ProtectedMode:          true,
		EnableDebugCommand:     "no",
		EnableModuleCommand:    "no",
		EnableProtectedConfigs: "no",
		ProtoMaxBulkLen:        512 * 1024 * 1024,
		ClientQueryBufferLimit: 1024 * 1024 * 1024,
		MaxMemoryPolicy:        "noeviction",
		hashMaxListpackEntries: 512,
		hashMaxListpackValue:   64,
		setMaxIntsetEntries:    512,
		zSetMaxListpackEntries: 128,
		zSetMaxListpackValue:   64,
		hllSparseMaxBytes:      3000,
		streamNodeMaxBytes:     4096,
		streamNodeMaxEntries:   100,
		listMaxListpackSize:    -2,
		activeExpireEffort:     1,

		maxMemorySamples:          5,
		maxMemoryEvictionTenacity: 10,
		lfuLogFactor:              10,
		lfuDecayTime:              1,
		slowlogLogSlowerThan:      10000,
		slowlogMaxLen:             128,
		acllogMaxLen:              128,
		aclPubsubDefault:          "resetchannels",
		clientOutputBufferLimit:   "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		trackingTableMaxKeys:      1000000,

		persistConfig: defaultPersistConfig(),
	}
}

// directive describes one config directive: how to read and set it.
type directive struct {
	name      string
	get       func(c *Config) string
	set       func(c *Config, v string) error
	immutable bool // only at start-up (CONFIG SET refuses it)
}

func intDirective(name string, p func(c *Config) *int, min, max int, immutable bool) directive {
	return directive{name: name, immutable: immutable,
		get: func(c *Config) string { return strconv.Itoa(*p(c)) },
		set: func(c *Config, v string) error {
			n64, ok := proto.ParseInt([]byte(v))
			if !ok {
				return fmt.Errorf("argument couldn't be parsed into an integer")
			}
			n := int(n64)
			if n64 < int64(min) || n64 > int64(max) {
				return fmt.Errorf("argument must be between %d and %d inclusive", min, max)
			}
			*p(c) = n
			return nil
		}}
}

func int64Directive(name string, p func(c *Config) *int64, min, max int64, memory bool) directive {
	return directive{name: name,
		get: func(c *Config) string { return strconv.FormatInt(*p(c), 10) },
		set: func(c *Config, v string) error {
			var n int64
			var ok bool
			if memory {
				if n, ok = parseMemory(v); !ok {
					return fmt.Errorf("argument must be a memory value")
				}
			} else if n, ok = proto.ParseInt([]byte(v)); !ok {
				return fmt.Errorf("argument couldn't be parsed into an integer")
			}
			if n < min || n > max {
				return fmt.Errorf("argument must be between %d and %d inclusive", min, max)
			}
			*p(c) = n
			return nil
		}}
}

func boolDirective(name string, p func(c *Config) *bool, immutable bool) directive {
	return directive{name: name, immutable: immutable,
		get: func(c *Config) string {
			if *p(c) {
				return "yes"
			}
			return "no"
		},
		set: func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "yes":
				*p(c) = true
			case "no":
				*p(c) = false
			default:
				return fmt.Errorf("argument must be 'yes' or 'no'")
			}
			return nil
		}}
}

func stringDirective(name string, p func(c *Config) *string, immutable bool, valid ...string) directive {
	return directive{name: name, immutable: immutable,
		get: func(c *Config) string { return *p(c) },
		set: func(c *Config, v string) error {
			if len(valid) > 0 {
				for _, ok := range valid {
					if strings.EqualFold(v, ok) {
						*p(c) = ok
						return nil
					}
				}
				return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(valid, ", "))
			}
			*p(c) = v
			return nil
		}}
}

const (
	maxInt   = int(^uint(0) >> 1)
	maxInt32 = 1<<31 - 1
	maxInt64 = 1<<63 - 1
)

var directives = []directive{
	intDirective("busy-reply-threshold", func(c *Config) *int { return &c.BusyReplyThreshold }, 0, maxInt32, false),
	intDirective("port", func(c *Config) *int { return &c.Port }, 0, 65535, true),
	{name: "bind", immutable: true,
		get: func(c *Config) string { return strings.Join(c.Bind, " ") },
		set: func(c *Config, v string) error { c.Bind = strings.Fields(v); return nil }},
	stringDirective("unixsocket", func(c *Config) *string { return &c.UnixSocket }, true),
	{name: "unixsocketperm", immutable: true,
		get: func(c *Config) string { return strconv.FormatInt(int64(c.UnixSocketPerm), 8) },
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 8, 32)
			if err != nil {
				return fmt.Errorf("argument couldn't be parsed into an integer")
			}
			c.UnixSocketPerm = int(n)
			return nil
		}},
	intDirective("databases", func(c *Config) *int { return &c.Databases }, 1, 1<<20, true),
	intDirective("maxclients", func(c *Config) *int { return &c.MaxClients }, 1, 1<<32-1, false),
	intDirective("timeout", func(c *Config) *int { return &c.Timeout }, 0, maxInt32, false),
	intDirective("tcp-keepalive", func(c *Config) *int { return &c.TCPKeepalive }, 0, maxInt32, false),
	hzDirective(),
	stringDirective("loglevel", func(c *Config) *string { return &c.LogLevel }, false, "debug", "verbose", "notice", "warning"),
	stringDirective("logfile", func(c *Config) *string { return &c.LogFile }, true),
	stringDirective("requirepass", func(c *Config) *string { return &c.requirePass }, false),
	stringDirective("dir", func(c *Config) *string { return &c.Dir }, false),
	{name: "save",
		get: func(c *Config) string { return c.Save },
		set: func(c *Config, v string) error {
			if !validSaveParams(v) {
				return fmt.Errorf("Invalid save parameters")
			}
			c.Save = v
			return nil
		}},
	boolDirective("appendonly", func(c *Config) *bool { return &c.AppendOnly }, false),
	boolDirective("protected-mode", func(c *Config) *bool { return &c.ProtectedMode }, false),
	int64Directive("proto-max-bulk-len", func(c *Config) *int64 { return &c.ProtoMaxBulkLen }, 1024*1024, maxInt64, true),
	int64Directive("client-query-buffer-limit", func(c *Config) *int64 { return &c.ClientQueryBufferLimit }, 1024*1024, maxInt64, true),
	int64Directive("maxmemory", func(c *Config) *int64 { return &c.MaxMemory }, 0, maxInt64, true),
	stringDirective("maxmemory-policy", func(c *Config) *string { return &c.MaxMemoryPolicy }, false,
		"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
	stringDirective("mount", func(c *Config) *string { return &c.Mount }, true),
	boolDirective("allow-other", func(c *Config) *bool { return &c.AllowOther }, true),
	mountACLUserDirective(),
	{name: "notify-keyspace-events",
		get: func(c *Config) string { return c.notifyKeyspaceEvents },
		set: func(c *Config, v string) error {
			flags, ok := keyspaceEventsStringToFlags(v)
			if !ok {
				return fmt.Errorf("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
			}
			c.notifyKeyspaceEvents = keyspaceEventsFlagsToString(flags)
			return nil
		}},
	int64Directive("hash-max-listpack-entries", func(c *Config) *int64 { return &c.hashMaxListpackEntries }, 0, maxInt64, false),
	int64Directive("hash-max-listpack-value", func(c *Config) *int64 { return &c.hashMaxListpackValue }, 0, maxInt64, true),
	int64Directive("set-max-intset-entries", func(c *Config) *int64 { return &c.setMaxIntsetEntries }, 0, maxInt64, false),
	int64Directive("zset-max-listpack-entries", func(c *Config) *int64 { return &c.zSetMaxListpackEntries }, 0, maxInt64, false),
	int64Directive("zset-max-listpack-value", func(c *Config) *int64 { return &c.zSetMaxListpackValue }, 0, maxInt64, true),
	int64Directive("hll-sparse-max-bytes", func(c *Config) *int64 { return &c.hllSparseMaxBytes }, 0, maxInt64, true),
	int64Directive("stream-node-max-bytes", func(c *Config) *int64 { return &c.streamNodeMaxBytes }, 0, maxInt64, true),
	int64Directive("stream-node-max-entries", func(c *Config) *int64 { return &c.streamNodeMaxEntries }, 0, maxInt64, false),
	int64Directive("list-max-listpack-size", func(c *Config) *int64 { return &c.listMaxListpackSize }, -1<<31, maxInt32, false),
	int64Directive("list-compress-depth", func(c *Config) *int64 { return &c.listCompressDepth }, 0, maxInt32, false),
	intDirective("active-expire-effort", func(c *Config) *int { return &c.activeExpireEffort }, 1, 10, false),
	boolDirective("lazyfree-lazy-user-del", func(c *Config) *bool { return &c.lazyfreeLazyUserDel }, false),
	boolDirective("daemonize", func(c *Config) *bool { return &c.daemonize }, true),
	stringDirective("pidfile", func(c *Config) *string { return &c.pidFile }, true),
	stringDirective("enable-debug-command", func(c *Config) *string { return &c.EnableDebugCommand }, true, "no", "yes", "local"),
	stringDirective("enable-module-command", func(c *Config) *string { return &c.EnableModuleCommand }, true, "no", "yes", "local"),
	stringDirective("enable-protected-configs", func(c *Config) *string { return &c.EnableProtectedConfigs }, true, "no", "yes", "local"),
	// The directives of the subsystems with a file of their own.
	// acl.go
	intDirective64("acllog-max-len", func(c *Config) *int64 { return &c.acllogMaxLen }, 0, maxInt64),
	stringDirective("acl-pubsub-default", func(c *Config) *string { return &c.aclPubsubDefault }, false,
		"allchannels", "resetchannels"),
	// evict.go
	intDirective("maxmemory-samples", func(c *Config) *int { return &c.maxMemorySamples }, 1, maxInt32, false),
	intDirective("maxmemory-eviction-tenacity", func(c *Config) *int { return &c.maxMemoryEvictionTenacity }, 0, 100, false),
	intDirective("lfu-log-factor", func(c *Config) *int { return &c.lfuLogFactor }, 0, maxInt32, false),
	intDirective("lfu-decay-time", func(c *Config) *int { return &c.lfuDecayTime }, 0, maxInt32, false),
	// latency.go
	int64Directive("latency-monitor-threshold", func(c *Config) *int64 { return &c.latencyMonitorThreshold }, 0, maxInt64, false),
	// persist_cmds.go
	withCheck(stringDirective("dbfilename", func(c *Config) *string { return &c.DBFilename }, false),
		validFileName("dbfilename")),
	withCheck(stringDirective("appendfilename", func(c *Config) *string { return &c.AppendFilename }, true),
		validFileName("appendfilename")),
	withCheck(stringDirective("appenddirname", func(c *Config) *string { return &c.AppendDirname }, true),
		validDirName),
	stringDirective("appendfsync", func(c *Config) *string { return &c.AppendFsync }, false, "everysec", "always", "no"),
	boolDirective("aof-use-rdb-preamble", func(c *Config) *bool { return &c.AofUseRDBPreamble }, false),
	boolDirective("aof-load-truncated", func(c *Config) *bool { return &c.AofLoadTruncated }, false),
	boolDirective("aof-rewrite-incremental-fsync", func(c *Config) *bool { return &c.aofRewriteIncrementalFs }, false),
	boolDirective("no-appendfsync-on-rewrite", func(c *Config) *bool { return &c.noAppendfsyncOnRewrite }, false),
	intDirective("auto-aof-rewrite-percentage", func(c *Config) *int { return &c.AutoAofRewritePercentage }, 0, maxInt32, false),
	int64Directive("auto-aof-rewrite-min-size", func(c *Config) *int64 { return &c.AutoAofRewriteMinSize }, 0, maxInt64, true),
	boolDirective("rdbcompression", func(c *Config) *bool { return &c.rdbCompression }, false),
	boolDirective("rdbchecksum", func(c *Config) *bool { return &c.RDBChecksum }, false),
	boolDirective("stop-writes-on-bgsave-error", func(c *Config) *bool { return &c.StopWritesOnBGSaveError }, false),
	boolDirective("rdb-save-incremental-fsync", func(c *Config) *bool { return &c.rdbSaveIncrementalFsync }, false),
	boolDirective("aof-timestamp-enabled", func(c *Config) *bool { return &c.aofTimestampEnabled }, false),
	boolDirective("rdb-del-sync-files", func(c *Config) *bool { return &c.rdbDelSyncFiles }, false),
	// pubsub.go
	{name: "client-output-buffer-limit",
		get: func(c *Config) string {
			l, _ := parseOutputBufferLimits(c.clientOutputBufferLimit, defaultOutputBufferLimits)
			return formatOutputBufferLimits(l)
		},
		set: func(c *Config, v string) error {
			cur, _ := parseOutputBufferLimits(c.clientOutputBufferLimit, defaultOutputBufferLimits)
			l, err := parseOutputBufferLimits(v, cur)
			if err != nil {
				return err
			}
			c.clientOutputBufferLimit = formatOutputBufferLimits(l)
			return nil
		}},
	// slowlog.go
	int64Directive("slowlog-log-slower-than", func(c *Config) *int64 { return &c.slowlogLogSlowerThan }, -1, maxInt64, false),
	int64Directive("slowlog-max-len", func(c *Config) *int64 { return &c.slowlogMaxLen }, 0, maxInt64, false),
	// tracking.go
	int64Directive("tracking-table-max-keys", func(c *Config) *int64 { return &c.trackingTableMaxKeys }, 0, maxInt64, false),
}

// withCheck returns d with check run on a value before d sets it.
func withCheck(d directive, check func(c *Config, v string) error) directive {
	set := d.set
	d.set = func(c *Config, v string) error {
		if err := check(c, v); err != nil {
			return err
		}
		return set(c, v)
	}
	return d
}

// directiveAliases maps old names to current ones, as Redis does.
var directiveAliases = map[string]string{
	"hash-max-ziplist-entries": "hash-max-listpack-entries",
	"hash-max-ziplist-value":   "hash-max-listpack-value",
	"zset-max-ziplist-entries": "zset-max-listpack-entries",
	"zset-max-ziplist-value":   "zset-max-listpack-value",
	"list-max-ziplist-size":    "list-max-listpack-size",
	"lua-time-limit":           "busy-reply-threshold",
}

func findDirective(name string) *directive {
	name = strings.ToLower(name)
	if alias, ok := directiveAliases[name]; ok {
		name = alias
	}
	for i := range directives {
		if directives[i].name == name {
			return &directives[i]
		}
	}
	return nil
}

// errUnknownDirective is returned by Set for a name the server does not have.
type errUnknownDirective struct{ name string }

func (e errUnknownDirective) Error() string { return fmt.Sprintf("unknown directive '%s'", e.name) }

// Set sets directive name to v, as a config file line or a CLI flag would.
//
// Used by cmd/redisfs.
func (c *Config) Set(name, v string) error {
	d := findDirective(name)
	if d == nil {
		return errUnknownDirective{name}
	}
	return d.set(c, v)
}

// Get returns the value of directive name as CONFIG GET shows it.
func (c *Config) Get(name string) (string, bool) {
	d := findDirective(name)
	if d == nil {
		return "", false
	}
	return d.get(c), true
}

// DirectiveNames returns the names of every directive, in table order.
//
// Exported for the tests of core/cmds.
func DirectiveNames() []string {
	out := make([]string, len(directives))
	for i, d := range directives {
		out[i] = d.name
	}
	return out
}

// directiveMutable reports whether CONFIG SET may change the directive.
func directiveMutable(name string) bool {
	d := findDirective(name)
	return d != nil && !d.immutable
}

// SplitConfigLine tokenizes one line of a redis.conf file, as Redis's
// loadServerConfigFromString and rewriteConfigReadOldFile both do: the line
// is trimmed of " \t\r\n"; a blank line or a '#' comment has no
// arguments (args nil, ok true); any other line is split and unquoted as
// sdssplitargs does, and ok is false when it cannot be (unbalanced quotes).
// It is the one tokenizer of config files: cmd/redisfs loads --config with
// it, and CONFIG REWRITE reads the old file back with it.
//
// Used by cmd/redisfs.
func SplitConfigLine(raw string) (line string, args []string, ok bool) {
	line = strings.Trim(raw, " \t\r\n")
	if line == "" || line[0] == '#' {
		return line, nil, true
	}
	argv, n, err := proto.NewParser().ReadCommand([]byte(line+"\n"), nil)
	if err != nil || n == 0 || len(argv) == 0 {
		return line, nil, false
	}
	args = make([]string, len(argv))
	for i, a := range argv {
		args[i] = string(a)
	}
	return line, args, true
}

// parseMemory parses a memory amount as redis.conf does: a number with an
// optional unit (k, kb, m, mb, g, gb; k = 1000, kb = 1024), case-insensitive.
func parseMemory(s string) (int64, bool) {
	s = strings.ToLower(s)
	if s != "" && (s[0] == '-' || s[0] == '+') {
		return 0, false // memtoull takes digits only
	}
	mul := int64(1)
	for _, u := range []struct {
		suf string
		mul int64
	}{{"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024 * 1024 * 1024}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}} {
		if strings.HasSuffix(s, u.suf) {
			s, mul = s[:len(s)-len(u.suf)], u.mul
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n * mul, true
}

// hzDirective is hz: any int is accepted and clamped to 1..500, as Redis's
// CONFIG_MIN_HZ and CONFIG_MAX_HZ.
func hzDirective() directive {
	d := intDirective("hz", func(c *Config) *int { return &c.Hz }, 0, maxInt32, false)
	set := d.set
	d.set = func(c *Config, v string) error {
		if err := set(c, v); err != nil {
			return err
		}
		c.Hz = min(max(c.Hz, 1), 500)
		return nil
	}
	return d
}

// validSaveParams reports whether v is a save directive's value: pairs of
// "seconds changes" separated by single spaces, seconds at least 1 and
// changes at least 0, or "" (no save points).
func validSaveParams(v string) bool {
	if v == "" {
		return true
	}
	args := strings.Split(v, " ")
	if len(args)%2 != 0 {
		return false
	}
	for i, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || i%2 == 0 && n < 1 || i%2 == 1 && n < 0 {
			return false
		}
	}
	return true
}

// keyspaceEventClasses maps notify-keyspace-events letters to Notify*
// classes in the order Redis prints them.
var keyspaceEventClasses = []struct {
	ch   byte
	flag int
}{
	{'g', notifyGeneric}, {'$', notifyString}, {'l', notifyList}, {'s', notifySet},
	{'h', notifyHash}, {'z', notifyZSet}, {'x', notifyExpired}, {'e', notifyEvicted},
	{'t', notifyStream}, {'d', notifyModule}, {'n', notifyNew},
}

// notifyAll is the 'A' class: every event class but key-miss and new.
const notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash |
	notifyZSet | notifyExpired | notifyEvicted | notifyStream | notifyModule

// keyspaceEventsStringToFlags parses notify-keyspace-events, as Redis's
// function of that name.
func keyspaceEventsStringToFlags(s string) (int, bool) {
	flags := 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case 'A':
			flags |= notifyAll
		case 'K':
			flags |= notifyKeyspace
		case 'E':
			flags |= notifyKeyevent
		case 'm':
			flags |= notifyKeyMiss
		default:
			found := false
			for _, k := range keyspaceEventClasses {
				if k.ch == ch {
					flags |= k.flag
					found = true
				}
			}
			if !found {
				return 0, false
			}
		}
	}
	return flags, true
}

// keyspaceEventsFlagsToString is the canonical form CONFIG GET shows.
func keyspaceEventsFlagsToString(flags int) string {
	var b []byte
	if flags&notifyAll == notifyAll {
		b = append(b, 'A')
	} else {
		for _, k := range keyspaceEventClasses {
			if flags&k.flag != 0 {
				b = append(b, k.ch)
			}
		}
	}
	if flags&notifyKeyspace != 0 {
		b = append(b, 'K')
	}
	if flags&notifyKeyevent != 0 {
		b = append(b, 'E')
	}
	if flags&notifyKeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// mountACLUserDirective is "mount-acl-user UID NAME": the file operations
// of Unix user UID on the mount (with allow-other) run as ACL user NAME.
// Each line (or flag value, which may hold several pairs) adds mappings;
// it is read at start-up only.
func mountACLUserDirective() directive {
	return directive{name: "mount-acl-user", immutable: true,
		get: func(c *Config) string {
			uids := make([]uint32, 0, len(c.MountACLUsers))
			for uid := range c.MountACLUsers {
				uids = append(uids, uid)
			}
			slices.Sort(uids)
			var parts []string
			for _, uid := range uids {
				parts = append(parts, strconv.FormatUint(uint64(uid), 10), c.MountACLUsers[uid])
			}
			return strings.Join(parts, " ")
		},
		set: func(c *Config, v string) error {
			f := strings.Fields(v)
			if len(f)%2 != 0 {
				return fmt.Errorf("mount-acl-user takes pairs of a uid and an ACL user name")
			}
			for i := 0; i < len(f); i += 2 {
				uid, err := strconv.ParseUint(f[i], 10, 32)
				if err != nil {
					return fmt.Errorf("mount-acl-user: bad uid '%s'", f[i])
				}
				if c.MountACLUsers == nil {
					c.MountACLUsers = map[uint32]string{}
				}
				c.MountACLUsers[uint32(uid)] = f[i+1]
			}
			return nil
		}}
}
