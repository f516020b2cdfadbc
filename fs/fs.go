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

	"github.com/redisfs/redisfs/core/cmds"
)

// Options tune a mount.
type Options struct {
	// AllowOther lets other users see the mount; the kernel then checks
	// file modes (default_permissions).
	AllowOther bool
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
	// srv is the command side the keyspace lives in; only the loop
	// touches it (through jobs, see loop.go).
	srv *cmds.Server
	// post hands a function to the loop; safe from any goroutine.
	post func(func())
	dir  string
	opts Options
	ls   *loopSide
	// notifier is nil in DirectIO mode.
	notifier *notifier
	fuse     *fuse.Server // the FUSE connection serving the mount
	root     *rootNode
	dbs      []*dbDir
	uid, gid uint32
	started  time.Time
	// keyTimeout is the entry and attribute timeout of key nodes.
	keyTimeout time.Duration

	jobs atomic.Int64 // jobs posted, for tests and benchmarks
	// waiting counts the jobs posted and not completed: file operations
	// waiting for the loop. jobPosted is poked when one is posted (see
	// notifier.await).
	waiting   atomic.Int64
	jobPosted chan struct{}
	busyUntil atomic.Int64 // unix ns: until then file operations yield
	stopSweep chan struct{}

	dead      atomic.Bool // the loop is gone: jobs fail with EIO
	deadCh    chan struct{}
	closeOnce sync.Once
	unmountMu sync.Mutex
	unmounted bool
}

// Mount mounts the keyspace of srv on dir and serves it until Unmount.
// post hands a function to the goroutine of the event loop srv runs on
// (server.Server.Post); it must be safe to call from any goroutine and may
// be called before the loop runs: file operations wait for the loop. A
// stale mount left at dir by a crashed process is cleared first. Mounting
// uses the mount system call directly when run as root and fusermount3
// otherwise.
func Mount(dir string, srv *cmds.Server, post func(func()), opts Options) (*FS, error) {
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
		srv:       srv,
		post:      post,
		dir:       dir,
		opts:      opts,
		uid:       uint32(os.Getuid()),
		gid:       uint32(os.Getgid()),
		started:   time.Now(),
		deadCh:    make(chan struct{}),
		jobPosted: make(chan struct{}, 1),

		stopSweep: make(chan struct{}),
	}
	fsys.keyTimeout = opts.CacheTimeout
	if opts.DirectIO {
		fsys.keyTimeout = 0
	} else {
		fsys.notifier = newNotifier(fsys)
	}
	fsys.ls = newLoopSide(fsys, srv)
	// srv.DBs and Databases never change once the server exists.
	fsys.dbs = make([]*dbDir, len(srv.DBs))
	for i := range fsys.dbs {
		fsys.dbs[i] = &dbDir{fsys: fsys, db: i, scratch: map[string]*scratchData{}}
	}
	fsys.root = &rootNode{fsys: fsys}

	// The hooks are installed by the first job, before any file
	// operation can reach the loop.
	ls := fsys.ls
	post(func() {
		srv.OnKeyspaceEvent(ls.onKeyspaceEvent)
		srv.OnBeforeSleep(ls.measureLoad)
		srv.OnBeforeSleep(ls.awaitInvalidations)
		srv.OnEmptyData(ls.onEmptyData)
	})
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
		ExtraCapabilities: fuse.CAP_ATOMIC_O_TRUNC,
		PanicHandler: func(p any) fuse.Status {
			fsys.logf(cmds.LogWarning, "fs: panic in a file operation: %v\n%s", p, debug.Stack())
			return fuse.EIO
		},
	}
	if opts.AllowOther {
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
	fuseSrv, err := gofs.Mount(dir, fsys.root, gopts)
	if err != nil {
		if fsys.notifier != nil {
			fsys.notifier.close()
		}
		return nil, fmt.Errorf("mount %s: %w", dir, err)
	}
	fsys.fuse = fuseSrv
	go fsys.sweeper()
	return fsys, nil
}

// Dir returns the mount point.
func (fsys *FS) Dir() string { return fsys.dir }

// logf logs through the server's log, on the loop.
func (fsys *FS) logf(level int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fsys.post(func() { fsys.srv.Logf(level, "%s", msg) })
}

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
	err := fsys.unmountClean()
	if err != nil {
		if lerr := lazyUnmount(fsys.dir); lerr != nil {
			err = fmt.Errorf("unmount %s: %v; lazy unmount: %v", fsys.dir, err, lerr)
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

// unmountClean tries a normal unmount for a short while; it fails when
// files are open.
func (fsys *FS) unmountClean() error {
	done := make(chan error, 1)
	go func() { done <- fsys.fuse.Unmount() }()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Second):
		return errors.New("unmount timed out")
	}
}

// Close is Unmount for when the loop has stopped: operations waiting for
// it fail with EIO instead of waiting forever, then the mount goes.
func (fsys *FS) Close() error {
	fsys.closeOnce.Do(func() {
		fsys.dead.Store(true)
		close(fsys.deadCh)
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
	if fsys.do(func(r *runner) {
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
		fsys.do(func(r *runner) { r.ls.unregister(gone) })
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
