package cmds

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/redisfs/redisfs/core/proto"
)

// Shared pre-encoded replies, as Redis's shared.*.
var (
	sharedOK         = []byte("+OK\r\n")
	sharedPong       = []byte("+PONG\r\n")
	sharedQueued     = []byte("+QUEUED\r\n")
	sharedCZero      = []byte(":0\r\n")
	sharedCOne       = []byte(":1\r\n")
	sharedEmptyBulk  = []byte("$0\r\n\r\n")
	sharedEmptyArray = []byte("*0\r\n")
)

// Error texts shared by many commands, with their codes.
const (
	errWrongType     = "-WRONGTYPE Operation against a key holding the wrong kind of value"
	errSyntax        = "syntax error"
	errNotInteger    = "value is not an integer or out of range"
	errNotFloat      = "value is not a valid float"
	errNoSuchKey     = "no such key"
	errOutOfRange    = "index out of range"
	errDBIndex       = "DB index is out of range"
	errOverflow      = "increment or decrement would overflow"
	errNotIntOrNeg   = "value is out of range, must be positive"
	errSameObject    = "source and destination objects are the same"
	errInvalidExpire = "invalid expire time in '%s' command"
)

// write appends raw protocol to the reply buffer unless replies are off, and
// queues the client for the next beforeSleep flush.
func (c *Client) write(b []byte) {
	if c.Flags&(clientReplyOff|clientReplySkip) != 0 {
		return
	}
	c.prepare()
	c.Reply = append(c.Reply, b...)
}

func (c *Client) prepare() {
	if c.Flags&clientPendingWrite == 0 {
		c.Flags |= clientPendingWrite
		c.srv.pendingWrite = append(c.srv.pendingWrite, c)
	}
}

// replying reports whether reply bytes should be produced at all.
func (c *Client) replying() bool {
	if c.Flags&(clientReplyOff|clientReplySkip) != 0 {
		return false
	}
	c.prepare()
	return true
}

// addReplyProto appends already encoded protocol.
func (c *Client) addReplyProto(b []byte) { c.write(b) }

// addReplyOK replies +OK.
func (c *Client) addReplyOK() { c.write(sharedOK) }

// addReplyStatus replies +s.
func (c *Client) addReplyStatus(s string) {
	if c.replying() {
		c.Reply = proto.AppendSimple(c.Reply, s)
	}
}

// addReplyError replies with an error. A message that starts with '-'
// carries its own code ("-WRONGTYPE …"); any other gets "ERR " in front, as
// Redis's addReplyError. Newlines in the message become spaces so that the
// protocol cannot break.
func (c *Client) addReplyError(msg string) {
	code := "ERR"
	if strings.HasPrefix(msg, "-") {
		msg = msg[1:]
		if i := strings.IndexByte(msg, ' '); i > 0 {
			code = msg[:i]
		} else {
			code = msg
		}
	} else {
		msg = "ERR " + msg
	}
	if strings.ContainsAny(msg, "\r\n") {
		msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	}
	c.srv.countError(code)
	if c.replying() {
		c.Reply = proto.AppendError(c.Reply, msg)
	}
}

// addReplyErrorFormat is addReplyError with fmt.Sprintf.
func (c *Client) addReplyErrorFormat(format string, args ...any) {
	c.addReplyError(fmt.Sprintf(format, args...))
}

// addReplyErrorArity replies Redis's wrong-number-of-arguments error for the
// current command.
func (c *Client) addReplyErrorArity() {
	c.addReplyErrorFormat("wrong number of arguments for '%s' command", c.cmd.fullName)
}

// addReplyWrongType replies WRONGTYPE.
func (c *Client) addReplyWrongType() { c.addReplyError(errWrongType) }

// addReplySyntaxError replies "ERR syntax error".
func (c *Client) addReplySyntaxError() { c.addReplyError(errSyntax) }

// addReplyInt replies :n.
func (c *Client) addReplyInt(n int64) {
	if !c.replying() {
		return
	}
	switch n {
	case 0:
		c.Reply = append(c.Reply, sharedCZero...)
	case 1:
		c.Reply = append(c.Reply, sharedCOne...)
	default:
		c.Reply = proto.AppendInt(c.Reply, n)
	}
}

// addReplyBulk replies with a bulk string.
func (c *Client) addReplyBulk(b []byte) {
	if c.replying() {
		c.Reply = proto.AppendBulk(c.Reply, b)
	}
}

// addReplyBulkString replies with a bulk string.
func (c *Client) addReplyBulkString(s string) {
	if c.replying() {
		c.Reply = proto.AppendBulkString(c.Reply, s)
	}
}

// addReplyBulkInt replies with an integer as a bulk string.
func (c *Client) addReplyBulkInt(n int64) {
	if !c.replying() {
		return
	}
	var buf [24]byte
	c.Reply = proto.AppendBulk(c.Reply, strconv.AppendInt(buf[:0], n, 10))
}

