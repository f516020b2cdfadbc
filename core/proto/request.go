package proto

import (
	"bytes"
	"math"
)

// Limits of request parsing, as in Redis 7.0.
const (
	// InlineMaxSize is PROTO_INLINE_MAX_SIZE: the most bytes Redis buffers
	// while looking for the end of an inline request or of a multibulk
	// header line before it gives up with a protocol error.
	InlineMaxSize = 64 * 1024

	// MultibulkMaxCount is the largest argument count "*N" accepted.
	// Redis 7.0 accepts up to INT_MAX: 7.0.15 waits for the arguments of
	// "*2147483647" and refuses "*2147483648" (older releases
	// stopped at 1024*1024).
	MultibulkMaxCount = math.MaxInt32

	// DefaultMaxBulkLen is the default of proto-max-bulk-len (512mb).
	DefaultMaxBulkLen = 512 * 1024 * 1024

	// authMaxCount and authMaxBulkLen are the limits Redis applies to
	// clients that have not authenticated yet (Parser.AuthRequired).
	authMaxCount   = 10
	authMaxBulkLen = 16384
)

// ProtocolError reports malformed input. Its Error method returns Redis's
// text without the "ERR " prefix, e.g. "Protocol error: invalid multibulk
// length"; the server replies "-ERR " + Error() + "\r\n" and then closes the
// connection, as Redis does.
type ProtocolError struct {
	Msg string
}

// Error returns the message, without the "ERR " prefix.
func (e *ProtocolError) Error() string { return e.Msg }

// The fixed protocol errors, shared so that reporting one does not allocate.
var (
	errTooBigInline     = &ProtocolError{"Protocol error: too big inline request"}
	errUnbalancedQuotes = &ProtocolError{"Protocol error: unbalanced quotes in request"}
	errTooBigMbulkCount = &ProtocolError{"Protocol error: too big mbulk count string"}
	errInvalidMbulkLen  = &ProtocolError{"Protocol error: invalid multibulk length"}
	errUnauthMbulkLen   = &ProtocolError{"Protocol error: unauthenticated multibulk length"}
	errTooBigBulkCount  = &ProtocolError{"Protocol error: too big bulk count string"}
	errInvalidBulkLen   = &ProtocolError{"Protocol error: invalid bulk length"}
	errUnauthBulkLen    = &ProtocolError{"Protocol error: unauthenticated bulk length"}
)

// expectedDollar builds "Protocol error: expected '$', got '%c'". Redis
// formats the byte raw but, like every addReplyErrorFormat text, maps '\r'
// and '\n' to spaces so the reply stays one line.
func expectedDollar(c byte) *ProtocolError {
	if c == '\r' || c == '\n' {
		c = ' '
	}
	return &ProtocolError{"Protocol error: expected '$', got '" + string([]byte{c}) + "'"}
}

// Parser parses the requests of one client. The zero value is not valid;
// use NewParser. A Parser is not safe for concurrent use.
type Parser struct {
	// MaxBulkLen is proto-max-bulk-len, the longest bulk argument
	// accepted. It may be changed at any time and applies from the next
	// call of ReadCommand.
	MaxBulkLen int64

	// AuthRequired, when set, applies the tighter limits Redis enforces
	// on a client that must still authenticate: more than 10 arguments
	// fail with "Protocol error: unauthenticated multibulk length" and a
	// bulk longer than 16384 bytes with "Protocol error: unauthenticated
	// bulk length". The server sets it while the client is not
	// authenticated and a password is configured.
	AuthRequired bool

	// Need is set by ReadCommand. When it returned n == 0 while waiting
	// for the data of a bulk argument whose header it has read, Need is
	// the length buf must reach for that argument to be complete (the
	// whole command when it is the last argument); calling again with a
	// shorter buf cannot make progress. Otherwise Need is 0.
	Need int

	// Inline is set by ReadCommand: true if the request it looked at was
	// an inline one (not starting with '*'). Redis treats inline
	// requests slightly differently (they cannot carry binary data, and a
	// master may not send them).
	Inline bool

	// scratch holds the arguments of an inline request that had to be
	// unquoted; arguments without quotes alias the caller's buffer.
	scratch []byte

	// A multibulk request that is not complete yet is remembered, so the
	// next call resumes where this one stopped instead of parsing the
	// arguments again (a command of a million arguments arriving 16 KB
	// at a time would otherwise cost time quadratic in its size):
	// pendCount arguments are still to come at offset pendPos, and
	// pendOffs holds the start and end offsets of those already parsed.
	pending   bool
	pendCount int64
	pendPos   int
	pendOffs  []int
}

