package cmds

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redisfs/redisfs/core/proto"
)

// COMMAND and INFO: what the server says about itself, after Redis 7.0's
// server.c (commandCommand and friends, genRedisInfoString).

// ---------------------------------------------------------------------------
// Key specs and docs.

// keySpec is one key spec (Redis's keySpec), as COMMAND INFO describes it;
// commands_gen.go holds Redis's.
type keySpec struct {
	notes         string
	flags         []string
	notKey        bool
	incomplete    bool
	variableFlags bool

	bsType      byte // 'i' index, 'k' keyword, 0 unknown
	bsIndex     int
	bsKeyword   string
	bsStartFrom int

	fkType    byte // 'r' range, 'n' keynum, 0 unknown
	lastKey   int
	keyStep   int
	limit     int
	keyNumIdx int
	firstKey  int
}

// appendRESP3 appends the RESP3 encoding src for a client speaking resp:
// as is for RESP3; for RESP2 maps become flat arrays and sets arrays.
// src holds only the types COMMAND DOCS's argument docs use (Command's
// docArgs): they are kept as Redis sent them, because nothing here reads
// them and COMMAND DOCS sends them as they are.
func appendRESP3(dst, src []byte, resp int) []byte {
	if resp >= 3 {
		return append(dst, src...)
	}
	for pos := 0; pos < len(src); {
		i := strings.Index(string(src[pos:]), "\r\n")
		if i < 0 {
			return append(dst, src[pos:]...)
		}
		line := src[pos : pos+i]
		next := pos + i + 2
		switch line[0] {
		case '%':
			n, _ := strconv.Atoi(string(line[1:]))
			dst = proto.AppendArrayLen(dst, 2*n)
		case '~':
			dst = append(dst, '*')
			dst = append(dst, line[1:]...)
			dst = append(dst, '\r', '\n')
		case '$':
			n, _ := strconv.Atoi(string(line[1:]))
			if n >= 0 {
				next += n + 2
			}
			dst = append(dst, src[pos:next]...)
		default:
			dst = append(dst, src[pos:next]...)
		}
		pos = next
	}
	return dst
}

// ---------------------------------------------------------------------------
// COMMAND INFO, DOCS, LIST, COUNT.

// hiddenCmdFlags are the flags COMMAND INFO does not show (Redis hides them
// on purpose).
const hiddenCmdFlags = cmdMayReplicate | cmdSentinel | cmdOnlySentinel | cmdProtected |
	cmdModuleGetKeys | cmdModuleNoCluster

// implicitAcl returns cmd's ACL categories with those its flags imply, as
// Redis's setImplicitACLCategories does at start.
func implicitAcl(cmd *command) uint64 {
	acl := cmd.acl
	if cmd.flags&cmdWrite != 0 {
		acl |= aclWrite
	}
	if cmd.flags&cmdReadonly != 0 && acl&aclScripting == 0 {
		acl |= aclRead
	}
	if cmd.flags&cmdAdmin != 0 {
		acl |= aclAdmin | aclDangerous
	}
	if cmd.flags&cmdPubsub != 0 {
		acl |= aclPubsub
	}
	if cmd.flags&cmdFast != 0 {
		acl |= aclFast
	}
	if cmd.flags&cmdBlocking != 0 {
		acl |= aclBlocking
	}
	if acl&aclFast == 0 {
		acl |= aclSlow
	}
	return acl
}

// addReplyCommandInfo replies cmd's COMMAND INFO entry: name, arity, flags,
// first key, last key, step, ACL categories, tips, key specs, subcommands.
func (c *Client) addReplyCommandInfo(cmd *command) {
	if cmd == nil {
		c.addReplyNull()
		return
	}
	c.addReplyArrayLen(10)
	c.addReplyBulkString(cmd.fullName)
	c.addReplyInt(int64(cmd.arity))
	n := 0
	for _, f := range cmdFlagNames {
		if cmd.flags&f.flag != 0 && f.flag&hiddenCmdFlags == 0 {
			n++
		}
	}
	c.addReplySetLen(n)
	for _, f := range cmdFlagNames {
		if cmd.flags&f.flag != 0 && f.flag&hiddenCmdFlags == 0 {
			c.addReplyStatus(f.name)
		}
	}
	c.addReplyInt(int64(cmd.first))
	c.addReplyInt(int64(cmd.last))
	c.addReplyInt(int64(cmd.step))
	acl := implicitAcl(cmd)
	n = 0
	for _, a := range aclCategoryNames {
		if acl&a.flag != 0 {
			n++
		}
	}
	c.addReplySetLen(n)
	for _, a := range aclCategoryNames {
		if acl&a.flag != 0 {
			c.addReplyStatus("@" + a.name)
		}
	}
	c.addReplySetLen(len(cmd.tips))
	for _, tip := range cmd.tips {
		c.addReplyBulkString(tip)
	}
	c.addReplyKeySpecs(cmd.keySpecs)
	if len(cmd.Subs) == 0 {
		c.addReplySetLen(0)
		return
	}
	c.addReplyArrayLen(len(cmd.Subs))
	for _, sub := range cmd.Subs {
		c.addReplyCommandInfo(sub)
	}
}