// addReplyBulkObject replies with the string value of o.
func (c *Client) addReplyBulkObject(o *Object) {
	if !c.replying() {
		return
	}
	if o.isInt() {
		var buf [24]byte
		c.Reply = proto.AppendBulk(c.Reply, strconv.AppendInt(buf[:0], o.int(), 10))
		return
	}
	c.Reply = proto.AppendBulk(c.Reply, o.Bytes())
}

// addReplyNull replies with the null bulk ($-1, or _ in RESP3).
func (c *Client) addReplyNull() {
	if c.replying() {
		c.Reply = proto.AppendNullBulk(c.Reply, c.resp)
	}
}

// addReplyNullArray replies with the null array (*-1, or _ in RESP3).
func (c *Client) addReplyNullArray() {
	if c.replying() {
		c.Reply = proto.AppendNullArray(c.Reply, c.resp)
	}
}

// addReplyArrayLen starts an array of n elements.
func (c *Client) addReplyArrayLen(n int) {
	if c.replying() {
		c.Reply = proto.AppendArrayLen(c.Reply, n)
	}
}

// addReplyMapLen starts a map of n pairs (an array of 2n in RESP2).
func (c *Client) addReplyMapLen(n int) {
	if c.replying() {
		c.Reply = proto.AppendMapLen(c.Reply, n, c.resp)
	}
}

// addReplySetLen starts a set of n elements (an array in RESP2).
func (c *Client) addReplySetLen(n int) {
	if c.replying() {
		c.Reply = proto.AppendSetLen(c.Reply, n, c.resp)
	}
}

// addReplyPushLen starts a push of n elements (an array in RESP2).
func (c *Client) addReplyPushLen(n int) {
	if c.replying() {
		c.Reply = proto.AppendPushLen(c.Reply, n, c.resp)
	}
}

// addReplyDouble replies with a double as Redis 7.0's addReplyDouble.
func (c *Client) addReplyDouble(f float64) {
	if c.replying() {
		c.Reply = proto.AppendDouble(c.Reply, f, c.resp)
	}
}

// addReplyBool replies with a boolean (:1/:0 in RESP2).
func (c *Client) addReplyBool(b bool) {
	if c.replying() {
		c.Reply = proto.AppendBool(c.Reply, b, c.resp)
	}
}

// addReplyVerbatim replies with verbatim text (a bulk string in RESP2).
func (c *Client) addReplyVerbatim(s []byte, format string) {
	if c.replying() {
		c.Reply = proto.AppendVerbatim(c.Reply, s, format, c.resp)
	}
}

// addReplyHelp replies with a command's HELP text as Redis's addReplyHelp:
// a header line naming the command, the lines, and the HELP line.
func (c *Client) addReplyHelp(lines []string) {
	name := strings.ToUpper(c.cmd.name)
	if c.cmd.parent != nil {
		name = strings.ToUpper(c.cmd.parent.name)
	}
	c.addReplyArrayLen(len(lines) + 3)
	c.addReplyStatus(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.addReplyStatus(l)
	}
	c.addReplyStatus("HELP")
	c.addReplyStatus("    Prints this help.")
}

// addReplySubcommandSyntaxError replies Redis's unknown-subcommand error.
func (c *Client) addReplySubcommandSyntaxError() {
	name := c.cmd.name
	if c.cmd.parent != nil {
		name = c.cmd.parent.name
	}
	c.addReplyErrorFormat("unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
		c.argv[1], strings.ToUpper(name))
}

// deferredLen marks a place in the reply where a length header will be
// inserted once known.
type deferredLen struct {
	pos   int
	valid bool
}

// addReplyDeferredLen reserves the place of an aggregate header.
func (c *Client) addReplyDeferredLen() deferredLen {
	if !c.replying() {
		return deferredLen{}
	}
	return deferredLen{pos: len(c.Reply), valid: true}
}

func (c *Client) setDeferred(d deferredLen, hdr []byte) {
	if !d.valid || d.pos > len(c.Reply) {
		return
	}
	n := len(hdr)
	c.Reply = append(c.Reply, hdr...) // grow
	copy(c.Reply[d.pos+n:], c.Reply[d.pos:len(c.Reply)-n])
	copy(c.Reply[d.pos:], hdr)
}

// setDeferredArrayLen writes the array header at d.
func (c *Client) setDeferredArrayLen(d deferredLen, n int) {
	var buf [24]byte
	c.setDeferred(d, proto.AppendArrayLen(buf[:0], n))
}

// setDeferredMapLen writes the map header at d.
func (c *Client) setDeferredMapLen(d deferredLen, n int) {
	var buf [24]byte
	c.setDeferred(d, proto.AppendMapLen(buf[:0], n, c.resp))
}

// setDeferredSetLen writes the set header at d.
func (c *Client) setDeferredSetLen(d deferredLen, n int) {
	var buf [24]byte
	c.setDeferred(d, proto.AppendSetLen(buf[:0], n, c.resp))
}
