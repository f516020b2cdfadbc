package fs

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/redisfs/redisfs/fs/engine"
)

// Options tune a mount.
type Options struct {
	// AllowOther lets other users see the mount; the kernel then checks
	// file modes (default_permissions), unless Users maps some.
	AllowOther bool
	// Users maps the uids of other users (with AllowOther) to the ACL
	// users their file operations run as; any other uid than the
	// mounting user's gets EACCES (users.go).
	Users map[uint32]string
	// DirectIO serves keys with direct I/O and no kernel caching (zero
	// entry and attribute timeouts) instead of kernel caching kept
	// coherent by invalidations. It exists to measure the two designs.
	DirectIO bool
	// CacheTimeout is the entry and attribute timeout of keys when the
	// kernel caches them (default 10s); invalidations make changes
	// visible at once, the timeout only bounds what a missed one costs.
	CacheTimeout time.Duration
	// Debug logs every FUSE request (go-fuse's debug output).
	Debug bool
}

// staticTimeout is the cache time of the entries that never change: ctl,
// info, clients, monitor, pubsub and its channels, and the database
// directories.
const staticTimeout = time.Hour

// FS is a mounted keyspace. Create it with Mount; Unmount or Close it.
type FS struct {
	// eng is the Redis whose keyspace is mounted; the file server
	// reaches it only through jobs (see loop.go) and conversations.
	eng engine.Engine
	// ctx is done once the engine is gone (Close): what waits for it
	// fails.
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
	opts   Options
	ls     *loopSide
	// notifier is nil in DirectIO mode.
	notifier *notifier
	fuse     *fuse.Server // the FUSE connection serving the mount
	root     *rootNode
	dbs      []*dbDir
	uid, gid uint32
	started  time.Time
	// keyTimeout is the entry and attribute timeout of key nodes.
	keyTimeout time.Duration

	jobs      atomic.Int64 // jobs posted, for tests and benchmarks
	bulk      bulkLimit    // proto-max-bulk-len as last read (limits.go)
	stopSweep chan struct{}

	dead      atomic.Bool // the engine is gone: jobs fail with EIO
	closeOnce sync.Once
	unmountMu sync.Mutex
	unmounted bool
}