// addReplyKeySpecs replies a command's key specs, as Redis's
// addReplyCommandKeySpecs.
func (c *Client) addReplyKeySpecs(specs []keySpec) {
	c.addReplySetLen(len(specs))
	for i := range specs {
		ks := &specs[i]
		if ks.notes != "" {
			c.addReplyMapLen(4)
			c.addReplyBulkString("notes")
			c.addReplyBulkString(ks.notes)
		} else {
			c.addReplyMapLen(3)
		}
		c.addReplyBulkString("flags")
		c.addReplySetLen(len(ks.flags))
		for _, f := range ks.flags {
			c.addReplyStatus(f)
		}
		c.addReplyBulkString("begin_search")
		c.addReplyMapLen(2)
		c.addReplyBulkString("type")
		switch ks.bsType {
		case 'i':
			c.addReplyBulkString("index")
			c.addReplyBulkString("spec")
			c.addReplyMapLen(1)
			c.addReplyBulkString("index")
			c.addReplyInt(int64(ks.bsIndex))
		case 'k':
			c.addReplyBulkString("keyword")
			c.addReplyBulkString("spec")
			c.addReplyMapLen(2)
			c.addReplyBulkString("keyword")
			c.addReplyBulkString(ks.bsKeyword)
			c.addReplyBulkString("startfrom")
			c.addReplyInt(int64(ks.bsStartFrom))
		default:
			c.addReplyBulkString("unknown")
			c.addReplyBulkString("spec")
			c.addReplyMapLen(0)
		}
		c.addReplyBulkString("find_keys")
		c.addReplyMapLen(2)
		c.addReplyBulkString("type")
		switch ks.fkType {
		case 'r':
			c.addReplyBulkString("range")
			c.addReplyBulkString("spec")
			c.addReplyMapLen(3)
			c.addReplyBulkString("lastkey")
			c.addReplyInt(int64(ks.lastKey))
			c.addReplyBulkString("keystep")
			c.addReplyInt(int64(ks.keyStep))
			c.addReplyBulkString("limit")
			c.addReplyInt(int64(ks.limit))
		case 'n':
			c.addReplyBulkString("keynum")
			c.addReplyBulkString("spec")
			c.addReplyMapLen(3)
			c.addReplyBulkString("keynumidx")
			c.addReplyInt(int64(ks.keyNumIdx))
			c.addReplyBulkString("firstkey")
			c.addReplyInt(int64(ks.firstKey))
			c.addReplyBulkString("keystep")
			c.addReplyInt(int64(ks.keyStep))
		default:
			c.addReplyBulkString("unknown")
			c.addReplyBulkString("spec")
			c.addReplyMapLen(0)
		}
	}
}

// addReplyCommandDocs replies cmd's COMMAND DOCS map, as Redis's
// addReplyCommandDocs: summary, since, group, complexity, doc flags,
// deprecation, history, arguments, then the subcommands.
func (c *Client) addReplyCommandDocs(cmd *command) {
	n := 1 // group
	for _, present := range []bool{
		cmd.summary != "", cmd.since != "", cmd.complexity != "", len(cmd.docFlags) > 0,
		cmd.deprecatedSince != "", cmd.replacedBy != "", len(cmd.history) > 0,
		cmd.docArgs != "", len(cmd.Subs) > 0,
	} {
		if present {
			n++
		}
	}
	c.addReplyMapLen(n)
	if cmd.summary != "" {
		c.addReplyBulkString("summary")
		c.addReplyBulkString(cmd.summary)
	}
	if cmd.since != "" {
		c.addReplyBulkString("since")
		c.addReplyBulkString(cmd.since)
	}
	c.addReplyBulkString("group")
	c.addReplyBulkString(cmd.group)
	if cmd.complexity != "" {
		c.addReplyBulkString("complexity")
		c.addReplyBulkString(cmd.complexity)
	}
	if len(cmd.docFlags) > 0 {
		c.addReplyBulkString("doc_flags")
		c.addReplySetLen(len(cmd.docFlags))
		for _, f := range cmd.docFlags {
			c.addReplyStatus(f)
		}
	}
	if cmd.deprecatedSince != "" {
		c.addReplyBulkString("deprecated_since")
		c.addReplyBulkString(cmd.deprecatedSince)
	}
	if cmd.replacedBy != "" {
		c.addReplyBulkString("replaced_by")
		c.addReplyBulkString(cmd.replacedBy)
	}
	if len(cmd.history) > 0 {
		c.addReplyBulkString("history")
		c.addReplySetLen(len(cmd.history))
		for _, h := range cmd.history {
			c.addReplyArrayLen(2)
			c.addReplyBulkString(h[0])
			c.addReplyBulkString(h[1])
		}
	}
	if cmd.docArgs != "" {
		c.addReplyBulkString("arguments")
		if c.replying() {
			c.Reply = appendRESP3(c.Reply, []byte(cmd.docArgs), c.resp)
		}
	}
	if len(cmd.Subs) > 0 {
		c.addReplyBulkString("subcommands")
		c.addReplyMapLen(len(cmd.Subs))
		for _, sub := range cmd.Subs {
			c.addReplyBulkString(sub.fullName)
			c.addReplyCommandDocs(sub)
		}
	}
}

