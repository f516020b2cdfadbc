package cmds

import (
	"fmt"
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
const hiddenCmdFlags = CmdMayReplicate | CmdSentinel | CmdOnlySentinel | CmdProtected |
	CmdModuleGetKeys | CmdModuleNoCluster

// implicitAcl returns cmd's ACL categories with those its flags imply, as
// Redis's setImplicitACLCategories does at start.
func implicitAcl(cmd *Command) uint64 {
	acl := cmd.Acl
	if cmd.Flags&CmdWrite != 0 {
		acl |= AclWrite
	}
	if cmd.Flags&CmdReadonly != 0 && acl&AclScripting == 0 {
		acl |= AclRead
	}
	if cmd.Flags&CmdAdmin != 0 {
		acl |= AclAdmin | AclDangerous
	}
	if cmd.Flags&CmdPubsub != 0 {
		acl |= AclPubsub
	}
	if cmd.Flags&CmdFast != 0 {
		acl |= AclFast
	}
	if cmd.Flags&CmdBlocking != 0 {
		acl |= AclBlocking
	}
	if acl&AclFast == 0 {
		acl |= AclSlow
	}
	return acl
}

// addReplyCommandInfo replies cmd's COMMAND INFO entry: name, arity, flags,
// first key, last key, step, ACL categories, tips, key specs, subcommands.
func (c *Client) addReplyCommandInfo(cmd *Command) {
	if cmd == nil {
		c.AddReplyNull()
		return
	}
	c.AddReplyArrayLen(10)
	c.AddReplyBulkString(cmd.FullName)
	c.AddReplyInt(int64(cmd.Arity))
	n := 0
	for _, f := range CmdFlagNames {
		if cmd.Flags&f.Flag != 0 && f.Flag&hiddenCmdFlags == 0 {
			n++
		}
	}
	c.AddReplySetLen(n)
	for _, f := range CmdFlagNames {
		if cmd.Flags&f.Flag != 0 && f.Flag&hiddenCmdFlags == 0 {
			c.AddReplyStatus(f.Name)
		}
	}
	c.AddReplyInt(int64(cmd.First))
	c.AddReplyInt(int64(cmd.Last))
	c.AddReplyInt(int64(cmd.Step))
	acl := implicitAcl(cmd)
	n = 0
	for _, a := range AclCategoryNames {
		if acl&a.Flag != 0 {
			n++
		}
	}
	c.AddReplySetLen(n)
	for _, a := range AclCategoryNames {
		if acl&a.Flag != 0 {
			c.AddReplyStatus("@" + a.Name)
		}
	}
	c.AddReplySetLen(len(cmd.Tips))
	for _, tip := range cmd.Tips {
		c.AddReplyBulkString(tip)
	}
	c.addReplyKeySpecs(cmd.keySpecs)
	if len(cmd.Subs) == 0 {
		c.AddReplySetLen(0)
		return
	}
	c.AddReplyArrayLen(len(cmd.Subs))
	for _, sub := range cmd.Subs {
		c.addReplyCommandInfo(sub)
	}
}

// addReplyKeySpecs replies a command's key specs, as Redis's
// addReplyCommandKeySpecs.
func (c *Client) addReplyKeySpecs(specs []keySpec) {
	c.AddReplySetLen(len(specs))
	for i := range specs {
		ks := &specs[i]
		if ks.notes != "" {
			c.AddReplyMapLen(4)
			c.AddReplyBulkString("notes")
			c.AddReplyBulkString(ks.notes)
		} else {
			c.AddReplyMapLen(3)
		}
		c.AddReplyBulkString("flags")
		c.AddReplySetLen(len(ks.flags))
		for _, f := range ks.flags {
			c.AddReplyStatus(f)
		}
		c.AddReplyBulkString("begin_search")
		c.AddReplyMapLen(2)
		c.AddReplyBulkString("type")
		switch ks.bsType {
		case 'i':
			c.AddReplyBulkString("index")
			c.AddReplyBulkString("spec")
			c.AddReplyMapLen(1)
			c.AddReplyBulkString("index")
			c.AddReplyInt(int64(ks.bsIndex))
		case 'k':
			c.AddReplyBulkString("keyword")
			c.AddReplyBulkString("spec")
			c.AddReplyMapLen(2)
			c.AddReplyBulkString("keyword")
			c.AddReplyBulkString(ks.bsKeyword)
			c.AddReplyBulkString("startfrom")
			c.AddReplyInt(int64(ks.bsStartFrom))
		default:
			c.AddReplyBulkString("unknown")
			c.AddReplyBulkString("spec")
			c.AddReplyMapLen(0)
		}
		c.AddReplyBulkString("find_keys")
		c.AddReplyMapLen(2)
		c.AddReplyBulkString("type")
		switch ks.fkType {
		case 'r':
			c.AddReplyBulkString("range")
			c.AddReplyBulkString("spec")
			c.AddReplyMapLen(3)
			c.AddReplyBulkString("lastkey")
			c.AddReplyInt(int64(ks.lastKey))
			c.AddReplyBulkString("keystep")
			c.AddReplyInt(int64(ks.keyStep))
			c.AddReplyBulkString("limit")
			c.AddReplyInt(int64(ks.limit))
		case 'n':
			c.AddReplyBulkString("keynum")
			c.AddReplyBulkString("spec")
			c.AddReplyMapLen(3)
			c.AddReplyBulkString("keynumidx")
			c.AddReplyInt(int64(ks.keyNumIdx))
			c.AddReplyBulkString("firstkey")
			c.AddReplyInt(int64(ks.firstKey))
			c.AddReplyBulkString("keystep")
			c.AddReplyInt(int64(ks.keyStep))
		default:
			c.AddReplyBulkString("unknown")
			c.AddReplyBulkString("spec")
			c.AddReplyMapLen(0)
		}
	}
}

// addReplyCommandDocs replies cmd's COMMAND DOCS map, as Redis's
// addReplyCommandDocs: summary, since, group, complexity, doc flags,
// deprecation, history, arguments, then the subcommands.
func (c *Client) addReplyCommandDocs(cmd *Command) {
	n := 1 // group
	for _, present := range []bool{
		cmd.Summary != "", cmd.Since != "", cmd.Complexity != "", len(cmd.docFlags) > 0,
		cmd.deprecatedSince != "", cmd.replacedBy != "", len(cmd.history) > 0,
		cmd.docArgs != "", len(cmd.Subs) > 0,
	} {
		if present {
			n++
		}
	}
	c.AddReplyMapLen(n)
	if cmd.Summary != "" {
		c.AddReplyBulkString("summary")
		c.AddReplyBulkString(cmd.Summary)
	}
	if cmd.Since != "" {
		c.AddReplyBulkString("since")
		c.AddReplyBulkString(cmd.Since)
	}
	c.AddReplyBulkString("group")
	c.AddReplyBulkString(cmd.Group)
	if cmd.Complexity != "" {
		c.AddReplyBulkString("complexity")
		c.AddReplyBulkString(cmd.Complexity)
	}
	if len(cmd.docFlags) > 0 {
		c.AddReplyBulkString("doc_flags")
		c.AddReplySetLen(len(cmd.docFlags))
		for _, f := range cmd.docFlags {
			c.AddReplyStatus(f)
		}
	}
	if cmd.deprecatedSince != "" {
		c.AddReplyBulkString("deprecated_since")
		c.AddReplyBulkString(cmd.deprecatedSince)
	}
	if cmd.replacedBy != "" {
		c.AddReplyBulkString("replaced_by")
		c.AddReplyBulkString(cmd.replacedBy)
	}
	if len(cmd.history) > 0 {
		c.AddReplyBulkString("history")
		c.AddReplySetLen(len(cmd.history))
		for _, h := range cmd.history {
			c.AddReplyArrayLen(2)
			c.AddReplyBulkString(h[0])
			c.AddReplyBulkString(h[1])
		}
	}
	if cmd.docArgs != "" {
		c.AddReplyBulkString("arguments")
		if c.replying() {
			c.Reply = appendRESP3(c.Reply, []byte(cmd.docArgs), c.Resp)
		}
	}
	if len(cmd.Subs) > 0 {
		c.AddReplyBulkString("subcommands")
		c.AddReplyMapLen(len(cmd.Subs))
		for _, sub := range cmd.Subs {
			c.AddReplyBulkString(sub.FullName)
			c.addReplyCommandDocs(sub)
		}
	}
}

// sortedCommands returns the top-level commands by name. (Redis lists them
// in its hash table's order, which changes from run to run.)
func sortedCommands() []*Command {
	table := commands()
	out := make([]*Command, 0, len(table))
	for _, cmd := range table {
		out = append(out, cmd)
	}
	slices.SortFunc(out, func(a, b *Command) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// lookupCommandByFullName finds "get" or "client|list", case aside, as
// Redis's lookupCommandBySds.
func lookupCommandByFullName(name []byte) *Command {
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
	c.AddReplyArrayLen(len(cmds))
	for _, cmd := range cmds {
		c.addReplyCommandInfo(cmd)
	}
}

// COMMAND COUNT
func commandCountCommand(c *Client) { c.AddReplyInt(int64(len(commands()))) }

// COMMAND INFO [command-name ...]
func commandInfoCommand(c *Client) {
	if len(c.Argv) == 2 {
		commandCommand(c)
		return
	}
	c.AddReplyArrayLen(len(c.Argv) - 2)
	for _, name := range c.Argv[2:] {
		c.addReplyCommandInfo(lookupCommandByFullName(name))
	}
}

// COMMAND DOCS [command-name ...]
func commandDocsCommand(c *Client) {
	if len(c.Argv) == 2 {
		cmds := sortedCommands()
		c.AddReplyMapLen(len(cmds))
		for _, cmd := range cmds {
			c.AddReplyBulkString(cmd.FullName)
			c.addReplyCommandDocs(cmd)
		}
		return
	}
	var found []*Command
	for _, name := range c.Argv[2:] {
		if cmd := lookupCommandByFullName(name); cmd != nil {
			found = append(found, cmd)
		}
	}
	c.AddReplyMapLen(len(found))
	for _, cmd := range found {
		c.AddReplyBulkString(cmd.FullName)
		c.addReplyCommandDocs(cmd)
	}
}

// COMMAND LIST [FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]
func commandListCommand(c *Client) {
	var filter byte
	var arg []byte
	for i := 2; i < len(c.Argv); i++ {
		if !equalFoldC(c.Argv[i], "filterby") || len(c.Argv)-1-i != 2 {
			c.AddReplySyntaxError()
			return
		}
		switch typ := c.Argv[i+1]; {
		case equalFoldC(typ, "module"):
			filter = 'm'
		case equalFoldC(typ, "aclcat"):
			filter = 'a'
		case equalFoldC(typ, "pattern"):
			filter = 'p'
		default:
			c.AddReplySyntaxError()
			return
		}
		arg = c.Argv[i+2]
		i += 2
	}
	var aclcat uint64
	if filter == 'a' {
		for _, a := range AclCategoryNames {
			if strings.EqualFold(a.Name, string(arg)) {
				aclcat = a.Flag
			}
		}
	}
	keep := func(cmd *Command) bool {
		switch filter {
		case 'm':
			return false // no modules
		case 'a':
			return implicitAcl(cmd)&aclcat != 0
		case 'p':
			return stringMatch(arg, []byte(cmd.FullName), true)
		}
		return true
	}
	var names []string
	for _, cmd := range sortedCommands() {
		if keep(cmd) {
			names = append(names, cmd.FullName)
		}
		for _, sub := range cmd.Subs {
			if keep(sub) {
				names = append(names, sub.FullName)
			}
		}
	}
	c.AddReplyArrayLen(len(names))
	for _, name := range names {
		c.AddReplyBulkString(name)
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
func commandHelpCommand(c *Client) { c.AddReplyHelp(commandHelp) }

// ---------------------------------------------------------------------------
// COMMAND GETKEYS: key extraction.

// keyRef is a key argument's position and, when key specs told, its flags.
type keyRef struct {
	pos   int
	flags []string
}

// keysFromSpecs finds the keys of argv with cmd's key specs, as Redis's
// getKeysUsingKeySpecs; ok is false when a spec cannot be applied (bad
// numkeys, keys out of range, an incomplete spec) and the command's own key
// function must decide. With partial set, such specs are skipped instead,
// and incomplete ones used (GET_KEYSPEC_RETURN_PARTIAL).
func keysFromSpecs(specs []keySpec, argv [][]byte, partial bool) (keys []keyRef, ok bool) {
	for i := range specs {
		spec := &specs[i]
		if spec.incomplete && !partial {
			return nil, false
		}
		var valid bool
		if keys, valid = spec.appendKeys(keys, argv); !valid && !partial {
			return nil, false
		}
	}
	return keys, true
}

// appendKeys appends the keys spec finds in argv; valid is false when the
// arguments do not fit the spec.
func (spec *keySpec) appendKeys(keys []keyRef, argv [][]byte) (_ []keyRef, valid bool) {
	argc := len(argv)
	first := 0
	switch spec.bsType {
	case 'i':
		first = spec.bsIndex
	case 'k':
		start, end := spec.bsStartFrom, argc-1
		if start <= 0 {
			start, end = argc+spec.bsStartFrom, 1
		}
		keyword := strings.ToLower(spec.bsKeyword)
		for j := start; j != end && j < argc && j >= 1; {
			if equalFoldC(argv[j], keyword) {
				first = j + 1
				break
			}
			if start <= end {
				j++
			} else {
				j--
			}
		}
		if first == 0 {
			return keys, true // no keyword, no keys
		}
	default:
		return keys, false
	}
	var last, step int
	switch spec.fkType {
	case 'r':
		step = spec.keyStep
		switch {
		case spec.lastKey >= 0:
			last = first + spec.lastKey
		case spec.limit == 0:
			last = argc + spec.lastKey
		default:
			last = first + ((argc-first)/spec.limit + spec.lastKey)
		}
	case 'n':
		step = spec.keyStep
		if first+spec.keyNumIdx >= argc {
			return keys, false
		}
		numkeys, ok := proto.ParseInt(argv[first+spec.keyNumIdx])
		if !ok || numkeys < 0 || numkeys > int64(argc) {
			return keys, false
		}
		first += spec.firstKey
		last = first + int(numkeys) - 1
	default:
		return keys, false
	}
	if last >= argc || last < first || first >= argc {
		return keys, false
	}
	for j := first; j <= last; j += max(step, 1) {
		keys = append(keys, keyRef{pos: j, flags: spec.flags})
	}
	return keys, true
}

// commandKeys returns the key positions of argv for cmd the way COMMAND
// GETKEYS finds them: Redis's key specs when they are reliable, else the
// command's GetKeys function, else the (first, last, step) triple.
func commandKeys(cmd *Command, argv [][]byte) []keyRef {
	specs := cmd.keySpecs
	hasKeySpec, varFlags := false, false
	for i := range specs {
		if !specs[i].notKey {
			hasKeySpec = true
		}
		if specs[i].variableFlags {
			varFlags = true
		}
	}
	if hasKeySpec && !varFlags {
		if keys, ok := keysFromSpecs(specs, argv, false); ok {
			return keys
		}
	}
	var pos []int
	switch {
	case cmd.GetKeys != nil:
		pos = cmd.GetKeys(argv)
	case cmd.First > 0:
		last := cmd.Last
		if last < 0 {
			last += len(argv)
		}
		for j := cmd.First; j <= last && j < len(argv); j += max(cmd.Step, 1) {
			pos = append(pos, j)
		}
	}
	// Flags come from the command's rule when its specs say they vary,
	// else from the spec that covers a key.
	var fromSpecs []keyRef
	if hasKeySpec {
		fromSpecs, _ = keysFromSpecs(specs, argv, true)
	}
	keys := make([]keyRef, len(pos))
	for i, p := range pos {
		keys[i].pos = p
		for _, k := range fromSpecs {
			if k.pos == p {
				keys[i].flags = k.flags
				break
			}
		}
		if keys[i].flags == nil {
			keys[i].flags = uncoveredKeyFlags(specs)
		}
		if varFlags {
			keys[i].flags = variableKeyFlags(cmd, argv, keys[i].flags)
		}
	}
	return keys
}

// uncoveredKeyFlags returns the flags of a key that no spec located: those
// of the last spec whose position is unknown (SORT's STORE key, after its
// BY/GET patterns), else the first spec's.
func uncoveredKeyFlags(specs []keySpec) []string {
	for i := len(specs) - 1; i >= 0; i-- {
		if specs[i].bsType == 0 || specs[i].fkType == 0 {
			return specs[i].flags
		}
	}
	if len(specs) > 0 {
		return specs[0].flags
	}
	return nil
}

// variableKeyFlags returns the key flags of the commands whose key spec is
// marked variable_flags, as their getkeys functions in Redis's db.c decide.
func variableKeyFlags(cmd *Command, argv [][]byte, flags []string) []string {
	switch cmd.FullName {
	case "set": // setGetKeys: GET makes SET read the old value
		for _, a := range argv[min(3, len(argv)):] {
			if equalFoldC(a, "get") {
				return []string{"RW", "access", "update"}
			}
		}
		return []string{"OW", "update"}
	case "bitfield": // bitfieldGetKeys: read-only unless it writes
		readonly := true
	args:
		for i := 2; i < len(argv); i++ {
			rem := len(argv) - i - 1
			switch {
			case equalFoldC(argv[i], "get") && rem >= 2:
				i += 2
			case (equalFoldC(argv[i], "set") || equalFoldC(argv[i], "incrby")) && rem >= 3:
				readonly = false
				break args
			case equalFoldC(argv[i], "overflow") && rem >= 1:
				i++
			default:
				readonly = false
				break args
			}
		}
		if readonly {
			return []string{"RO", "access"}
		}
		return []string{"RW", "access", "update"}
	}
	return flags
}

// commandHasKeys reports whether cmd takes key arguments.
func commandHasKeys(cmd *Command) bool {
	if cmd.GetKeys != nil || cmd.First > 0 {
		return true
	}
	for i := range cmd.keySpecs {
		if !cmd.keySpecs[i].notKey {
			return true
		}
	}
	return false
}

func (c *Client) getKeysSubcommand(withFlags bool) {
	argv := c.Argv[2:]
	cmd := LookupCommand(argv)
	switch {
	case cmd == nil:
		c.AddReplyError("Invalid command specified")
		return
	case !commandHasKeys(cmd):
		c.AddReplyError("The command has no key arguments")
		return
	case cmd.Arity > 0 && cmd.Arity != len(argv) || len(argv) < -cmd.Arity:
		c.AddReplyError("Invalid number of arguments specified for command")
		return
	}
	keys := commandKeys(cmd, argv)
	if len(keys) == 0 {
		if cmd.Flags&CmdNoMandatoryKeys != 0 {
			c.AddReplyArrayLen(0)
		} else {
			c.AddReplyError("Invalid arguments specified for command")
		}
		return
	}
	c.AddReplyArrayLen(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.AddReplyBulk(argv[k.pos])
			continue
		}
		c.AddReplyArrayLen(2)
		c.AddReplyBulk(argv[k.pos])
		flags := slices.DeleteFunc(slices.Clone(k.flags), func(f string) bool { return f == "variable_flags" })
		c.AddReplySetLen(len(flags))
		for _, f := range flags {
			c.AddReplyStatus(f)
		}
	}
}

// COMMAND GETKEYS command [arg ...]
func commandGetKeysCommand(c *Client) { c.getKeysSubcommand(false) }

// COMMAND GETKEYSANDFLAGS command [arg ...]
func commandGetKeysAndFlagsCommand(c *Client) { c.getKeysSubcommand(true) }

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
	if len(c.Argv) == 1 {
		want["default"] = true
	}
	for _, a := range c.Argv[1:] {
		switch s := strings.ToLower(string(a)); s {
		case "all", "everything":
			all = true
		case "module_list":
			want["modules"] = true
		default:
			want[s] = true
		}
	}
	b := c.srv.GenInfoString(want, all)
	c.AddReplyVerbatim(b, "txt")
}

// GenInfoString returns the INFO text of the sections named in want
// (lower case; "default" selects the default set), or of every section when
// all is set: "# Title" headers, "field:value" lines, CRLF line ends, a
// blank line between sections.
func (srv *Server) GenInfoString(want map[string]bool, all bool) []byte {
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

// BytesToHuman formats n as Redis's bytesToHuman ("967.94K", "6.95M").
func BytesToHuman(n uint64) string {
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
	b = infoLine(b, "redis_version", RedisVersion)
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
	b = infoLine(b, "process_id", srv.Pid)
	b = infoLine(b, "process_supervised", "no")
	b = infoLine(b, "run_id", srv.RunID)
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

// UsedMemory returns what INFO reports as used_memory (heap bytes in
// objects), for eviction and the GC tuner.
func UsedMemory() uint64 { return readMemFigures().used }

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
	b = infoLine(b, "used_memory_human", BytesToHuman(m.used))
	b = infoLine(b, "used_memory_rss", rss)
	b = infoLine(b, "used_memory_rss_human", BytesToHuman(rss))
	b = infoLine(b, "used_memory_peak", memPeak)
	b = infoLine(b, "used_memory_peak_human", BytesToHuman(memPeak))
	b = infoLine(b, "used_memory_peak_perc", strconv.FormatFloat(ratio(m.used, memPeak)*100, 'f', 2, 64)+"%")
	b = infoLine(b, "used_memory_overhead", overhead)
	b = infoLine(b, "used_memory_startup", memStartup)
	b = infoLine(b, "used_memory_dataset", dataset)
	b = infoLine(b, "used_memory_dataset_perc", strconv.FormatFloat(datasetPerc, 'f', 2, 64)+"%")
	b = infoLine(b, "allocator_allocated", m.used)
	b = infoLine(b, "allocator_active", m.active)
	b = infoLine(b, "allocator_resident", m.resident)
	b = infoLine(b, "total_system_memory", totalSysMem)
	b = infoLine(b, "total_system_memory_human", BytesToHuman(totalSysMem))
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
	b = infoLine(b, "maxmemory_human", BytesToHuman(maxmem))
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
	b = infoLine(b, "instantaneous_ops_per_sec", srv.InstantaneousOps())
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
	b = infoLine(b, "expired_keys", st.ExpiredKeys)
	b = infoLine(b, "expired_stale_perc", st.ExpiredStalePerc*100)
	b = infoLine(b, "expired_time_cap_reached_count", st.ExpiredTimeCapReached)
	b = infoLine(b, "expire_cycle_cpu_milliseconds", st.ExpireCycleTimeUsed/1000)
	b = infoLine(b, "evicted_keys", st.EvictedKeys)
	b = infoLine(b, "evicted_clients", 0)
	b = infoLine(b, "total_eviction_exceeded_time", 0)
	b = infoLine(b, "current_eviction_exceeded_time", 0)
	b = infoLine(b, "keyspace_hits", st.KeyspaceHits)
	b = infoLine(b, "keyspace_misses", st.KeyspaceMisses)
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
	b = infoLine(b, "unexpected_error_replies", st.UnexpectedErrorReplies)
	b = infoLine(b, "total_error_replies", st.ErrorReplies)
	b = infoLine(b, "dump_payload_sanitizations", 0)
	b = infoLine(b, "total_reads_processed", 0)
	b = infoLine(b, "total_writes_processed", 0)
	b = infoLine(b, "io_threaded_reads_processed", 0)
	b = infoLine(b, "io_threaded_writes_processed", 0)
	b = infoLine(b, "reply_buffer_shrinks", 0)
	b = infoLine(b, "reply_buffer_expands", 0)
	return b
}

// replID returns the replication id INFO shows: 40 hex digits, constant for
// the server's life, distinct from the run id.
func (srv *Server) replID() string {
	id := []byte(srv.RunID)
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
	var list []*Command
	for _, cmd := range sortedCommands() {
		list = append(list, cmd)
		list = append(list, cmd.Subs...)
	}
	for _, cmd := range list {
		st := srv.CmdStats(cmd)
		if st.Calls == 0 && st.FailedCalls == 0 && st.RejectedCalls == 0 {
			continue
		}
		var perCall float64
		if st.Calls > 0 {
			perCall = float64(st.Microseconds) / float64(st.Calls)
		}
		b = fmt.Appendf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			cmd.FullName, st.Calls, st.Microseconds, perCall, st.RejectedCalls, st.FailedCalls)
	}
	return b
}

func (srv *Server) infoErrorStats(b []byte) []byte {
	codes := make([]string, 0, len(srv.Stats.ErrorCodes))
	for code := range srv.Stats.ErrorCodes {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		b = fmt.Appendf(b, "errorstat_%s:count=%d\r\n", code, srv.Stats.ErrorCodes[code])
	}
	return b
}

func (srv *Server) infoKeyspace(b []byte) []byte {
	for _, db := range srv.DBs {
		keys := db.Len()
		if keys == 0 {
			continue
		}
		b = fmt.Appendf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", db.ID, keys, db.Expires.Len(), db.AvgTTL)
	}
	return b
}