// Reset forgets a partly parsed request. A caller that, after ReadCommand
// returned n == 0, will not call again with the same bytes extended must
// call Reset first.
func (p *Parser) Reset() { p.pending = false }

// NewParser returns a Parser with Redis's default limits.
func NewParser() *Parser {
	return &Parser{MaxBulkLen: DefaultMaxBulkLen}
}

// ReadCommand parses one command from the start of buf and appends its
// arguments to argv[:0].
//
// It returns the arguments, the number of bytes consumed n, and an error.
// n == 0 with a nil error means that buf does not yet hold a whole command:
// the caller keeps buf, appends what it reads next and calls again (see
// Need). n > 0 with no arguments means an empty command was consumed (an
// empty inline line, "*0\r\n", "*-1\r\n"), which the caller skips. On a
// *ProtocolError n is 0; the caller replies "-ERR " + err.Error() and closes
// the connection once the reply is written.
//
// The arguments alias buf, or the parser's scratch space for inline
// arguments that had quotes to remove; they are valid until the next call
// or until buf is modified. Apart from that scratch space the parser keeps
// no state between calls, so a pending command is parsed again from its
// start each time, in time proportional to its number of arguments (not to
// its size). A request beginning with '*' is a multibulk one; anything else
// is inline. In steady state, with argv passed back in, it does not
// allocate.
//
// The limits of InlineMaxSize apply to the bytes buf holds, exactly as
// Redis applies them to its query buffer: a line longer than InlineMaxSize
// is accepted if its end is already in buf.
func (p *Parser) ReadCommand(buf []byte, argv [][]byte) (args [][]byte, n int, err error) {
	p.Need = 0
	args = argv[:0]
	if len(buf) == 0 {
		return args, 0, nil
	}
	if buf[0] == '*' {
		p.Inline = false
		return p.readMultibulk(buf, args)
	}
	p.Inline = true
	p.pending = false
	return p.readInline(buf, args)
}

// readInline follows processInlineBuffer. Redis looks for the newline with
// strchr on its NUL-terminated query buffer, so a NUL byte before the
// newline hides it: such a request never completes and ends in "too big
// inline request" once more than InlineMaxSize bytes are buffered.
func (p *Parser) readInline(buf []byte, args [][]byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 || bytes.IndexByte(buf[:nl], 0) >= 0 {
		if len(buf) > InlineMaxSize {
			return args, 0, errTooBigInline
		}
		return args, 0, nil
	}
	end := nl
	if end > 0 && buf[end-1] == '\r' {
		end--
	}
	args, ok := p.splitArgs(buf[:end], args)
	if !ok {
		return args[:0], 0, errUnbalancedQuotes
	}
	return args, nl + 1, nil
}

// indexCR returns the index of the first '\r' in buf at or after from, or
// -1 if there is none or a NUL byte comes first (Redis uses strchr).
func indexCR(buf []byte, from int) int {
	i := bytes.IndexByte(buf[from:], '\r')
	if i < 0 || bytes.IndexByte(buf[from:from+i], 0) >= 0 {
		return -1
	}
	return from + i
}

// readMultibulk follows processMultibulkBuffer, resuming a pending command
// where the previous call stopped. Like Redis it checks only that a header line's
// '\r' is followed by one more byte, not that the byte is '\n', and it skips
// the two bytes after a bulk's data without looking at them.
func (p *Parser) readMultibulk(buf []byte, args [][]byte) ([][]byte, int, error) {
	var count int64
	var pos int
	offs := p.pendOffs[:0]
	if p.pending && len(buf) >= p.pendPos {
		count, pos, offs = p.pendCount, p.pendPos, p.pendOffs
	} else {
		p.pending = false
		cr := indexCR(buf, 0)
		if cr < 0 {
			if len(buf) > InlineMaxSize {
				return args, 0, errTooBigMbulkCount
			}
			return args, 0, nil
		}
		if cr > len(buf)-2 {
			return args, 0, nil
		}
		var ok bool
		count, ok = ParseInt(buf[1:cr])
		if !ok || count > MultibulkMaxCount {
			return args, 0, errInvalidMbulkLen
		}
		if count > authMaxCount && p.AuthRequired {
			return args, 0, errUnauthMbulkLen
		}
		pos = cr + 2
		if count <= 0 {
			return args, pos, nil
		}
	}
	incomplete := func() ([][]byte, int, error) {
		p.pending, p.pendCount, p.pendPos, p.pendOffs = true, count, pos, offs
		return args[:0], 0, nil
	}
	for ; count > 0; count-- {
		cr := indexCR(buf, pos)
		if cr < 0 {
			if len(buf)-pos > InlineMaxSize {
				p.pending = false
				return args[:0], 0, errTooBigBulkCount
			}
			return incomplete()
		}
		if cr > len(buf)-2 {
			return incomplete()
		}
		if buf[pos] != '$' {
			p.pending = false
			return args[:0], 0, expectedDollar(buf[pos])
		}
		ll, ok := ParseInt(buf[pos+1 : cr])
		if !ok || ll < 0 || ll > p.MaxBulkLen {
			p.pending = false
			return args[:0], 0, errInvalidBulkLen
		}
		if ll > authMaxBulkLen && p.AuthRequired {
			p.pending = false
			return args[:0], 0, errUnauthBulkLen
		}
		if ll > int64(len(buf)-(cr+2))-2 {
			// Resume at this header next time: it is cheap to
			// parse again and keeps the state small.
			start := cr + 2
			if ll > int64(math.MaxInt-start-2) {
				p.Need = math.MaxInt
			} else {
				p.Need = start + int(ll) + 2
			}
			return incomplete()
		}
		start := cr + 2
		end := start + int(ll)
		offs = append(offs, start, end)
		pos = end + 2
	}
	// The arguments are made from the offsets only once complete, so a
	// resumed call does no work for the arguments it already has.
	for i := 0; i < len(offs); i += 2 {
		args = append(args, buf[offs[i]:offs[i+1]:offs[i+1]])
	}
	p.pending, p.pendOffs = false, offs[:0]
	return args, pos, nil
}