// sortedCommands returns the top-level commands by name. (Redis lists them
// in its hash table's order, which changes from run to run.)
func sortedCommands() []*command {
	table := commands()
	out := make([]*command, 0, len(table))
	for _, cmd := range table {
		out = append(out, cmd)
	}
	slices.SortFunc(out, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return out
}

// lookupCommandByFullName finds "get" or "client|list", case aside, as
// Redis's lookupCommandBySds.
func lookupCommandByFullName(name []byte) *command {
	base, sub, isSub := strings.Cut(string(name), "|")
	cmd := lookupCommandName([]byte(base))
	if !isSub {
		return cmd
	}
	if cmd == nil || cmd.subs == nil || strings.Contains(sub, "|") {
		return nil
	}
	return cmd.subs[strings.ToLower(sub)]
}

// COMMAND
func commandCommand(c *Client) {
	cmds := sortedCommands()
	c.addReplyArrayLen(len(cmds))
	for _, cmd := range cmds {
		c.addReplyCommandInfo(cmd)
	}
}

// COMMAND COUNT
func commandCountCommand(c *Client) { c.addReplyInt(int64(len(commands()))) }

// COMMAND INFO [command-name ...]
func commandInfoCommand(c *Client) {
	if len(c.argv) == 2 {
		commandCommand(c)
		return
	}
	c.addReplyArrayLen(len(c.argv) - 2)
	for _, name := range c.argv[2:] {
		c.addReplyCommandInfo(lookupCommandByFullName(name))
	}
}

// COMMAND DOCS [command-name ...]
func commandDocsCommand(c *Client) {
	if len(c.argv) == 2 {
		cmds := sortedCommands()
		c.addReplyMapLen(len(cmds))
		for _, cmd := range cmds {
			c.addReplyBulkString(cmd.fullName)
			c.addReplyCommandDocs(cmd)
		}
		return
	}
	var found []*command
	for _, name := range c.argv[2:] {
		if cmd := lookupCommandByFullName(name); cmd != nil {
			found = append(found, cmd)
		}
	}
	c.addReplyMapLen(len(found))
	for _, cmd := range found {
		c.addReplyBulkString(cmd.fullName)
		c.addReplyCommandDocs(cmd)
	}
}

// COMMAND LIST [FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]
func commandListCommand(c *Client) {
	var filter byte
	var arg []byte
	for i := 2; i < len(c.argv); i++ {
		if !equalFoldC(c.argv[i], "filterby") || len(c.argv)-1-i != 2 {
			c.addReplySyntaxError()
			return
		}
		switch typ := c.argv[i+1]; {
		case equalFoldC(typ, "module"):
			filter = 'm'
		case equalFoldC(typ, "aclcat"):
			filter = 'a'
		case equalFoldC(typ, "pattern"):
			filter = 'p'
		default:
			c.addReplySyntaxError()
			return
		}
		arg = c.argv[i+2]
		i += 2
	}
	var aclcat uint64
	if filter == 'a' {
		for _, a := range aclCategoryNames {
			if strings.EqualFold(a.name, string(arg)) {
				aclcat = a.flag
			}
		}
	}
	keep := func(cmd *command) bool {
		switch filter {
		case 'm':
			return false // no modules
		case 'a':
			return implicitAcl(cmd)&aclcat != 0
		case 'p':
			return stringMatch(arg, []byte(cmd.fullName), true)
		}
		return true
	}
	var names []string
	for _, cmd := range sortedCommands() {
		if keep(cmd) {
			names = append(names, cmd.fullName)
		}
		for _, sub := range cmd.Subs {
			if keep(sub) {
				names = append(names, sub.fullName)
			}
		}
	}
	c.addReplyArrayLen(len(names))
	for _, name := range names {
		c.addReplyBulkString(name)
	}
}

var commandHelp = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}

