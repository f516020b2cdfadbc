// Command gencommands writes the metadata half of the command table of
// package cmds (commands_gen.go) from redis_commands.resp, the replies of a
// real redis-server 7.0.15 to COMMAND INFO and COMMAND DOCS in RESP3 (which
// cmds' TestGenerateCommandData refreshes). It runs from core/cmds:
//
//	go generate ./core/cmds
//
// Every Redis command and subcommand becomes a Command literal holding
// arity, flags, key triple, ACL categories, tips, key specs, group, since,
// summary, complexity, doc flags, deprecation, history and argument docs;
// cmds joins these with its hand-written name → implementation map
// (commands.go). A field of the input this program does not know stops it,
// so that new data is never dropped in silence.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/redisfs/redisfs/core/proto"
)

// cmdFlags and aclCategories map Redis's names to the Go constants of
// package cmds.
var cmdFlags = map[string]string{
	"write": "cmdWrite", "readonly": "cmdReadonly", "denyoom": "cmdDenyOOM", "module": "cmdModule",
	"admin": "cmdAdmin", "pubsub": "cmdPubsub", "noscript": "cmdNoscript", "blocking": "cmdBlocking",
	"loading": "cmdLoading", "stale": "cmdStale", "skip_monitor": "cmdSkipMonitor",
	"skip_slowlog": "cmdSkipSlowlog", "asking": "cmdAsking", "fast": "cmdFast", "no_auth": "cmdNoAuth",
	"may_replicate": "cmdMayReplicate", "sentinel": "cmdSentinel", "only_sentinel": "cmdOnlySentinel",
	"no_mandatory_keys": "cmdNoMandatoryKeys", "protected": "cmdProtected",
	"module_getkeys": "cmdModuleGetKeys", "module_no_cluster": "cmdModuleNoCluster",
	"no_async_loading": "cmdNoAsyncLoading", "no_multi": "cmdNoMulti", "movablekeys": "cmdMovableKeys",
	"allow_busy": "cmdAllowBusy",
}

var aclCategories = map[string]string{
	"keyspace": "aclKeyspace", "read": "aclRead", "write": "aclWrite", "set": "aclSet",
	"sortedset": "aclSortedSet", "list": "aclList", "hash": "aclHash", "string": "aclString",
	"bitmap": "aclBitmap", "hyperloglog": "aclHyperLogLog", "geo": "aclGeo", "stream": "aclStream",
	"pubsub": "aclPubsub", "admin": "aclAdmin", "fast": "aclFast", "slow": "aclSlow",
	"blocking": "aclBlocking", "dangerous": "aclDangerous", "connection": "aclConnection",
	"transaction": "aclTransaction", "scripting": "aclScripting",
}

// command is what the input says of one command or subcommand.
type command struct {
	name              string // full name: "get", "client|list"
	arity             int64
	flags, acl, tips  []string
	first, last, step int64
	keySpecs          []keySpec
	docs              map[string]string // summary, since, group, complexity, deprecated_since, replaced_by
	docFlags          []string
	history           [][2]string
	args              []byte // the "arguments" value of COMMAND DOCS, RESP3
	subs              []*command
}

type keySpec struct {
	notes       string
	flags       []string
	bsType      string
	bsIndex     int64
	bsKeyword   string
	bsStartFrom int64
	fkType      string
	lastKey     int64
	keyStep     int64
	limit       int64
	keyNumIdx   int64
	firstKey    int64
}