// isspace is C's isspace in the "C" locale, which Redis runs under for
// character classes.
func isspace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexDigitToInt(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// splitArgs is sdssplitargs applied to one inline line, which holds no NUL
// byte (readInline guarantees it), so its end plays the part of the C
// string's terminator. It reports false for unbalanced quotes.
//
// Blanks between arguments are anything isspace accepts, but an unquoted
// argument ends only at ' ', '\t', '\r' or '\n': "a\vb" is one argument.
// A quote may open in the middle of an argument ("a\"b c\"" is "ab c"), and
// a closing quote must be followed by a blank or the end of the line.
// Arguments without quotes alias line; the others are built in p.scratch,
// which is sized up front so that it never moves while a line is split.
func (p *Parser) splitArgs(line []byte, args [][]byte) ([][]byte, bool) {
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	scratch := p.scratch[:0]
	sized := false
	i := 0
	for {
		for i < len(line) && isspace(line[i]) {
			i++
		}
		if i >= len(line) {
			p.scratch = scratch
			return args, true
		}
		start := i
		tok := -1 // start of the argument in scratch once a quote opened
		end := 0  // end of an unquoted argument in line
		inq, insq := false, false
		for done := false; !done; {
			c := at(i)
			switch {
			case inq:
				switch {
				case c == '\\' && at(i+1) == 'x' && isHexDigit(at(i+2)) && isHexDigit(at(i+3)):
					scratch = append(scratch, hexDigitToInt(at(i+2))*16+hexDigitToInt(at(i+3)))
					i += 3
				case c == '\\' && at(i+1) != 0:
					i++
					switch e := line[i]; e {
					case 'n':
						scratch = append(scratch, '\n')
					case 'r':
						scratch = append(scratch, '\r')
					case 't':
						scratch = append(scratch, '\t')
					case 'b':
						scratch = append(scratch, '\b')
					case 'a':
						scratch = append(scratch, '\a')
					default:
						scratch = append(scratch, e)
					}
				case c == '"':
					if n := at(i + 1); n != 0 && !isspace(n) {
						return args[:0], false
					}
					done = true
				case c == 0:
					return args[:0], false
				default:
					scratch = append(scratch, c)
				}
			case insq:
				switch {
				case c == '\\' && at(i+1) == '\'':
					i++
					scratch = append(scratch, '\'')
				case c == '\'':
					if n := at(i + 1); n != 0 && !isspace(n) {
						return args[:0], false
					}
					done = true
				case c == 0:
					return args[:0], false
				default:
					scratch = append(scratch, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
					end = i
				case '"', '\'':
					// The argument leaves buf: copy what came
					// before the quote to scratch, sized so that
					// no later append of this line reallocates
					// (unquoting never lengthens the text).
					if !sized {
						if cap(scratch) < len(line) {
							scratch = make([]byte, 0, len(line))
						}
						sized = true
					}
					tok = len(scratch)
					scratch = append(scratch, line[start:i]...)
					inq, insq = c == '"', c == '\''
				}
			}
			if i < len(line) {
				i++
			}
		}
		if tok < 0 {
			args = append(args, line[start:end:end])
		} else {
			n := len(scratch)
			args = append(args, scratch[tok:n:n])
		}
	}
}