// COMMAND HELP
func commandHelpCommand(c *Client) { c.addReplyHelp(commandHelp) }

// ---------------------------------------------------------------------------
// INFO

// infoSections lists INFO's sections in output order, with whether the
// default set includes them.
var infoSections = []struct {
	name  string
	title string
	def   bool
}{
	{"server", "Server", true},
	{"clients", "Clients", true},
	{"memory", "Memory", true},
	{"persistence", "Persistence", true},
	{"stats", "Stats", true},
	{"replication", "Replication", true},
	{"cpu", "CPU", true},
	{"modules", "Modules", true},
	{"commandstats", "Commandstats", false},
	{"errorstats", "Errorstats", true},
	{"latencystats", "Latencystats", false},
	{"cluster", "Cluster", true},
	{"keyspace", "Keyspace", true},
}

// INFO [section [section ...]]
func infoCommand(c *Client) {
	want := map[string]bool{}
	all := false
	if len(c.argv) == 1 {
		want["default"] = true
	}
	for _, a := range c.argv[1:] {
		switch s := strings.ToLower(string(a)); s {
		case "all", "everything":
			all = true
		case "module_list":
			want["modules"] = true
		default:
			want[s] = true
		}
	}
	b := c.srv.genInfoString(want, all)
	c.addReplyVerbatim(b, "txt")
}

// genInfoString returns the INFO text of the sections named in want
// (lower case; "default" selects the default set), or of every section when
// all is set: "# Title" headers, "field:value" lines, CRLF line ends, a
// blank line between sections.
func (srv *Server) genInfoString(want map[string]bool, all bool) []byte {
	var b []byte
	for _, sec := range infoSections {
		if !all && !want[sec.name] && !(sec.def && want["default"]) {
			continue
		}
		if len(b) > 0 {
			b = append(b, "\r\n"...)
		}
		b = append(b, "# "...)
		b = append(b, sec.title...)
		b = append(b, "\r\n"...)
		switch sec.name {
		case "server":
			b = srv.infoServer(b)
		case "clients":
			b = srv.infoClients(b)
		case "memory":
			b = srv.infoMemory(b)
		case "persistence":
			b = srv.appendInfoPersistence(b) // persist_cmds.go
		case "stats":
			b = srv.infoStats(b)
		case "replication":
			b = srv.infoReplication(b)
		case "cpu":
			b = infoCPU(b)
		case "commandstats":
			b = srv.infoCommandStats(b)
		case "errorstats":
			b = srv.infoErrorStats(b)
		case "cluster":
			b = append(b, "cluster_enabled:0\r\n"...)
		case "keyspace":
			b = srv.infoKeyspace(b)
		}
	}
	return b
}

// infoLine appends "name:value\r\n" for the value kinds INFO prints.
func infoLine(b []byte, name string, v any) []byte {
	b = append(b, name...)
	b = append(b, ':')
	switch v := v.(type) {
	case string:
		b = append(b, v...)
	case int:
		b = strconv.AppendInt(b, int64(v), 10)
	case int64:
		b = strconv.AppendInt(b, v, 10)
	case uint64:
		b = strconv.AppendUint(b, v, 10)
	case float64: // always "%.2f" in INFO
		b = strconv.AppendFloat(b, v, 'f', 2, 64)
	default:
		b = fmt.Append(b, v)
	}
	return append(b, "\r\n"...)
}

// bytesToHuman formats n as Redis's bytesToHuman ("967.94K", "6.95M").
func bytesToHuman(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	d := float64(n)
	for i, unit := range "KMGTP" {
		d /= 1024
		if n < uint64(1)<<(10*(i+2)) {
			return strconv.FormatFloat(d, 'f', 2, 64) + string(unit)
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}

// Facts about the process INFO server reports, read once at start.
var (
	osInfo        = unameInfo()
	executable, _ = os.Executable()
	buildID       = buildIDOf(executable)
)

// unameInfo is INFO's os line: "Linux 6.1.0 x86_64".
func unameInfo() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Machine[:])
}

// buildIDOf returns a build id in Redis's form (16 hex digits) from the
// executable's identity, so that it changes with the binary.
func buildIDOf(executable string) string {
	var h uint64 = 14695981039346656037
	if st, err := os.Stat(executable); err == nil {
		for _, v := range []int64{st.Size(), st.ModTime().UnixNano()} {
			for i := 0; i < 8; i++ {
				h = (h ^ uint64(byte(v>>(8*i)))) * 1099511628211
			}
		}
	}
	return strconv.FormatUint(h, 16)
}