// Mount mounts the keyspace of eng on dir and serves it until Unmount
// (fs/local's engine is the server embedded in the process). A stale mount
// left at dir by a crashed process is cleared first. Mounting uses the
// mount system call directly when run as root and fusermount3 otherwise.
func Mount(dir string, eng engine.Engine, opts Options) (*FS, error) {
	if opts.CacheTimeout <= 0 {
		opts.CacheTimeout = 10 * time.Second
	}
	if err := clearStaleMount(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	fsys := &FS{
		eng:       eng,
		dir:       dir,
		opts:      opts,
		uid:       uint32(os.Getuid()),
		gid:       uint32(os.Getgid()),
		started:   time.Now(),
		stopSweep: make(chan struct{}),
	}
	fsys.ctx, fsys.cancel = context.WithCancel(context.Background())
	fsys.keyTimeout = opts.CacheTimeout
	if opts.DirectIO {
		fsys.keyTimeout = 0
	} else {
		fsys.notifier = newNotifier(fsys)
	}
	ndb := eng.Databases()
	fsys.ls = newLoopSide(fsys, ndb)
	fsys.dbs = make([]*dbDir, ndb)
	for i := range fsys.dbs {
		fsys.dbs[i] = &dbDir{fsys: fsys, db: i, scratch: map[string]*scratchData{}}
	}
	fsys.root = &rootNode{fsys: fsys}

	// The watcher is installed before any file operation can reach the
	// engine.
	eng.Watch(fsys.ls)
	if fsys.notifier != nil {
		go fsys.notifier.run()
	}

	mopts := fuse.MountOptions{
		AllowOther:           opts.AllowOther,
		FsName:               "redisfs",
		Name:                 "redisfs",
		DirectMount:          os.Geteuid() == 0,
		IgnoreSecurityLabels: true,
		Debug:                opts.Debug,
		MaxBackground:        64,
		// O_TRUNC arrives with OPEN, so "echo v > key" is one commit.
		// Files opened with direct I/O (hash fields, sorted set
		// scores, scratch files) can still be mmap'ed (kernel 6.6+).
		ExtraCapabilities: fuse.CAP_ATOMIC_O_TRUNC | fuse.CAP_DIRECT_IO_ALLOW_MMAP,
		PanicHandler: func(p any) fuse.Status {
			eng.Logf("fs: panic in a file operation: %v\n%s", p, debug.Stack())
			return fuse.EIO
		},
	}
	if opts.AllowOther && len(opts.Users) == 0 {
		mopts.Options = append(mopts.Options, "default_permissions")
	}
	if opts.Debug {
		mopts.Logger = log.New(os.Stderr, "fuse: ", log.Lmicroseconds)
	}
	gopts := &gofs.Options{
		MountOptions: mopts,
		UID:          fsys.uid,
		GID:          fsys.gid,
		// Timeouts are set on every reply; nil defaults mean zero.
	}
	fuseSrv, err := mount(fsys, gopts)
	if err != nil {
		if fsys.notifier != nil {
			fsys.notifier.close()
		}
		fsys.cancel()
		return nil, fmt.Errorf("mount %s: %w", dir, err)
	}
	fsys.fuse = fuseSrv
	go fsys.sweeper()
	return fsys, nil
}

// mount is gofs.Mount with the guard of other users (users.go) around
// the node file system.
func mount(fsys *FS, gopts *gofs.Options) (*fuse.Server, error) {
	raw := gofs.NewNodeFS(fsys.root, gopts)
	if fsys.opts.AllowOther {
		raw = &guard{RawFileSystem: raw, fsys: fsys}
	}
	srv, err := fuse.NewServer(raw, fsys.dir, &gopts.MountOptions)
	if err != nil {
		return nil, err
	}
	go srv.Serve()
	if err := srv.WaitMount(); err != nil {
		return nil, err
	}
	return srv, nil
}

// Dir returns the mount point.
func (fsys *FS) Dir() string { return fsys.dir }

// Unmount unmounts the file system while the loop still runs. When files
// are still open it detaches the mount lazily: it disappears from the
// namespace at once and the connection ends when the last file closes.
// It is safe to call more than once and from any goroutine.
func (fsys *FS) Unmount() error {
	fsys.unmountMu.Lock()
	defer fsys.unmountMu.Unlock()
	if fsys.unmounted {
		return nil
	}
	fsys.unmounted = true
	done := make(chan error, 1)
	go func() { done <- fsys.fuse.Unmount() }()
	err := fsys.unmountClean(done)
	if err != nil {
		if lerr := lazyUnmount(fsys.dir); lerr != nil {
			// The clean unmount may have been slow rather than
			// refused (a loaded machine), and finished meanwhile:
			// then there is nothing left to detach.
			select {
			case cerr := <-done:
				if cerr == nil {
					err = nil
					break
				}
				err = fmt.Errorf("unmount %s: %v; lazy unmount: %v", fsys.dir, cerr, lerr)
			case <-time.After(10 * time.Second):
				err = fmt.Errorf("unmount %s: %v; lazy unmount: %v", fsys.dir, err, lerr)
			}
		} else {
			err = nil
		}
	}
	if fsys.notifier != nil {
		fsys.notifier.close()
	}
	close(fsys.stopSweep)
	return err
}

// unmountClean waits a short while for the normal unmount started with
// done; it fails when files are open.
func (fsys *FS) unmountClean(done chan error) error {
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Second):
		return errors.New("unmount timed out")
	}
}

// Close is Unmount for when the engine has stopped (the loop of the
// embedded one): operations waiting for it fail with EIO instead of
// waiting forever, then the mount goes.
func (fsys *FS) Close() error {
	fsys.closeOnce.Do(func() {
		fsys.dead.Store(true)
		fsys.cancel()
	})
	return fsys.Unmount()
}

// clearStaleMount detects a mount at dir whose server died ("transport
// endpoint is not connected") and detaches it.
func clearStaleMount(dir string) error {
	_, err := os.Stat(dir)
	if err == nil || !errors.Is(err, syscall.ENOTCONN) {
		return nil
	}
	if err := lazyUnmount(dir); err != nil {
		return fmt.Errorf("clearing the stale mount at %s: %v", dir, err)
	}
	return nil
}

// lazyUnmount detaches the mount at dir: umount2(MNT_DETACH) as root,
// fusermount3 -u -z otherwise.
func lazyUnmount(dir string) error {
	if os.Geteuid() == 0 {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err == nil {
			return nil
		}
	}
	for _, bin := range []string{"fusermount3", "fusermount"} {
		path, err := exec.LookPath(bin)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "-u", "-z", dir).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", bin, err, out)
		}
		return nil
	}
	return errors.New("no fusermount3 to unmount with")
}

// Sweeps: when many keys are registered, a sample of them is checked
// against the tree every sweepEvery, and the ones no node stands for any
// more stop being tracked.
const (
	sweepEvery = 5 * time.Second
	sweepMin   = 4096
	sweepChunk = 20000
)

func (fsys *FS) sweeper() {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-fsys.stopSweep:
			return
		case <-t.C:
		}
		fsys.sweep()
	}
}

