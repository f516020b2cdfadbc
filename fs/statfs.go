package fs

import (
	"bytes"
	"context"
	"strconv"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

var _ = (gofs.NodeStatfser)((*rootNode)(nil))

// statfsBlock is the block size statfs reports in.
const statfsBlock = 4096

// Statfs answers df and friends from the server's own figures (INFO): the
// size is maxmemory, or the machine's memory when there is none, the space
// used is used_memory, and the files in use are the keys of all databases.
func (n *rootNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	var used, limit, keys uint64
	e := n.fsys.doNow(func(r *runner) {
		rep := r.call([]byte("INFO"), []byte("memory"), []byte("keyspace"))
		if rep.Type == '-' {
			return
		}
		for line := range bytes.Lines(rep.Str) {
			line = bytes.TrimRight(line, "\r\n")
			if v, ok := bytes.CutPrefix(line, []byte("used_memory:")); ok {
				used, _ = strconv.ParseUint(string(v), 10, 64)
			} else if v, ok := bytes.CutPrefix(line, []byte("maxmemory:")); ok {
				limit, _ = strconv.ParseUint(string(v), 10, 64)
			} else if bytes.HasPrefix(line, []byte("db")) {
				// db0:keys=N,expires=…
				if _, rest, ok := bytes.Cut(line, []byte(":keys=")); ok {
					num, _, _ := bytes.Cut(rest, []byte(","))
					k, _ := strconv.ParseUint(string(num), 10, 64)
					keys += k
				}
			}
		}
	})
	if e != 0 {
		return e
	}
	if limit == 0 {
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) == nil {
			limit = uint64(si.Totalram) * uint64(si.Unit)
		}
	}
	limit = max(limit, used)
	out.Bsize = statfsBlock
	out.Frsize = statfsBlock
	out.NameLen = maxNameLen
	out.Blocks = (limit + statfsBlock - 1) / statfsBlock
	out.Bfree = out.Blocks - (used+statfsBlock-1)/statfsBlock
	out.Bavail = out.Bfree
	// Keys are not limited in number: report room for as many again as
	// a block each could hold.
	out.Files = keys + out.Bfree
	out.Ffree = out.Bfree
	return 0
}