func (srv *Server) infoServer(b []byte) []byte {
	now := time.Now()
	uptime := int64(now.Sub(srv.StartTime) / time.Second)
	b = infoLine(b, "redis_version", redisVersion)
	b = infoLine(b, "redis_git_sha1", "00000000")
	b = infoLine(b, "redis_git_dirty", 0)
	b = infoLine(b, "redis_build_id", buildID)
	b = infoLine(b, "redis_mode", "standalone")
	b = infoLine(b, "os", osInfo)
	b = infoLine(b, "arch_bits", strconv.Itoa(strconv.IntSize))
	b = infoLine(b, "monotonic_clock", "POSIX clock_gettime")
	b = infoLine(b, "multiplexing_api", "epoll")
	b = infoLine(b, "atomicvar_api", "c11-builtin")
	b = infoLine(b, "gcc_version", "0.0.0")
	b = infoLine(b, "process_id", srv.pid)
	b = infoLine(b, "process_supervised", "no")
	b = infoLine(b, "run_id", srv.runID)
	b = infoLine(b, "tcp_port", srv.Config.Port)
	b = infoLine(b, "server_time_usec", now.UnixMicro())
	b = infoLine(b, "uptime_in_seconds", uptime)
	b = infoLine(b, "uptime_in_days", uptime/86400)
	b = infoLine(b, "hz", srv.Config.Hz)
	b = infoLine(b, "configured_hz", srv.Config.Hz)
	b = infoLine(b, "lru_clock", uint64(srv.lruClock))
	b = infoLine(b, "executable", executable)
	b = infoLine(b, "config_file", ConfigFile)
	b = infoLine(b, "io_threads_active", 0)
	return b
}

// ConfigFile is the path of the configuration file the server was started
// with, for INFO (the CLI sets it).
//
// Used by cmd/redisfs.
var ConfigFile string

func (srv *Server) infoClients(b []byte) []byte {
	connected := 0
	maxIn, maxOut := 0, 0
	for _, c := range srv.clients {
		if c.Flags&ClientInternal != 0 {
			continue
		}
		connected++
		maxIn = max(maxIn, len(c.QueryBuf))
		maxOut = max(maxOut, len(c.Reply)-c.Sent)
	}
	b = infoLine(b, "connected_clients", connected)
	b = infoLine(b, "cluster_connections", 0)
	b = infoLine(b, "maxclients", srv.Config.MaxClients)
	b = infoLine(b, "client_recent_max_input_buffer", maxIn)
	b = infoLine(b, "client_recent_max_output_buffer", maxOut)
	b = infoLine(b, "blocked_clients", srv.BlockedClients())
	b = infoLine(b, "tracking_clients", srv.tracking.clients)
	b = infoLine(b, "clients_in_timeout_table", len(srv.blocking.timeouts))
	return b
}

// Memory figures come from the Go runtime (runtime/metrics, which does not
// stop the world):
//
//	used_memory          heap bytes in objects (live and not yet swept), ≈ MemStats.HeapAlloc
//	allocator_allocated  the same
//	allocator_active     heap spans in use (objects + their free slots), ≈ HeapInuse
//	allocator_resident   everything the runtime has mapped minus what it returned to the OS
//	used_memory_rss      resident set size from /proc/self/statm
//	used_memory_startup  used_memory when the package was initialised
var memMetrics = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

var (
	memMetricsMu  sync.Mutex
	memStartup    = readMemFigures().used // used_memory_startup
	memPeak       uint64
	totalSysMem   = sysTotalRAM()
	pageSize      = uint64(os.Getpagesize())
	memStartupSet sync.Once
)

type memFigures struct {
	used, active, resident uint64
}

func readMemFigures() memFigures {
	memMetricsMu.Lock()
	defer memMetricsMu.Unlock()
	metrics.Read(memMetrics)
	val := func(i int) uint64 {
		if memMetrics[i].Value.Kind() == metrics.KindUint64 {
			return memMetrics[i].Value.Uint64()
		}
		return 0
	}
	f := memFigures{used: val(0), active: val(0) + val(1)}
	if t, r := val(2), val(3); t > r {
		f.resident = t - r
	}
	memPeak = max(memPeak, f.used)
	return f
}

// usedMemory returns what INFO reports as used_memory (heap bytes in
// objects), for eviction and the GC tuner.
func usedMemory() uint64 { return readMemFigures().used }

// sysTotalRAM returns the machine's memory (total_system_memory), 0 when
// unknown.
func sysTotalRAM() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// rssMemory reads the resident set size from /proc/self/statm.
func rssMemory() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(fields[1], 10, 64)
	return pages * pageSize
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func diff(a, b uint64) int64 { return int64(a) - int64(b) }

