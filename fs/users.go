package fs

import (
	"context"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// Other users. With AllowOther, any local user reaches the mount; the
// mount must not be a way around AUTH and ACLs. So a caller whose uid is
// not the mounting user's acts as the ACL user Options.Users maps its uid
// to (redisfs's directive `mount-acl-user UID NAME`):
//
//   - a caller with no mapping gets EACCES for every operation (guard);
//   - every command a mapped caller's file operation runs is checked
//     against its ACL user's rules, as that user's own connection's would
//     be (engine.Tx.ActAs), and a refusal (NOPERM) fails the operation with
//     EACCES; an open file's later reads, writes and commit run as the
//     user who opened it;
//   - its ctl, pub/sub and monitor conversations are clients
//     authenticated as that user (CLIENT LIST shows user=NAME).
//
// The mounting user (and the file server's own background work) runs
// unrestricted, as before. The kernel's permission checks
// (default_permissions) are left off when users are mapped, since the
// ACLs decide; without a mapping, other users get EACCES anyway.

// who returns the ACL user a request runs as: "" for the mounting user.
func (fsys *FS) who(ctx context.Context) string {
	if !fsys.opts.AllowOther || ctx == nil {
		return ""
	}
	c, ok := fuse.FromContext(ctx)
	if !ok || c.Uid == fsys.uid {
		return ""
	}
	if u := fsys.opts.Users[c.Uid]; u != "" {
		return u
	}
	// The guard refuses unmapped callers before any operation; a
	// request without credentials that gets here runs as nobody.
	return noUser
}

// noUser is an ACL user name no user can have (ACL SETUSER names cannot
// hold spaces): a job run as it runs nothing.
const noUser = " nobody"

// guard refuses, with EACCES, every request of a caller that is neither
// the mounting user nor mapped to an ACL user.
type guard struct {
	fuse.RawFileSystem
	fsys *FS
}

func (g *guard) ok(c *fuse.Caller) bool {
	return c.Uid == g.fsys.uid || g.fsys.opts.Users[c.Uid] != ""
}

func (g *guard) Lookup(cancel <-chan struct{}, h *fuse.InHeader, name string, out *fuse.EntryOut) fuse.Status {
	if !g.ok(&h.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Lookup(cancel, h, name, out)
}

func (g *guard) GetAttr(cancel <-chan struct{}, in *fuse.GetAttrIn, out *fuse.AttrOut) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.GetAttr(cancel, in, out)
}

func (g *guard) SetAttr(cancel <-chan struct{}, in *fuse.SetAttrIn, out *fuse.AttrOut) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.SetAttr(cancel, in, out)
}

func (g *guard) Mknod(cancel <-chan struct{}, in *fuse.MknodIn, name string, out *fuse.EntryOut) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Mknod(cancel, in, name, out)
}

func (g *guard) Mkdir(cancel <-chan struct{}, in *fuse.MkdirIn, name string, out *fuse.EntryOut) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Mkdir(cancel, in, name, out)
}

func (g *guard) Unlink(cancel <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	if !g.ok(&h.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Unlink(cancel, h, name)
}

func (g *guard) Rmdir(cancel <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	if !g.ok(&h.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Rmdir(cancel, h, name)
}

func (g *guard) Rename(cancel <-chan struct{}, in *fuse.RenameIn, oldName, newName string) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Rename(cancel, in, oldName, newName)
}

func (g *guard) Link(cancel <-chan struct{}, in *fuse.LinkIn, name string, out *fuse.EntryOut) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Link(cancel, in, name, out)
}

func (g *guard) Symlink(cancel <-chan struct{}, h *fuse.InHeader, to, name string, out *fuse.EntryOut) fuse.Status {
	if !g.ok(&h.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Symlink(cancel, h, to, name, out)
}

func (g *guard) Access(cancel <-chan struct{}, in *fuse.AccessIn) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Access(cancel, in)
}

func (g *guard) GetXAttr(cancel <-chan struct{}, h *fuse.InHeader, attr string, dest []byte) (uint32, fuse.Status) {
	if !g.ok(&h.Caller) {
		return 0, fuse.EACCES
	}
	return g.RawFileSystem.GetXAttr(cancel, h, attr, dest)
}

func (g *guard) ListXAttr(cancel <-chan struct{}, h *fuse.InHeader, dest []byte) (uint32, fuse.Status) {
	if !g.ok(&h.Caller) {
		return 0, fuse.EACCES
	}
	return g.RawFileSystem.ListXAttr(cancel, h, dest)
}

func (g *guard) SetXAttr(cancel <-chan struct{}, in *fuse.SetXAttrIn, attr string, data []byte) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.SetXAttr(cancel, in, attr, data)
}

func (g *guard) RemoveXAttr(cancel <-chan struct{}, h *fuse.InHeader, attr string) fuse.Status {
	if !g.ok(&h.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.RemoveXAttr(cancel, h, attr)
}

func (g *guard) Create(cancel <-chan struct{}, in *fuse.CreateIn, name string, out *fuse.CreateOut) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Create(cancel, in, name, out)
}

func (g *guard) Open(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.Open(cancel, in, out)
}

func (g *guard) OpenDir(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	if !g.ok(&in.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.OpenDir(cancel, in, out)
}

func (g *guard) StatFs(cancel <-chan struct{}, h *fuse.InHeader, out *fuse.StatfsOut) fuse.Status {
	if !g.ok(&h.Caller) {
		return fuse.EACCES
	}
	return g.RawFileSystem.StatFs(cancel, h, out)
}

// errnoACL is what a job's NOPERM becomes.
const errnoACL = syscall.EACCES
