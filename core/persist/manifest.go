package persist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/redisfs/redisfs/core/proto"
)

// The AOF manifest of Redis 7.0 (aof.c): a text file in appenddirname,
// named <appendfilename>.manifest, listing the files the AOF is made of,
// one per line:
//
//	file appendonly.aof.1.base.rdb seq 1 type b
//	file appendonly.aof.1.incr.aof seq 1 type i
//
// type b is the base (an RDB preamble, .rdb, or commands, .aof), i the
// incremental files in order, h history files waiting to be deleted. It is
// replaced atomically (written to a temporary file, synced, renamed, the
// directory synced), so a crash leaves either the old set of files or the
// new one.

const (
	aofTypeBase    = 'b'
	aofTypeHistory = 'h'
	aofTypeIncr    = 'i'

	manifestMaxLine = 1024
)

// aofInfo is one file of the manifest.
type aofInfo struct {
	name string
	seq  int64
	typ  byte
}

// manifest is the parsed manifest.
type manifest struct {
	base    *aofInfo
	incr    []*aofInfo
	history []*aofInfo
	// Highest sequence numbers in use.
	baseSeq, incrSeq int64
	dirty            bool
}

// parseManifest reads a manifest (aofLoadManifestFromFile), with Redis's
// errors.
func parseManifest(data []byte) (*manifest, error) {
	m := &manifest{}
	p := proto.NewParser()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, manifestMaxLine+2), manifestMaxLine+2)
	lines := 0
	for sc.Scan() {
		line := sc.Text()
		if len(line) > manifestMaxLine {
			return nil, errors.New("The AOF manifest file contains too long line")
		}
		lines++
		if strings.TrimSpace(line) == "" || line[0] == '#' {
			continue
		}
		args, _, err := p.ReadCommand([]byte(line+"\n"), nil)
		if err != nil || len(args) < 6 || len(args)%2 != 0 {
			return nil, errors.New("Invalid AOF manifest file format")
		}
		ai := &aofInfo{}
		for i := 0; i < len(args); i += 2 {
			k, v := string(args[i]), string(args[i+1])
			switch k {
			case "file":
				ai.name = v
			case "seq":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, errors.New("Invalid AOF manifest file format")
				}
				ai.seq = n
			case "type":
				if len(v) != 1 {
					return nil, errors.New("Invalid AOF manifest file format")
				}
				ai.typ = v[0]
			}
			// Unknown keys are ignored, for forward compatibility.
		}
		if ai.name == "" || ai.seq == 0 || ai.typ == 0 {
			return nil, errors.New("Invalid AOF manifest file format")
		}
		if strings.ContainsAny(ai.name, "/\\") {
			return nil, fmt.Errorf("Invalid AOF file name %q in the manifest", ai.name)
		}
		switch ai.typ {
		case aofTypeBase:
			if m.base != nil {
				return nil, errors.New("Found duplicate base file information")
			}
			m.base = ai
			m.baseSeq = ai.seq
		case aofTypeHistory:
			m.history = append(m.history, ai)
		case aofTypeIncr:
			if ai.seq <= m.incrSeq {
				return nil, errors.New("Found a non-monotonic sequence number")
			}
			m.incr = append(m.incr, ai)
			m.incrSeq = ai.seq
		default:
			return nil, errors.New("Unknown AOF file type")
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, errors.New("The AOF manifest file contains too long line")
		}
		return nil, err
	}
	if lines == 0 {
		return nil, errors.New("Found an empty AOF manifest")
	}
	return m, nil
}

// quoteName quotes a file name as sdscatrepr when it needs it.
func quoteName(name string) string {
	if !strings.ContainsAny(name, " \t\r\n\"'\\") {
		ok := true
		for i := 0; i < len(name); i++ {
			if name[i] < 0x20 || name[i] > 0x7e {
				ok = false
				break
			}
		}
		if ok {
			return name
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c > 0x7e {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// String renders the manifest (getAofManifestAsString): base, history,
// then the incremental files.
func (m *manifest) String() string {
	var b strings.Builder
	line := func(ai *aofInfo) {
		fmt.Fprintf(&b, "file %s seq %d type %c\n", quoteName(ai.name), ai.seq, ai.typ)
	}
	if m.base != nil {
		line(m.base)
	}
	for _, ai := range m.history {
		line(ai)
	}
	for _, ai := range m.incr {
		line(ai)
	}
	return b.String()
}

// clone returns a deep copy (changes are made on a copy and adopted once
// the copy is on disk).
func (m *manifest) clone() *manifest {
	c := &manifest{baseSeq: m.baseSeq, incrSeq: m.incrSeq}
	if m.base != nil {
		b := *m.base
		c.base = &b
	}
	for _, ai := range m.incr {
		x := *ai
		c.incr = append(c.incr, &x)
	}
	for _, ai := range m.history {
		x := *ai
		c.history = append(c.history, &x)
	}
	return c
}

// writeManifest replaces dir/name with m atomically.
func writeManifest(dir, name string, m *manifest) error {
	tmp := filepath.Join(dir, "temp-"+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(m.String())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