func (srv *Server) infoMemory(b []byte) []byte {
	m := readMemFigures()
	rss := rssMemory()
	var clientsMem uint64
	for _, c := range srv.clients {
		clientsMem += uint64(clientStructSize + cap(c.QueryBuf) + cap(c.Reply))
	}
	overhead := memStartup + clientsMem
	var dataset uint64
	if m.used > overhead {
		dataset = m.used - overhead
	}
	var datasetPerc float64
	if m.used > memStartup {
		datasetPerc = float64(dataset) * 100 / float64(m.used-memStartup)
	}
	maxmem := uint64(max(srv.Config.MaxMemory, 0))
	b = infoLine(b, "used_memory", m.used)
	b = infoLine(b, "used_memory_human", bytesToHuman(m.used))
	b = infoLine(b, "used_memory_rss", rss)
	b = infoLine(b, "used_memory_rss_human", bytesToHuman(rss))
	b = infoLine(b, "used_memory_peak", memPeak)
	b = infoLine(b, "used_memory_peak_human", bytesToHuman(memPeak))
	b = infoLine(b, "used_memory_peak_perc", strconv.FormatFloat(ratio(m.used, memPeak)*100, 'f', 2, 64)+"%")
	b = infoLine(b, "used_memory_overhead", overhead)
	b = infoLine(b, "used_memory_startup", memStartup)
	b = infoLine(b, "used_memory_dataset", dataset)
	b = infoLine(b, "used_memory_dataset_perc", strconv.FormatFloat(datasetPerc, 'f', 2, 64)+"%")
	b = infoLine(b, "allocator_allocated", m.used)
	b = infoLine(b, "allocator_active", m.active)
	b = infoLine(b, "allocator_resident", m.resident)
	b = infoLine(b, "total_system_memory", totalSysMem)
	b = infoLine(b, "total_system_memory_human", bytesToHuman(totalSysMem))
	b = infoLine(b, "used_memory_lua", 0)
	b = infoLine(b, "used_memory_vm_eval", 0)
	b = infoLine(b, "used_memory_lua_human", "0B")
	b = infoLine(b, "used_memory_scripts_eval", 0)
	b = infoLine(b, "number_of_cached_scripts", 0)
	b = infoLine(b, "number_of_functions", 0)
	b = infoLine(b, "number_of_libraries", 0)
	b = infoLine(b, "used_memory_vm_functions", 0)
	b = infoLine(b, "used_memory_vm_total", 0)
	b = infoLine(b, "used_memory_vm_total_human", "0B")
	b = infoLine(b, "used_memory_functions", 0)
	b = infoLine(b, "used_memory_scripts", 0)
	b = infoLine(b, "used_memory_scripts_human", "0B")
	b = infoLine(b, "maxmemory", maxmem)
	b = infoLine(b, "maxmemory_human", bytesToHuman(maxmem))
	b = infoLine(b, "maxmemory_policy", srv.Config.MaxMemoryPolicy)
	b = infoLine(b, "allocator_frag_ratio", ratio(m.active, m.used))
	b = infoLine(b, "allocator_frag_bytes", diff(m.active, m.used))
	b = infoLine(b, "allocator_rss_ratio", ratio(m.resident, m.active))
	b = infoLine(b, "allocator_rss_bytes", diff(m.resident, m.active))
	b = infoLine(b, "rss_overhead_ratio", ratio(rss, m.resident))
	b = infoLine(b, "rss_overhead_bytes", diff(rss, m.resident))
	b = infoLine(b, "mem_fragmentation_ratio", ratio(rss, m.used))
	b = infoLine(b, "mem_fragmentation_bytes", diff(rss, m.used))
	b = infoLine(b, "mem_not_counted_for_evict", 0)
	b = infoLine(b, "mem_replication_backlog", 0)
	b = infoLine(b, "mem_total_replication_buffers", 0)
	b = infoLine(b, "mem_clients_slaves", 0)
	b = infoLine(b, "mem_clients_normal", clientsMem)
	b = infoLine(b, "mem_cluster_links", 0)
	b = infoLine(b, "mem_aof_buffer", 0)
	b = infoLine(b, "mem_allocator", runtime.Version())
	b = infoLine(b, "active_defrag_running", 0)
	b = infoLine(b, "lazyfree_pending_objects", 0)
	b = infoLine(b, "lazyfreed_objects", 0)
	return b
}