func main() {
	in := flag.String("in", "redis_commands.resp", "COMMAND INFO and COMMAND DOCS replies, RESP3")
	out := flag.String("out", "commands_gen.go", "Go file to write")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	info, n, err := proto.ReadReply(data)
	if err != nil || n == 0 {
		log.Fatalf("%s: COMMAND INFO reply: %v", *in, err)
	}
	byName := map[string]*command{}
	var top []*command
	for i := range info.Elems {
		top = append(top, parseInfo(&info.Elems[i], byName))
	}
	// The DOCS reply is parsed twice: as values, and as raw spans to keep
	// each command's "arguments" bytes exactly as Redis sent them.
	docs, m, err := proto.ReadReply(data[n:])
	if err != nil || m == 0 || n+m != len(data) {
		log.Fatalf("%s: COMMAND DOCS reply: %v", *in, err)
	}
	parseDocs(&docs, data[n:n+m], byName)
	for name, cmd := range byName {
		if cmd.docs == nil {
			log.Fatalf("%s: no COMMAND DOCS entry", name)
		}
	}
	sortCommands(top)
	src := generate(top, *in)
	formatted, err := format.Source(src)
	if err != nil {
		log.Fatalf("gofmt: %v", err)
	}
	if err := os.WriteFile(*out, formatted, 0o644); err != nil {
		log.Fatal(err)
	}
}

