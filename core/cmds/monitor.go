package cmds

import (
	"strconv"
	"time"
)

// MONITOR, after Redis 7.0's replicationFeedMonitors: a monitor client
// receives, for every command another client ran (fed from call(), after
// the command, so the database shown is the one it left selected), a
// status line
//
//	+1700000000.123456 [0 127.0.0.1:5555] "set" "k" "v"
//
// with the arguments quoted as sdscatrepr quotes them. Administrative
// commands and those flagged skip_monitor are not shown.

// MONITOR
func monitorCommand(c *Client) {
	if c.Flags&clientDenyBlocking != 0 {
		// A client that expects one reply per command cannot monitor.
		c.addReplyError("MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.Flags&ClientMonitor != 0 {
		return // already monitoring: nothing, not even a reply
	}
	srv := c.srv
	c.Flags |= ClientMonitor
	srv.monitors = append(srv.monitors, c)
	c.addReplyOK()
}

func (srv *Server) removeMonitor(c *Client) {
	if c.Flags&ClientMonitor == 0 {
		return
	}
	c.Flags &^= ClientMonitor
	srv.monitors = removeClient(srv.monitors, c)
}

// feedMonitors sends one command line to every monitor.
func (srv *Server) feedMonitors(c *Client, argv [][]byte) {
	if len(srv.monitors) == 0 {
		return
	}
	now := time.Now()
	b := make([]byte, 0, 64)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := now.Nanosecond() / 1000
	for d := 100000; d > 1 && us < d; d /= 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(us), 10)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.db.id), 10)
	b = append(b, ' ')
	if c.Flags&clientScript != 0 {
		b = append(b, "lua"...)
	} else if c.Flags&ClientUnixSocket != 0 {
		b = append(b, "unix:"...)
		b = append(b, srv.Config.UnixSocket...)
	} else {
		b = append(b, c.peerID()...)
	}
	b = append(b, "] "...)
	for j, a := range argv {
		if j > 0 {
			b = append(b, ' ')
		}
		b = appendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	for _, m := range srv.monitors {
		// A client about to close (QUIT) gets nothing more.
		if m.Flags&(ClientCloseASAP|ClientCloseAfterReply) == 0 {
			m.prepare()
			m.Reply = append(m.Reply, b...)
		}
	}
}