// infoPersistence reports no persistence activity, the section without a
// persistence layer (see appendInfoPersistence).
func (srv *Server) infoPersistence(b []byte) []byte {
	b = infoLine(b, "loading", 0)
	b = infoLine(b, "async_loading", 0)
	b = infoLine(b, "current_cow_peak", 0)
	b = infoLine(b, "current_cow_size", 0)
	b = infoLine(b, "current_cow_size_age", 0)
	b = infoLine(b, "current_fork_perc", 0.0)
	b = infoLine(b, "current_save_keys_processed", 0)
	b = infoLine(b, "current_save_keys_total", 0)
	b = infoLine(b, "rdb_changes_since_last_save", srv.Dirty)
	b = infoLine(b, "rdb_bgsave_in_progress", 0)
	b = infoLine(b, "rdb_last_save_time", srv.lastSave())
	b = infoLine(b, "rdb_last_bgsave_status", "ok")
	b = infoLine(b, "rdb_last_bgsave_time_sec", -1)
	b = infoLine(b, "rdb_current_bgsave_time_sec", -1)
	b = infoLine(b, "rdb_saves", 0)
	b = infoLine(b, "rdb_last_cow_size", 0)
	b = infoLine(b, "rdb_last_load_keys_expired", 0)
	b = infoLine(b, "rdb_last_load_keys_loaded", 0)
	b = infoLine(b, "aof_enabled", 0)
	b = infoLine(b, "aof_rewrite_in_progress", 0)
	b = infoLine(b, "aof_rewrite_scheduled", 0)
	b = infoLine(b, "aof_last_rewrite_time_sec", -1)
	b = infoLine(b, "aof_current_rewrite_time_sec", -1)
	b = infoLine(b, "aof_last_bgrewrite_status", "ok")
	b = infoLine(b, "aof_rewrites", 0)
	b = infoLine(b, "aof_rewrites_consecutive_failures", 0)
	b = infoLine(b, "aof_last_write_status", "ok")
	b = infoLine(b, "aof_last_cow_size", 0)
	b = infoLine(b, "module_fork_in_progress", 0)
	b = infoLine(b, "module_fork_last_cow_size", 0)
	return b
}

func (srv *Server) infoStats(b []byte) []byte {
	st := &srv.Stats
	channels, patterns, shard := srv.pubsubServerCounts()
	b = infoLine(b, "total_connections_received", st.NumConnections)
	b = infoLine(b, "total_commands_processed", st.NumCommands)
	b = infoLine(b, "instantaneous_ops_per_sec", srv.instantaneousOps())
	b = infoLine(b, "total_net_input_bytes", st.NetInputBytes)
	b = infoLine(b, "total_net_output_bytes", st.NetOutputBytes)
	b = infoLine(b, "total_net_repl_input_bytes", 0)
	b = infoLine(b, "total_net_repl_output_bytes", 0)
	b = infoLine(b, "instantaneous_input_kbps", 0.0)
	b = infoLine(b, "instantaneous_output_kbps", 0.0)
	b = infoLine(b, "instantaneous_input_repl_kbps", 0.0)
	b = infoLine(b, "instantaneous_output_repl_kbps", 0.0)
	b = infoLine(b, "rejected_connections", st.RejectedConns)
	b = infoLine(b, "sync_full", 0)
	b = infoLine(b, "sync_partial_ok", 0)
	b = infoLine(b, "sync_partial_err", 0)
	b = infoLine(b, "expired_keys", st.expiredKeys)
	b = infoLine(b, "expired_stale_perc", st.expiredStalePerc*100)
	b = infoLine(b, "expired_time_cap_reached_count", st.expiredTimeCapReached)
	b = infoLine(b, "expire_cycle_cpu_milliseconds", st.expireCycleTimeUsed/1000)
	b = infoLine(b, "evicted_keys", st.evictedKeys)
	b = infoLine(b, "evicted_clients", 0)
	b = infoLine(b, "total_eviction_exceeded_time", 0)
	b = infoLine(b, "current_eviction_exceeded_time", 0)
	b = infoLine(b, "keyspace_hits", st.keyspaceHits)
	b = infoLine(b, "keyspace_misses", st.keyspaceMisses)
	b = infoLine(b, "pubsub_channels", channels)
	b = infoLine(b, "pubsub_patterns", patterns)
	b = infoLine(b, "pubsubshard_channels", shard)
	b = infoLine(b, "latest_fork_usec", 0)
	b = infoLine(b, "total_forks", 0)
	b = infoLine(b, "migrate_cached_sockets", 0)
	b = infoLine(b, "slave_expires_tracked_keys", 0)
	b = infoLine(b, "active_defrag_hits", 0)
	b = infoLine(b, "active_defrag_misses", 0)
	b = infoLine(b, "active_defrag_key_hits", 0)
	b = infoLine(b, "active_defrag_key_misses", 0)
	b = infoLine(b, "total_active_defrag_time", 0)
	b = infoLine(b, "current_active_defrag_time", 0)
	b = infoLine(b, "tracking_total_keys", len(srv.tracking.table))
	b = infoLine(b, "tracking_total_items", srv.tracking.items)
	b = infoLine(b, "tracking_total_prefixes", len(srv.tracking.prefixes))
	b = infoLine(b, "unexpected_error_replies", st.unexpectedErrorReplies)
	b = infoLine(b, "total_error_replies", st.errorReplies)
	b = infoLine(b, "dump_payload_sanitizations", 0)
	b = infoLine(b, "total_reads_processed", 0)
	b = infoLine(b, "total_writes_processed", 0)
	b = infoLine(b, "io_threaded_reads_processed", 0)
	b = infoLine(b, "io_threaded_writes_processed", 0)
	b = infoLine(b, "reply_buffer_shrinks", 0)
	b = infoLine(b, "reply_buffer_expands", 0)
	return b
}

