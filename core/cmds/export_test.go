package cmds

import (
	"strings"
	"sync"
)

// Test hooks for the external tests of this package.

var (
	metaKeysOnce   sync.Once
	metaKeysClient *Client
)

// MetaGetKeys answers COMMAND GETKEYS (GETKEYSANDFLAGS withFlags) for argv
// as if every command of Redis 7.0's table were implemented: the command is
// looked up in the generated metadata, with its key function, so the key
// rules of commands this server does not serve yet can be compared with
// Redis's.
func MetaGetKeys(argv [][]byte, withFlags bool) []byte {
	metaKeysOnce.Do(func() {
		cfg := DefaultConfig()
		cfg.Save, cfg.AppendOnly = "", false
		srv := NewServer(cfg)
		srv.LogOut = nil
		metaKeysClient = srv.NewClient(nopConn{})
	})
	var cmd *command
	if len(argv) > 0 {
		cmd = lookupMeta(strings.ToLower(string(argv[0])))
		if cmd != nil && cmd.parent == nil && strings.Contains(cmd.fullName, "|") {
			cmd = nil
		}
		if cmd != nil && len(cmd.Subs) > 0 && len(argv) >= 2 {
			cmd = lookupMeta(cmd.fullName + "|" + strings.ToLower(string(argv[1])))
		}
	}
	if cmd != nil {
		withKeys := *cmd
		withKeys.getKeys = commandKeyFuncs()[cmd.fullName]
		cmd = &withKeys
	}
	c := metaKeysClient
	c.Reply = c.Reply[:0]
	c.addReplyGetKeys(cmd, argv, withFlags)
	return append([]byte(nil), c.Reply...)
}

// MetaCommandNames returns the argv prefix of every command and subcommand
// of Redis 7.0's table: ["get"], ["config", "get"] ….
func MetaCommandNames() [][]string {
	var out [][]string
	for _, cmd := range redisCommands {
		out = append(out, []string{cmd.name})
		for _, sub := range cmd.Subs {
			out = append(out, []string{cmd.name, sub.name})
		}
	}
	return out
}
