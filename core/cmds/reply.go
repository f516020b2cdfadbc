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
	ErrWrongType     = "-WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrSyntax        = "syntax error"
	ErrNotInteger    = "value is not an integer or out of range"
	ErrNotFloat      = "value is not a valid float"
	ErrNoSuchKey     = "no such key"
	ErrOutOfRange    = "index out of range"
	ErrDBIndex       = "DB index is out of range"
	ErrOverflow      = "increment or decrement would overflow"
	ErrNotIntOrNeg   = "value is out of range, must be positive"
	ErrSameObject    = "source and destination objects are the same"
	ErrInvalidExpire = "invalid expire time in '%s' command"
)

// write appends raw protocol to the reply buffer unless replies are off, and
// queues the client for the next beforeSleep flush.
func (c *Client) write(b []byte) {
	if c.Flags&(ClientReplyOff|ClientReplySkip) != 0 {
		return
	}
	c.prepare()
	c.Reply = append(c.Reply, b...)
}

func (c *Client) prepare() {
	if c.Flags&ClientPendingWrite == 0 {
		c.Flags |= ClientPendingWrite
		c.srv.pendingWrite = append(c.srv.pendingWrite, c)
	}
}

// replying reports whether reply bytes should be produced at all.
func (c *Client) replying() bool {
	if c.Flags&(ClientReplyOff|ClientReplySkip) != 0 {
		return false
	}
	c.prepare()
	return true
}

// AddReplyProto appends already encoded protocol.
func (c *Client) AddReplyProto(b []byte) { c.write(b) }

// AddReplyOK replies +OK.
func (c *Client) AddReplyOK() { c.write(sharedOK) }

// AddReplyStatus replies +s.
func (c *Client) AddReplyStatus(s string) {
	if c.replying() {
		c.Reply = proto.AppendSimple(c.Reply, s)
	}
}

