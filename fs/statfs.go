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

// Every node answers statfs the same (df, stat -f and getconf NAME_MAX
// below the mount root give what they give at it).
var (
	_ = (gofs.NodeStatfser)((*rootNode)(nil))
	_ = (gofs.NodeStatfser)((*dbDir)(nil))
	_ = (gofs.NodeStatfser)((*keyDir)(nil))
	_ = (gofs.NodeStatfser)((*keyFile)(nil))
	_ = (gofs.NodeStatfser)((*memberNode)(nil))
	_ = (gofs.NodeStatfser)((*scratchNode)(nil))
	_ = (gofs.NodeStatfser)((*ctlNode)(nil))
	_ = (gofs.NodeStatfser)((*infoNode)(nil))
	_ = (gofs.NodeStatfser)((*clientsNode)(nil))
	_ = (gofs.NodeStatfser)((*monitorNode)(nil))
	_ = (gofs.NodeStatfser)((*pubsubDir)(nil))
	_ = (gofs.NodeStatfser)((*channelNode)(nil))
)

func (n *dbDir) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *keyDir) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *keyFile) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *memberNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *scratchNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *ctlNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *infoNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *clientsNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *monitorNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *pubsubDir) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}
func (n *channelNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}

// statfsBlock is the block size statfs reports in.
const statfsBlock = 4096

// Statfs answers df and friends from the server's own figures (INFO): the
// size is maxmemory, or the machine's memory when there is none, the space
// used is used_memory, and the files in use are the keys of all databases.
func (n *rootNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	return n.fsys.statfs(ctx, out)
}

func (fsys *FS) statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	var used, limit, keys uint64
	e := fsys.doNow(ctx, func(r *runner) {
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
