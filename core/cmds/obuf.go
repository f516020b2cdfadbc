package cmds

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Output buffer limits (client-output-buffer-limit), after Redis 7.0's
// networking.c (checkClientOutputBufferLimits): a client of any class
// (normal, replica, pub/sub) whose pending output passes its class's hard
// limit, or stays over the soft limit for the soft seconds, is closed
// asynchronously. The server checks after every command, before replies
// are written and as subscribers get messages; the file server checks the
// output that waits on its side.

// obufState caches client-output-buffer-limit parsed.
type obufState struct {
	limits [3]obufLimit
	str    string // the directive's value limits was parsed from
}

// obufLimit is one class's limits.
type obufLimit struct {
	hard, soft int64
	softSecs   int64
}

// obufClasses are the classes of client-output-buffer-limit in order.
var obufClasses = []string{"normal", "slave", "pubsub"}

// parseOutputBufferLimits parses "class hard soft seconds ..." into the
// three classes, starting from cur; Redis accepts "replica" for "slave".
// The error is Redis's text.
func parseOutputBufferLimits(v string, cur [3]obufLimit) ([3]obufLimit, error) {
	args := strings.Fields(v)
	if len(args)%4 != 0 {
		return cur, errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	for i := 0; i < len(args); i += 4 {
		class := -1
		switch strings.ToLower(args[i]) {
		case "normal":
			class = 0
		case "slave", "replica":
			class = 1
		case "pubsub":
			class = 2
		default:
			return cur, errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, ok1 := parseMemory(args[i+1])
		soft, ok2 := parseMemory(args[i+2])
		secs, err := strconv.ParseInt(args[i+3], 10, 64)
		if !ok1 || !ok2 || err != nil || hard < 0 || soft < 0 || secs < 0 {
			return cur, errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		cur[class] = obufLimit{hard: hard, soft: soft, softSecs: secs}
	}
	return cur, nil
}

func formatOutputBufferLimits(l [3]obufLimit) string {
	var b []byte
	for i, class := range obufClasses {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, class...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, l[i].hard, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, l[i].soft, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, l[i].softSecs, 10)
	}
	return string(b)
}

var defaultOutputBufferLimits, _ = parseOutputBufferLimits(DefaultConfig().clientOutputBufferLimit, [3]obufLimit{})

// outputBufferLimits returns the configured limits (parsed once per value).
func (srv *Server) outputBufferLimits() [3]obufLimit {
	v := srv.Config.clientOutputBufferLimit
	if v != srv.obuf.str {
		srv.obuf.limits, _ = parseOutputBufferLimits(v, defaultOutputBufferLimits)
		srv.obuf.str = v
	}
	return srv.obuf.limits
}

// checkOutputBufferLimits closes c asynchronously when its pending output
// is over its class's limits. It runs after every command, before replies
// are written and where a subscriber gets a message. The mount's clients
// (no socket: fd -1) are checked by fs where it knows what waits for its
// reader (CheckOutputBufferLimits), or not at all when nobody reads their
// output but fs itself, as Redis exempts its fake clients; subscribers of
// any transport are checked here too.
func (srv *Server) checkOutputBufferLimits(c *Client) {
	if len(c.Reply)-c.Sent <= replyStaticBytes {
		return
	}
	if c.Flags&ClientPubsub != 0 && c.ps != nil || c.conn != nil && c.conn.Fd() >= 0 {
		c.CheckOutputBufferLimits(int64(len(c.Reply) - c.Sent))
	}
}

// replyStaticBytes is the size of Redis's per-client static reply buffer
// (PROTO_REPLY_CHUNK_BYTES). Ours is one buffer, but it is measured as
// Redis's would be: the first replyStaticBytes pending bytes as that
// buffer (obl in CLIENT LIST), the rest as its reply list of blocks of
// that size (oll, omem), the only part client-output-buffer-limit counts.
const replyStaticBytes = 16 * 1024

// outputBufferUsage splits pending output bytes as Redis's buffers would
// hold them (see replyStaticBytes): obl, oll, omem.
func outputBufferUsage(pending int64) (obl, oll, omem int64) {
	obl = min(max(pending, 0), replyStaticBytes)
	omem = max(pending-replyStaticBytes, 0)
	oll = (omem + replyStaticBytes - 1) / replyStaticBytes
	return obl, oll, omem
}

// outputBufferClass is the client-output-buffer-limit class of c, as
// Redis's getClientType: a replica's (index 1; no client is one until
// replication exists), pubsub for a subscriber, normal for every other,
// a MONITOR connection included. The mount's monitor file (a monitor
// with no socket) is held to the pubsub class, as fs documents: nothing
// else bounds what a file nobody reads holds.
func (c *Client) outputBufferClass() int {
	if c.Flags&ClientPubsub != 0 {
		return 2
	}
	if c.Flags&ClientMonitor != 0 && c.conn != nil && c.conn.Fd() < 0 {
		return 2
	}
	return 0
}

// CheckOutputBufferLimits closes c asynchronously (at the next
// beforeSleep, logged as Redis logs it) when used, the bytes of output
// its reader has not taken yet, counted as Redis's reply list would hold
// them (outputBufferUsage), is over the hard limit of c's class of
// client-output-buffer-limit, or has stayed over its soft limit for
// longer than the soft seconds (Redis's checkClientOutputBufferLimits
// and closeClientOnOutputBufferLimitReached). The server checks its
// clients after each command and its subscribers as they get messages;
// the file server (fs/local) calls it for the clients whose output waits
// elsewhere (a ctl conversation's rendered text) or that the server holds
// to no limit (a monitor file's reader).
//
// Used by fs/local.
func (c *Client) CheckOutputBufferLimits(used int64) {
	if c.Flags&ClientCloseASAP != 0 {
		return
	}
	_, _, used = outputBufferUsage(used)
	if used == 0 {
		// As Redis with an empty reply list: nothing to check, and
		// the soft limit's clock is left as it is.
		return
	}
	srv := c.srv
	lim := srv.outputBufferLimits()[c.outputBufferClass()]
	hard := lim.hard != 0 && used >= lim.hard
	soft := lim.soft != 0 && used >= lim.soft
	if soft && !hard {
		now := time.Now().Unix()
		if c.obufSoftSince == 0 {
			c.obufSoftSince = now
			soft = false
		} else if now-c.obufSoftSince <= lim.softSecs {
			soft = false
		}
	} else if !soft {
		c.obufSoftSince = 0
	}
	if hard || soft {
		info := string(c.appendClientInfo(nil))
		srv.Logf(LogWarning, "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", info)
		c.Flags |= ClientCloseASAP
		c.prepare()
	}
}