func (fsys *FS) sweep() {
	var sample []liveKey
	if fsys.doAs("", func(r *runner) {
		if r.ls.nlive > sweepMin {
			sample = r.ls.sweepSample(sweepChunk)
		}
	}) != 0 || len(sample) == 0 {
		return
	}
	gone := sample[:0]
	for _, lk := range sample {
		if fsys.dbs[lk.db].GetChild(keyName([]byte(lk.key))) == nil {
			gone = append(gone, lk)
		}
	}
	if len(gone) > 0 {
		fsys.doAs("", func(r *runner) { r.ls.unregister(gone) })
	}
}

// setTimes fills the times of an attribute from unix nanoseconds.
func setTimes(a *fuse.Attr, ns int64) {
	t := time.Unix(0, ns)
	a.SetTimes(&t, &t, &t)
}

// fillDir fills the attributes of a directory.
func (fsys *FS) fillDir(a *fuse.Attr, nlink uint32, size int64, mtime int64) {
	a.Mode = syscall.S_IFDIR | 0o755
	a.Nlink = nlink
	a.Size = uint64(size)
	a.Uid, a.Gid = fsys.uid, fsys.gid
	setTimes(a, mtime)
}

// fillFile fills the attributes of a regular file.
func (fsys *FS) fillFile(a *fuse.Attr, perm uint32, size int64, mtime int64) {
	a.Mode = syscall.S_IFREG | perm
	a.Nlink = 1
	a.Size = uint64(size)
	a.Uid, a.Gid = fsys.uid, fsys.gid
	a.Blksize = 4096
	a.Blocks = (uint64(size) + 511) / 512
	setTimes(a, mtime)
}

// rootNode is the mount's root: ctl, info, clients, monitor, pubsub and
// one directory per database. monitor is not listed: it never ends, and a
// directory walk (grep -r, rsync) must not wait in it.
type rootNode struct {
	gofs.Inode
	fsys *FS
}

var (
	_ = (gofs.NodeOnAdder)((*rootNode)(nil))
	_ = (gofs.NodeLookuper)((*rootNode)(nil))
	_ = (gofs.NodeReaddirer)((*rootNode)(nil))
	_ = (gofs.NodeGetattrer)((*rootNode)(nil))
)

func (n *rootNode) OnAdd(ctx context.Context) {
	fsys := n.fsys
	n.AddChild("ctl", n.NewPersistentInode(ctx, &ctlNode{fsys: fsys}, gofs.StableAttr{Mode: syscall.S_IFREG}), false)
	n.AddChild("info", n.NewPersistentInode(ctx, &infoNode{fsys: fsys}, gofs.StableAttr{Mode: syscall.S_IFREG}), false)
	n.AddChild("clients", n.NewPersistentInode(ctx, &clientsNode{fsys: fsys}, gofs.StableAttr{Mode: syscall.S_IFREG}), false)
	n.AddChild("monitor", n.NewPersistentInode(ctx, &monitorNode{fsys: fsys}, gofs.StableAttr{Mode: syscall.S_IFREG}), false)
	n.AddChild("pubsub", n.NewPersistentInode(ctx, &pubsubDir{fsys: fsys}, gofs.StableAttr{Mode: syscall.S_IFDIR}), false)
	for i, d := range fsys.dbs {
		n.AddChild(strconv.Itoa(i), n.NewPersistentInode(ctx, d, gofs.StableAttr{Mode: syscall.S_IFDIR}), false)
	}
}

func (n *rootNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	ch := n.GetChild(name)
	if ch == nil {
		return nil, syscall.ENOENT
	}
	if ga, ok := ch.Operations().(gofs.NodeGetattrer); ok {
		var a fuse.AttrOut
		if e := ga.Getattr(ctx, nil, &a); e != 0 {
			return nil, e
		}
		out.Attr = a.Attr
	}
	out.SetEntryTimeout(staticTimeout)
	return ch, 0
}

func (n *rootNode) Readdir(ctx context.Context) (gofs.DirStream, syscall.Errno) {
	ents := []fuse.DirEntry{
		{Name: ".", Mode: syscall.S_IFDIR},
		{Name: "..", Mode: syscall.S_IFDIR},
		{Name: "ctl", Mode: syscall.S_IFREG},
		{Name: "info", Mode: syscall.S_IFREG},
		{Name: "clients", Mode: syscall.S_IFREG},
		{Name: "pubsub", Mode: syscall.S_IFDIR},
	}
	for i := range n.fsys.dbs {
		ents = append(ents, fuse.DirEntry{Name: strconv.Itoa(i), Mode: syscall.S_IFDIR})
	}
	return gofs.NewListDirStream(ents), 0
}

func (n *rootNode) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	// Subdirectories: the databases and pubsub.
	nsub := len(n.fsys.dbs) + 1
	n.fsys.fillDir(&out.Attr, uint32(2+nsub), int64(2+nsub), n.fsys.started.UnixNano())
	out.SetTimeout(staticTimeout)
	return 0
}
