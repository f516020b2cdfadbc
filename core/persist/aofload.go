package persist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
)

// Loading the AOF at start (loadAppendOnlyFiles and
// loadSingleAppendOnlyFile): the base file, then each incremental file, in
// the manifest's order. A file may start with an RDB preamble; the rest is
// RESP commands, replayed on a client of the server's own, with "#"
// annotation lines skipped.
//
// A file that ends in the middle of a command, or inside MULTI, is
// truncated: only the last file may be, and only with aof-load-truncated
// (Redis's default) is it accepted — cut back to its last complete command,
// with a warning. Anything else (bad format, an unknown command, a
// truncated file that is not the last) stops the server with the file and
// the offset in the error.

// aofLoadResult tells what loading one file found.
type aofLoadResult int

const (
	aofOK aofLoadResult = iota
	aofEmpty
	aofTruncated
)

// errAOFFormat is a file that is not a valid AOF.
var errAOFFormat = errors.New("bad file format reading the append only file")

// loadAOFFile loads one file of the AOF.
func (p *Persister) loadAOFFile(name string, last bool) (aofLoadResult, error) {
	srv := p.srv
	path := filepath.Join(p.aof.dir, name)
	data, release, err := mapFile(path)
	if err != nil {
		return aofOK, &LoadError{File: path, Err: err}
	}
	defer release()
	if len(data) == 0 {
		return aofEmpty, nil
	}
	srv.BeginLoading()
	defer srv.EndLoading()
	pos := 0
	if len(data) >= 5 && string(data[:5]) == "REDIS" {
		srv.Logf(cmds.LogNotice, "Reading RDB base file on AOF loading...")
		n, _, err := p.loadRDB(data, loadOpts{name: path, aofPreamble: true})
		if err != nil {
			return aofOK, err
		}
		pos = n
		if pos == len(data) {
			return aofOK, nil
		}
		srv.Logf(cmds.LogNotice, "Reading the remaining AOF tail...")
	}

	c := srv.NewLoadingClient()
	defer srv.FreeClient(c)
	validUpTo, validBeforeMulti := pos, pos
	argv := make([][]byte, 0, 16)
	commands := int64(0)
	start := time.Now()
	lastLog := start
	truncated := func() (aofLoadResult, error) {
		if !srv.Config.AofLoadTruncated || !last {
			if !last {
				return aofOK, &LoadError{File: path, Offset: int64(validUpTo),
					Err: errors.New("the truncated file is not the last file of the AOF")}
			}
			srv.Logf(cmds.LogWarning, "Unexpected end of file reading the append only file %s. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name)
			return aofOK, &LoadError{File: path, Offset: int64(validUpTo), Err: errShortRead}
		}
		srv.Logf(cmds.LogWarning, "!!! Warning: short read while loading the AOF file %s!!!", name)
		srv.Logf(cmds.LogWarning, "!!! Truncating the AOF %s at offset %d !!!", name, validUpTo)
		if err := os.Truncate(path, int64(validUpTo)); err != nil {
			srv.Logf(cmds.LogWarning, "Error truncating the AOF file %s: %s", name, strerror(err))
			return aofOK, &LoadError{File: path, Offset: int64(validUpTo), Err: err}
		}
		srv.Logf(cmds.LogWarning, "AOF %s loaded anyway because aof-load-truncated is enabled", name)
		return aofTruncated, nil
	}
	badFormat := func(at int) (aofLoadResult, error) {
		srv.Logf(cmds.LogWarning, "Bad file format reading the append only file %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name)
		return aofOK, &LoadError{File: path, Offset: int64(at), Err: errAOFFormat}
	}
	// readLine returns the number after the prefix byte at data[i:] and
	// the position past its CRLF; ok false when the line is incomplete.
	readLine := func(i int) (n int64, next int, complete, valid bool) {
		j := i + 1
		neg := false
		if j < len(data) && data[j] == '-' {
			neg = true
			j++
		}
		digits := 0
		for ; j < len(data) && data[j] >= '0' && data[j] <= '9'; j++ {
			if n > (1<<62)/10 {
				return 0, 0, true, false
			}
			n = n*10 + int64(data[j]-'0')
			digits++
		}
		if j >= len(data) || j+1 >= len(data) && data[j] == '\r' {
			return 0, 0, false, true
		}
		if digits == 0 || data[j] != '\r' || data[j+1] != '\n' {
			return 0, 0, true, false
		}
		if neg {
			n = -n
		}
		return n, j + 2, true, true
	}
	for pos < len(data) {
		if data[pos] == '#' {
			// An annotation (aof-timestamp-enabled): skip the line.
			j := pos
			for j < len(data) && data[j] != '\n' {
				j++
			}
			if j >= len(data) {
				return truncated()
			}
			pos = j + 1
			validUpTo = pos
			continue
		}
		cmdStart := pos
		if data[pos] != '*' {
			return badFormat(pos)
		}
		argc, next, complete, valid := readLine(pos)
		if !complete {
			return truncated()
		}
		if !valid || argc < 1 {
			return badFormat(pos)
		}
		pos = next
		argv = argv[:0]
		for j := int64(0); j < argc; j++ {
			if pos >= len(data) {
				return truncated()
			}
			if data[pos] != '$' {
				return badFormat(pos)
			}
			n, next, complete, valid := readLine(pos)
			if !complete {
				return truncated()
			}
			if !valid || n < 0 {
				return badFormat(pos)
			}
			if int64(len(data)-next) < n+2 {
				return truncated()
			}
			end := next + int(n)
			if data[end] != '\r' || data[end+1] != '\n' {
				return badFormat(end)
			}
			argv = append(argv, data[next:end:end])
			pos = end + 2
		}
		wasMulti := c.InMulti()
		if err := srv.ExecLoadedCommand(c, argv); err != nil {
			srv.Logf(cmds.LogWarning, "%v reading the append only file %s", err, name)
			return aofOK, &LoadError{File: path, Offset: int64(cmdStart), Err: err}
		}
		if !wasMulti && c.InMulti() {
			validBeforeMulti = validUpTo
		}
		validUpTo = pos
		if commands++; commands&0xffff == 0 && time.Since(lastLog) > 2*time.Second {
			lastLog = time.Now()
			srv.Logf(cmds.LogNotice, "Loading %s: %d%% (%d commands)", name, int64(pos)*100/int64(len(data)), commands)
		}
	}
	if c.InMulti() {
		srv.Logf(cmds.LogWarning, "Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
		validUpTo = validBeforeMulti
		return truncated()
	}
	return aofOK, nil
}

// loadAOF loads every file of the manifest; it reports whether there was
// anything to load.
func (p *Persister) loadAOF() (bool, error) {
	srv := p.srv
	a := &p.aof
	m := a.manifest
	if m == nil || m.base == nil && len(m.incr) == 0 {
		return false, nil
	}
	start := time.Now()
	total := 0
	if m.base != nil {
		total++
	}
	total += len(m.incr)
	a.currentSize, a.baseSize = 0, 0
	loaded := false
	n := 0
	load := func(ai *aofInfo, kind string) error {
		n++
		path := filepath.Join(a.dir, ai.name)
		if _, err := os.Stat(path); err != nil {
			return &LoadError{File: path, Err: errors.New("the AOF file listed in the manifest does not exist")}
		}
		t := time.Now()
		res, err := p.loadAOFFile(ai.name, n == total)
		if err != nil {
			return err
		}
		if res != aofEmpty {
			loaded = true
		}
		if st, err := os.Stat(path); err == nil {
			a.currentSize += st.Size()
		}
		srv.Logf(cmds.LogNotice, "DB loaded from %s file %s: %.3f seconds", kind, ai.name, time.Since(t).Seconds())
		return nil
	}
	if m.base != nil {
		if err := load(m.base, "base"); err != nil {
			return false, err
		}
	}
	for _, ai := range m.incr {
		if err := load(ai, "incr"); err != nil {
			return false, err
		}
	}
	a.baseSize = a.currentSize
	srv.Dirty = 0
	if loaded {
		srv.Logf(cmds.LogNotice, "DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
	}
	return loaded, nil
}

// readManifest loads the manifest from disk; a missing one is not an error.
func (p *Persister) readManifest() (*manifest, error) {
	path := filepath.Join(p.aof.dir, p.manifestName())
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, &LoadError{File: path, Err: err}
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, &LoadError{File: path, Err: err}
	}
	return m, nil
}

// upgradeOldAOF moves a single-file AOF of Redis before 7.0 (dir/
// appendonly.aof) into the AOF directory as its base, as aofUpgradePrepare.
func (p *Persister) upgradeOldAOF() (bool, error) {
	old := filepath.Join(p.dir, p.srv.Config.AppendFilename)
	st, err := os.Stat(old)
	if err != nil || !st.Mode().IsRegular() {
		return false, nil
	}
	a := &p.aof
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return false, err
	}
	m := &manifest{base: &aofInfo{name: p.srv.Config.AppendFilename, seq: 1, typ: aofTypeBase}, baseSeq: 1}
	if err := writeManifest(a.dir, p.manifestName(), m); err != nil {
		return false, err
	}
	if err := os.Rename(old, filepath.Join(a.dir, p.srv.Config.AppendFilename)); err != nil {
		return false, fmt.Errorf("moving %s into %s: %w", old, a.dir, err)
	}
	syncDir(a.dir)
	syncDir(p.dir)
	a.manifest = m
	p.srv.Logf(cmds.LogNotice, "Successfully migrated an old-style AOF into the AOF directory %s", a.dir)
	return true, nil
}
