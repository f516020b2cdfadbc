package cmds

import (
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
)

// The slow log, after Redis 7.0's slowlog.c: every command that ran for at
// least slowlog-log-slower-than microseconds (-1 disables, 0 logs all) is
// kept, newest first, up to slowlog-max-len entries, with at most 32
// arguments of at most 128 bytes each. It is fed, with MONITOR and the
// latency monitor, from call(); arguments that are secrets (AUTH
// passwords, ACL SETUSER rules …) show as "(redacted)" there, as Redis
// redacts them.

const (
	slowlogEntryMaxArgc   = 32
	slowlogEntryMaxString = 128
)

// slowlogEntry is one logged command.
type slowlogEntry struct {
	id       int64
	time     int64 // unix seconds
	duration int64 // µs
	argv     [][]byte
	peer     string
	name     string
}

// slowlogState holds the entries, oldest first.
type slowlogState struct {
	entries []*slowlogEntry
	nextID  int64
}

// slowlogWanted reports whether a command that ran for usec µs belongs
// in the slow log.
func (srv *Server) slowlogWanted(usec int64) bool {
	t := srv.Config.slowlogLogSlowerThan
	return t >= 0 && usec >= t
}

// redactedArg replaces a secret argument.
var redactedArg = []byte("(redacted)")

// redactArgs returns argv with the arguments Redis redacts replaced (a
// copy when any is).
func redactArgs(cmd *command, argv [][]byte) [][]byte {
	var red []int
	name := cmd.fullName
	switch {
	case name == "auth":
		for j := 1; j < len(argv); j++ {
			red = append(red, j)
		}
	case name == "acl|setuser":
		for j := 2; j < len(argv); j++ {
			red = append(red, j)
		}
	case name == "hello":
		for j := 2; j < len(argv); j++ {
			more := len(argv) - 1 - j
			switch {
			case equalFoldC(argv[j], "auth") && more >= 2:
				red = append(red, j+1, j+2)
				j += 2
			case equalFoldC(argv[j], "setname") && more >= 1:
				j++
			default:
				j = len(argv)
			}
		}
	case name == "config|set":
		for j := 2; j+1 < len(argv); j += 2 {
			if equalFoldC(argv[j], "requirepass") || equalFoldC(argv[j], "masterauth") {
				red = append(red, j+1)
			}
		}
	case name == "migrate":
		for j := 6; j < len(argv); j++ {
			if equalFoldC(argv[j], "auth") && j+1 < len(argv) {
				red = append(red, j+1)
				j++
			} else if equalFoldC(argv[j], "auth2") && j+2 < len(argv) {
				red = append(red, j+1, j+2)
				j += 2
			} else if equalFoldC(argv[j], "keys") {
				break
			}
		}
	}
	if len(red) == 0 {
		return argv
	}
	out := append([][]byte(nil), argv...)
	for _, j := range red {
		out[j] = redactedArg
	}
	return out
}

// peerID is the client's "ip:port" (getClientPeerId).
func (c *Client) peerID() string {
	if c.conn == nil {
		return ""
	}
	return c.conn.RemoteAddr()
}

// slowlogPush logs a command (slowlogCreateEntry and the trimming of
// slowlogPushEntryIfNeeded).
func (srv *Server) slowlogPush(c *Client, argv [][]byte, usec int64) {
	st := &srv.slowlog
	n := len(argv)
	if n > slowlogEntryMaxArgc {
		n = slowlogEntryMaxArgc
	}
	e := &slowlogEntry{id: st.nextID, time: srv.Now().Unix(), duration: usec,
		argv: make([][]byte, n), peer: c.peerID(), name: c.Name}
	st.nextID++
	for j := 0; j < n; j++ {
		switch {
		case n != len(argv) && j == n-1:
			e.argv[j] = []byte("... (" + strconv.Itoa(len(argv)-n+1) + " more arguments)")
		case len(argv[j]) > slowlogEntryMaxString:
			s := append([]byte(nil), argv[j][:slowlogEntryMaxString]...)
			e.argv[j] = append(s, "... ("+strconv.Itoa(len(argv[j])-slowlogEntryMaxString)+" more bytes)"...)
		default:
			e.argv[j] = append([]byte(nil), argv[j]...)
		}
	}
	st.entries = append(st.entries, e)
	srv.slowlogTrim()
}

func (srv *Server) slowlogTrim() {
	st := &srv.slowlog
	if over := int64(len(st.entries)) - srv.Config.slowlogMaxLen; over > 0 {
		clear(st.entries[:over])
		st.entries = st.entries[over:]
	}
}

var slowlogHelp = []string{
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
}

// SLOWLOG HELP
func slowlogHelpCommand(c *Client) { c.addReplyHelp(slowlogHelp) }

// slowlogContainerCommand runs for SLOWLOG without a subcommand (unreachable).
func slowlogContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }

// SLOWLOG RESET
func slowlogResetCommand(c *Client) {
	clear(c.srv.slowlog.entries)
	c.srv.slowlog.entries = nil
	c.addReplyOK()
}

// SLOWLOG LEN
func slowlogLenCommand(c *Client) { c.addReplyInt(int64(len(c.srv.slowlog.entries))) }

// SLOWLOG GET [count]
func slowlogGetCommand(c *Client) {
	if len(c.argv) > 3 {
		c.addReplySubcommandSyntaxError()
		return
	}
	entries := c.srv.slowlog.entries
	count := int64(10)
	if len(c.argv) == 3 {
		n, ok := proto.ParseInt(c.argv[2])
		if !ok || n < -1 {
			c.addReplyError("count should be greater than or equal to -1")
			return
		}
		count = n
		if count == -1 {
			count = int64(len(entries))
		}
	}
	count = min(count, int64(len(entries)))
	c.addReplyArrayLen(int(count))
	for i := int64(0); i < count; i++ {
		e := entries[int64(len(entries))-1-i]
		c.addReplyArrayLen(6)
		c.addReplyInt(e.id)
		c.addReplyInt(e.time)
		c.addReplyInt(e.duration)
		c.addReplyArrayLen(len(e.argv))
		for _, a := range e.argv {
			c.addReplyBulk(a)
		}
		c.addReplyBulkString(e.peer)
		c.addReplyBulkString(e.name)
	}
}