// changeReplicationID gives the server a new random replication id
// (DEBUG CHANGE-REPL-ID, Redis's changeReplicationId).
func (srv *Server) changeReplicationID() {
	const hexDigits = "0123456789abcdef"
	id := make([]byte, 40)
	for i := range id {
		id[i] = hexDigits[rand.IntN(16)]
	}
	srv.replIDChanged = string(id)
}

// replID returns the replication id INFO shows: 40 hex digits, constant for
// the server's life, distinct from the run id.
func (srv *Server) replID() string {
	if srv.replIDChanged != "" {
		return srv.replIDChanged
	}
	id := []byte(srv.runID)
	slices.Reverse(id)
	return string(id)
}

func (srv *Server) infoReplication(b []byte) []byte {
	b = infoLine(b, "role", "master")
	b = infoLine(b, "connected_slaves", 0)
	b = infoLine(b, "master_failover_state", "no-failover")
	b = infoLine(b, "master_replid", srv.replID())
	b = infoLine(b, "master_replid2", "0000000000000000000000000000000000000000")
	b = infoLine(b, "master_repl_offset", 0)
	b = infoLine(b, "second_repl_offset", -1)
	b = infoLine(b, "repl_backlog_active", 0)
	b = infoLine(b, "repl_backlog_size", 1048576)
	b = infoLine(b, "repl_backlog_first_byte_offset", 0)
	b = infoLine(b, "repl_backlog_histlen", 0)
	return b
}

func appendTimeval(b []byte, name string, tv unix.Timeval) []byte {
	b = append(b, name...)
	b = fmt.Appendf(b, ":%d.%06d\r\n", tv.Sec, tv.Usec)
	return b
}

func infoCPU(b []byte) []byte {
	var self, children, thread unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &self)
	unix.Getrusage(unix.RUSAGE_CHILDREN, &children)
	unix.Getrusage(unix.RUSAGE_THREAD, &thread)
	b = appendTimeval(b, "used_cpu_sys", self.Stime)
	b = appendTimeval(b, "used_cpu_user", self.Utime)
	b = appendTimeval(b, "used_cpu_sys_children", children.Stime)
	b = appendTimeval(b, "used_cpu_user_children", children.Utime)
	b = appendTimeval(b, "used_cpu_sys_main_thread", thread.Stime)
	b = appendTimeval(b, "used_cpu_user_main_thread", thread.Utime)
	return b
}

// infoCommandStats lists every command and subcommand that was called,
// rejected or failed, by name.
func (srv *Server) infoCommandStats(b []byte) []byte {
	var list []*command
	for _, cmd := range sortedCommands() {
		list = append(list, cmd)
		list = append(list, cmd.Subs...)
	}
	for _, cmd := range list {
		st := srv.statsOf(cmd)
		if st.calls == 0 && st.failedCalls == 0 && st.rejectedCalls == 0 {
			continue
		}
		var perCall float64
		if st.calls > 0 {
			perCall = float64(st.microseconds) / float64(st.calls)
		}
		b = fmt.Appendf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			cmd.fullName, st.calls, st.microseconds, perCall, st.rejectedCalls, st.failedCalls)
	}
	return b
}

func (srv *Server) infoErrorStats(b []byte) []byte {
	codes := make([]string, 0, len(srv.Stats.errorCodes))
	for code := range srv.Stats.errorCodes {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		b = fmt.Appendf(b, "errorstat_%s:count=%d\r\n", code, srv.Stats.errorCodes[code])
	}
	return b
}

func (srv *Server) infoKeyspace(b []byte) []byte {
	for _, db := range srv.DBs {
		keys := db.Len()
		if keys == 0 {
			continue
		}
		b = fmt.Appendf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", db.id, keys, db.Expires.Len(), db.avgTTL)
	}
	return b
}