// AddReplyError replies with an error. A message that starts with '-'
// carries its own code ("-WRONGTYPE …"); any other gets "ERR " in front, as
// Redis's addReplyError. Newlines in the message become spaces so that the
// protocol cannot break.
func (c *Client) AddReplyError(msg string) {
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

// AddReplyErrorFormat is AddReplyError with fmt.Sprintf.
func (c *Client) AddReplyErrorFormat(format string, args ...any) {
	c.AddReplyError(fmt.Sprintf(format, args...))
}

// AddReplyErrorArity replies Redis's wrong-number-of-arguments error for the
// current command.
func (c *Client) AddReplyErrorArity() {
	c.AddReplyErrorFormat("wrong number of arguments for '%s' command", c.cmd.FullName)
}

// AddReplyWrongType replies WRONGTYPE.
func (c *Client) AddReplyWrongType() { c.AddReplyError(ErrWrongType) }

// AddReplySyntaxError replies "ERR syntax error".
func (c *Client) AddReplySyntaxError() { c.AddReplyError(ErrSyntax) }

// AddReplyInt replies :n.
func (c *Client) AddReplyInt(n int64) {
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

// AddReplyBulk replies with a bulk string.
func (c *Client) AddReplyBulk(b []byte) {
	if c.replying() {
		c.Reply = proto.AppendBulk(c.Reply, b)
	}
}

// AddReplyBulkString replies with a bulk string.
func (c *Client) AddReplyBulkString(s string) {
	if c.replying() {
		c.Reply = proto.AppendBulkString(c.Reply, s)
	}
}

// AddReplyBulkInt replies with an integer as a bulk string.
func (c *Client) AddReplyBulkInt(n int64) {
	if !c.replying() {
		return
	}
	var buf [24]byte
	c.Reply = proto.AppendBulk(c.Reply, strconv.AppendInt(buf[:0], n, 10))
}

// AddReplyBulkObject replies with the string value of o.
func (c *Client) AddReplyBulkObject(o *Object) {
	if !c.replying() {
		return
	}
	if o.IsInt() {
		var buf [24]byte
		c.Reply = proto.AppendBulk(c.Reply, strconv.AppendInt(buf[:0], o.Int(), 10))
		return
	}
	c.Reply = proto.AppendBulk(c.Reply, o.Bytes())
}

// AddReplyNull replies with the null bulk ($-1, or _ in RESP3).
func (c *Client) AddReplyNull() {
	if c.replying() {
		c.Reply = proto.AppendNullBulk(c.Reply, c.Resp)
	}
}

// AddReplyNullArray replies with the null array (*-1, or _ in RESP3).
func (c *Client) AddReplyNullArray() {
	if c.replying() {
		c.Reply = proto.AppendNullArray(c.Reply, c.Resp)
	}
}

// AddReplyArrayLen starts an array of n elements.
func (c *Client) AddReplyArrayLen(n int) {
	if c.replying() {
		c.Reply = proto.AppendArrayLen(c.Reply, n)
	}
}

// AddReplyMapLen starts a map of n pairs (an array of 2n in RESP2).
func (c *Client) AddReplyMapLen(n int) {
	if c.replying() {
		c.Reply = proto.AppendMapLen(c.Reply, n, c.Resp)
	}
}

// AddReplySetLen starts a set of n elements (an array in RESP2).
func (c *Client) AddReplySetLen(n int) {
	if c.replying() {
		c.Reply = proto.AppendSetLen(c.Reply, n, c.Resp)
	}
}

// AddReplyPushLen starts a push of n elements (an array in RESP2).
func (c *Client) AddReplyPushLen(n int) {
	if c.replying() {
		c.Reply = proto.AppendPushLen(c.Reply, n, c.Resp)
	}
}

// AddReplyDouble replies with a double as Redis 7.0's addReplyDouble.
func (c *Client) AddReplyDouble(f float64) {
	if c.replying() {
		c.Reply = proto.AppendDouble(c.Reply, f, c.Resp)
	}
}

// AddReplyBool replies with a boolean (:1/:0 in RESP2).
func (c *Client) AddReplyBool(b bool) {
	if c.replying() {
		c.Reply = proto.AppendBool(c.Reply, b, c.Resp)
	}
}

// AddReplyVerbatim replies with verbatim text (a bulk string in RESP2).
func (c *Client) AddReplyVerbatim(s []byte, format string) {
	if c.replying() {
		c.Reply = proto.AppendVerbatim(c.Reply, s, format, c.Resp)
	}
}

// AddReplyHelp replies with a command's HELP text as Redis's addReplyHelp:
// a header line naming the command, the lines, and the HELP line.
func (c *Client) AddReplyHelp(lines []string) {
	name := strings.ToUpper(c.cmd.Name)
	if c.cmd.Parent != nil {
		name = strings.ToUpper(c.cmd.Parent.Name)
	}
	c.AddReplyArrayLen(len(lines) + 3)
	c.AddReplyStatus(name + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.AddReplyStatus(l)
	}
	c.AddReplyStatus("HELP")
	c.AddReplyStatus("    Prints this help.")
}

// AddReplySubcommandSyntaxError replies Redis's unknown-subcommand error.
func (c *Client) AddReplySubcommandSyntaxError() {
	name := c.cmd.Name
	if c.cmd.Parent != nil {
		name = c.cmd.Parent.Name
	}
	c.AddReplyErrorFormat("unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
		c.Argv[1], strings.ToUpper(name))
}

// DeferredLen marks a place in the reply where a length header will be
// inserted once known.
type DeferredLen struct {
	pos   int
	valid bool
}

// AddReplyDeferredLen reserves the place of an aggregate header.
func (c *Client) AddReplyDeferredLen() DeferredLen {
	if !c.replying() {
		return DeferredLen{}
	}
	return DeferredLen{pos: len(c.Reply), valid: true}
}

func (c *Client) setDeferred(d DeferredLen, hdr []byte) {
	if !d.valid || d.pos > len(c.Reply) {
		return
	}
	n := len(hdr)
	c.Reply = append(c.Reply, hdr...) // grow
	copy(c.Reply[d.pos+n:], c.Reply[d.pos:len(c.Reply)-n])
	copy(c.Reply[d.pos:], hdr)
}

// SetDeferredArrayLen writes the array header at d.
func (c *Client) SetDeferredArrayLen(d DeferredLen, n int) {
	var buf [24]byte
	c.setDeferred(d, proto.AppendArrayLen(buf[:0], n))
}

// SetDeferredMapLen writes the map header at d.
func (c *Client) SetDeferredMapLen(d DeferredLen, n int) {
	var buf [24]byte
	c.setDeferred(d, proto.AppendMapLen(buf[:0], n, c.Resp))
}

// SetDeferredSetLen writes the set header at d.
func (c *Client) SetDeferredSetLen(d DeferredLen, n int) {
	var buf [24]byte
	c.setDeferred(d, proto.AppendSetLen(buf[:0], n, c.Resp))
}
