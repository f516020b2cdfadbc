package cmds

import (
	"fmt"
	"slices"
	"sort"
	"testing"
)

// TestTableDiff is temporary: it compares the hand-typed table of the
// family files with Redis 7.0.15's data generated into commands_gen.go,
// field by field, before the hand-typed literals go.
func TestTableDiff(t *testing.T) {
	gen := map[string]*Command{}
	for _, c := range redisCommands {
		gen[c.FullName] = c
		for _, s := range c.Subs {
			gen[s.FullName] = s
		}
	}
	flagNames := func(f uint64) []string {
		var out []string
		for _, n := range CmdFlagNames {
			if f&n.Flag != 0 {
				out = append(out, n.Name)
			}
		}
		return out
	}
	aclNames := func(f uint64) []string {
		var out []string
		for _, n := range AclCategoryNames {
			if f&n.Flag != 0 {
				out = append(out, n.Name)
			}
		}
		return out
	}
	var lines []string
	var cmp func(o *Command)
	cmp = func(o *Command) {
		g := gen[o.FullName]
		if g == nil {
			lines = append(lines, fmt.Sprintf("%s: not in Redis", o.FullName))
			return
		}
		d := func(field string, ours, redis any) {
			lines = append(lines, fmt.Sprintf("%s: %s: ours %v, redis %v", o.FullName, field, ours, redis))
		}
		if o.Arity != g.Arity {
			d("arity", o.Arity, g.Arity)
		}
		if o.Flags != g.Flags {
			d("flags", flagNames(o.Flags&^g.Flags), "-"+fmt.Sprint(flagNames(g.Flags&^o.Flags)))
		}
		if implicitAcl(o) != g.Acl {
			d("acl", aclNames(implicitAcl(o)&^g.Acl), "-"+fmt.Sprint(aclNames(g.Acl&^implicitAcl(o))))
		}
		if o.Acl|implicitAcl(o) != o.Acl {
			d("acl (implicit only)", aclNames(implicitAcl(o)&^o.Acl), "")
		}
		if o.First != g.First || o.Last != g.Last || o.Step != g.Step {
			d("keys", []int{o.First, o.Last, o.Step}, []int{g.First, g.Last, g.Step})
		}
		if !slices.Equal(o.Tips, g.Tips) {
			d("tips", o.Tips, g.Tips)
		}
		for _, f := range [][3]string{{"group", o.Group, g.Group}, {"since", o.Since, g.Since}, {"summary", o.Summary, g.Summary}, {"complexity", o.Complexity, g.Complexity}} {
			if f[1] != f[2] {
				d(f[0], fmt.Sprintf("%q", f[1]), fmt.Sprintf("%q", f[2]))
			}
		}
		if o.GetKeys != nil {
			lines = append(lines, fmt.Sprintf("%s: has GetKeys (redis movablekeys=%v)", o.FullName, g.Flags&CmdMovableKeys != 0))
		}
		if o.GetKeys == nil && g.Flags&CmdMovableKeys != 0 {
			lines = append(lines, fmt.Sprintf("%s: movablekeys without GetKeys", o.FullName))
		}
		names := map[string]bool{}
		for _, s := range o.Subs {
			names[s.Name] = true
			cmp(s)
		}
		var missing []string
		for _, s := range g.Subs {
			if !names[s.Name] {
				missing = append(missing, s.Name)
			}
		}
		if len(missing) > 0 {
			lines = append(lines, fmt.Sprintf("%s: subcommands not implemented: %v", o.FullName, missing))
		}
	}
	var names []string
	for n := range commandTable {
		names = append(names, n)
	}
	sort.Strings(names)
	n := 0
	for _, name := range names {
		n += 1 + len(commandTable[name].Subs)
		cmp(commandTable[name])
	}
	for _, l := range lines {
		t.Log(l)
	}
	t.Logf("%d top-level, %d entries, %d lines", len(names), n, len(lines))
}