func sortCommands(l []*command) {
	slices.SortFunc(l, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	for _, c := range l {
		sortCommands(c.subs)
	}
}

func strs(r *proto.Reply) []string {
	out := make([]string, len(r.Elems))
	for i, e := range r.Elems {
		out[i] = string(e.Str)
	}
	return out
}

// parseInfo reads one COMMAND INFO entry: name, arity, flags, first key,
// last key, step, ACL categories, tips, key specs, subcommands.
func parseInfo(r *proto.Reply, byName map[string]*command) *command {
	if r.Type != '*' || len(r.Elems) != 10 {
		log.Fatalf("COMMAND INFO entry of %d fields", len(r.Elems))
	}
	e := r.Elems
	cmd := &command{
		name: string(e[0].Str), arity: e[1].Int, flags: strs(&e[2]),
		first: e[3].Int, last: e[4].Int, step: e[5].Int, tips: strs(&e[7]),
	}
	for _, a := range strs(&e[6]) {
		cmd.acl = append(cmd.acl, strings.TrimPrefix(a, "@"))
	}
	for i := range e[8].Elems {
		cmd.keySpecs = append(cmd.keySpecs, parseKeySpec(cmd.name, &e[8].Elems[i]))
	}
	for i := range e[9].Elems {
		cmd.subs = append(cmd.subs, parseInfo(&e[9].Elems[i], byName))
	}
	byName[cmd.name] = cmd
	return cmd
}

// pairs calls f with each key and value of a map reply.
func pairs(where string, m *proto.Reply, f func(key string, v *proto.Reply)) {
	if m.Type != '%' {
		log.Fatalf("%s: %q where a map was expected", where, m.Type)
	}
	for i := 0; i+1 < len(m.Elems); i += 2 {
		f(string(m.Elems[i].Str), &m.Elems[i+1])
	}
}

func parseKeySpec(name string, r *proto.Reply) keySpec {
	var ks keySpec
	pairs(name, r, func(key string, v *proto.Reply) {
		switch key {
		case "notes":
			ks.notes = string(v.Str)
		case "flags":
			ks.flags = strs(v)
		case "begin_search":
			pairs(name, v, func(key string, v *proto.Reply) {
				switch key {
				case "type":
					ks.bsType = string(v.Str)
				case "spec":
					pairs(name, v, func(key string, v *proto.Reply) {
						switch key {
						case "index":
							ks.bsIndex = v.Int
						case "keyword":
							ks.bsKeyword = string(v.Str)
						case "startfrom":
							ks.bsStartFrom = v.Int
						default:
							log.Fatalf("%s: begin_search spec field %q", name, key)
						}
					})
				default:
					log.Fatalf("%s: begin_search field %q", name, key)
				}
			})
		case "find_keys":
			pairs(name, v, func(key string, v *proto.Reply) {
				switch key {
				case "type":
					ks.fkType = string(v.Str)
				case "spec":
					pairs(name, v, func(key string, v *proto.Reply) {
						switch key {
						case "lastkey":
							ks.lastKey = v.Int
						case "keystep":
							ks.keyStep = v.Int
						case "limit":
							ks.limit = v.Int
						case "keynumidx":
							ks.keyNumIdx = v.Int
						case "firstkey":
							ks.firstKey = v.Int
						default:
							log.Fatalf("%s: find_keys spec field %q", name, key)
						}
					})
				default:
					log.Fatalf("%s: find_keys field %q", name, key)
				}
			})
		default:
			log.Fatalf("%s: key spec field %q", name, key)
		}
	})
	switch ks.bsType {
	case "index", "keyword", "unknown":
	default:
		log.Fatalf("%s: begin_search type %q", name, ks.bsType)
	}
	switch ks.fkType {
	case "range", "keynum", "unknown":
	default:
		log.Fatalf("%s: find_keys type %q", name, ks.fkType)
	}
	return ks
}

// children returns the raw encodings of the elements of the aggregate at
// the start of buf (keys and values alternate for a map).
func children(buf []byte) [][]byte {
	i := bytes.Index(buf, []byte("\r\n"))
	n, err := strconv.Atoi(string(buf[1:i]))
	if err != nil {
		log.Fatalf("aggregate header %q", buf[:i])
	}
	if buf[0] == '%' {
		n *= 2
	}
	var elems [][]byte
	pos := i + 2
	for ; n > 0; n-- {
		_, l, err := proto.ReadReply(buf[pos:])
		if err != nil || l == 0 {
			log.Fatalf("truncated reply: %v", err)
		}
		elems = append(elems, buf[pos:pos+l])
		pos += l
	}
	return elems
}

// parseDocs reads a COMMAND DOCS map (name → doc map), with raw its
// encoding.
func parseDocs(r *proto.Reply, raw []byte, byName map[string]*command) {
	rawPairs := children(raw)
	pairs("COMMAND DOCS", r, func(name string, v *proto.Reply) {})
	for i := 0; i+1 < len(r.Elems); i += 2 {
		name := string(r.Elems[i].Str)
		cmd := byName[name]
		if cmd == nil {
			log.Fatalf("%s: in COMMAND DOCS, not in COMMAND INFO", name)
		}
		cmd.docs = map[string]string{}
		m := &r.Elems[i+1]
		rawFields := children(rawPairs[i+1])
		for j := 0; j+1 < len(m.Elems); j += 2 {
			key, v := string(m.Elems[j].Str), &m.Elems[j+1]
			switch key {
			case "summary", "since", "group", "complexity", "deprecated_since", "replaced_by":
				cmd.docs[key] = string(v.Str)
			case "doc_flags":
				cmd.docFlags = strs(v)
			case "history":
				for _, h := range v.Elems {
					if len(h.Elems) != 2 {
						log.Fatalf("%s: history entry of %d fields", name, len(h.Elems))
					}
					cmd.history = append(cmd.history, [2]string{string(h.Elems[0].Str), string(h.Elems[1].Str)})
				}
			case "arguments":
				cmd.args = rawFields[j+1]
			case "subcommands":
				parseDocs(v, rawFields[j+1], byName)
			default:
				log.Fatalf("%s: COMMAND DOCS field %q", name, key)
			}
		}
	}
}

func generate(top []*command, in string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./internal/gencommands from %s; DO NOT EDIT.\n\n", in)
	b.WriteString("package cmds\n\n")
	b.WriteString("// redisCommands is Redis 7.0.15's own description of its commands and\n")
	b.WriteString("// subcommands (COMMAND INFO and COMMAND DOCS), sorted by name. It is\n")
	b.WriteString("// data only: buildCommandTable joins it with the implementations of\n")
	b.WriteString("// commands.go. Treat it as read-only.\n")
	b.WriteString("var redisCommands = []*command{\n")
	for _, cmd := range top {
		writeCommand(&b, cmd, "")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func constants(names []string, table map[string]string, what, cmd string) string {
	if len(names) == 0 {
		return "0"
	}
	var out []string
	for _, n := range names {
		c, ok := table[n]
		if !ok {
			log.Fatalf("%s: unknown %s %q", cmd, what, n)
		}
		out = append(out, c)
	}
	return strings.Join(out, " | ")
}

func stringSlice(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func writeCommand(b *bytes.Buffer, cmd *command, parent string) {
	name := cmd.name
	if parent != "" {
		name = strings.TrimPrefix(cmd.name, parent+"|")
	}
	fmt.Fprintf(b, "{name: %q, fullName: %q, arity: %d,\n", name, cmd.name, cmd.arity)
	if len(cmd.flags) > 0 {
		fmt.Fprintf(b, "flags: %s,\n", constants(cmd.flags, cmdFlags, "flag", cmd.name))
	}
	fmt.Fprintf(b, "acl: %s,\n", constants(cmd.acl, aclCategories, "ACL category", cmd.name))
	if cmd.first != 0 || cmd.last != 0 || cmd.step != 0 {
		fmt.Fprintf(b, "first: %d, last: %d, step: %d,\n", cmd.first, cmd.last, cmd.step)
	}
	if len(cmd.tips) > 0 {
		fmt.Fprintf(b, "tips: %s,\n", stringSlice(cmd.tips))
	}
	if len(cmd.keySpecs) > 0 {
		b.WriteString("keySpecs: []keySpec{\n")
		for _, ks := range cmd.keySpecs {
			writeKeySpec(b, ks)
		}
		b.WriteString("},\n")
	}
	for _, f := range []struct{ field, key string }{
		{"group", "group"}, {"since", "since"}, {"summary", "summary"}, {"complexity", "complexity"},
		{"deprecatedSince", "deprecated_since"}, {"replacedBy", "replaced_by"},
	} {
		if v, ok := cmd.docs[f.key]; ok {
			if v == "" && f.key != "group" {
				log.Fatalf("%s: empty %s", cmd.name, f.key)
			}
			fmt.Fprintf(b, "%s: %q,\n", f.field, v)
		}
	}
	if len(cmd.docFlags) > 0 {
		fmt.Fprintf(b, "docFlags: %s,\n", stringSlice(cmd.docFlags))
	}
	if len(cmd.history) > 0 {
		b.WriteString("history: [][2]string{\n")
		for _, h := range cmd.history {
			fmt.Fprintf(b, "{%q, %q},\n", h[0], h[1])
		}
		b.WriteString("},\n")
	}
	if cmd.args != nil {
		fmt.Fprintf(b, "docArgs: %q,\n", cmd.args)
	}
	if len(cmd.subs) > 0 {
		b.WriteString("Subs: []*command{\n")
		for _, sub := range cmd.subs {
			writeCommand(b, sub, cmd.name)
		}
		b.WriteString("},\n")
	}
	b.WriteString("},\n")
}

func writeKeySpec(b *bytes.Buffer, ks keySpec) {
	b.WriteString("{")
	if ks.notes != "" {
		fmt.Fprintf(b, "notes: %q, ", ks.notes)
	}
	fmt.Fprintf(b, "flags: %s,", stringSlice(ks.flags))
	for _, f := range ks.flags {
		switch f {
		case "not_key":
			b.WriteString(" notKey: true,")
		case "incomplete":
			b.WriteString(" incomplete: true,")
		case "variable_flags":
			b.WriteString(" variableFlags: true,")
		}
	}
	b.WriteString("\n")
	switch ks.bsType {
	case "index":
		fmt.Fprintf(b, "bsType: 'i', bsIndex: %d,\n", ks.bsIndex)
	case "keyword":
		fmt.Fprintf(b, "bsType: 'k', bsKeyword: %q, bsStartFrom: %d,\n", ks.bsKeyword, ks.bsStartFrom)
	}
	switch ks.fkType {
	case "range":
		fmt.Fprintf(b, "fkType: 'r', lastKey: %d, keyStep: %d, limit: %d,\n", ks.lastKey, ks.keyStep, ks.limit)
	case "keynum":
		fmt.Fprintf(b, "fkType: 'n', keyNumIdx: %d, firstKey: %d, keyStep: %d,\n", ks.keyNumIdx, ks.firstKey, ks.keyStep)
	}
	b.WriteString("},\n")
}
