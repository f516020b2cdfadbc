// Command redisfs runs the redisfs server: a Redis-compatible engine served
// over RESP and, with --mount, as a file system. It only parses flags and a
// config file and wires the packages together.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/persist"
	"github.com/redisfs/redisfs/core/server"
	"github.com/redisfs/redisfs/fs"
	"github.com/redisfs/redisfs/fs/local"
)

func main() {
	app := &cli.App{
		Name:  "redisfs",
		Usage: "a Redis-compatible server whose keys are also files",
		Commands: []*cli.Command{
			serveCommand(),
		},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "redisfs:", err)
		os.Exit(1)
	}
}

// flagDirectives are the redis.conf directives offered as flags, by the
// same names.
var flagDirectives = []struct{ name, usage string }{
	{"port", "TCP port (0 = pick a free one)"},
	{"bind", "addresses to listen on, space separated"},
	{"unixsocket", "path of a unix socket to listen on"},
	{"unixsocketperm", "permissions of the unix socket (octal)"},
	{"databases", "number of databases"},
	{"maxclients", "maximum number of connected clients"},
	{"timeout", "close idle clients after this many seconds (0 = never)"},
	{"tcp-keepalive", "TCP keepalive interval in seconds"},
	{"hz", "serverCron frequency"},
	{"loglevel", "debug, verbose, notice, warning or nothing"},
	{"logfile", "log file ('' = standard output)"},
	{"requirepass", "password clients must AUTH with"},
	{"dir", "working directory for persistence files"},
	{"save", "RDB save points ('' = none)"},
	{"appendonly", "yes or no"},
	{"appendfsync", "when the AOF is synced: always, everysec or no"},
	{"protected-mode", "yes or no"},
	{"maxmemory", "memory limit (bytes, or 100mb, 1gb …)"},
	{"maxmemory-policy", "eviction policy"},
	{"mount", "directory to mount the keyspace on"},
	{"allow-other", "let other users see the mount (yes or no)"},
	{"mount-acl-user", "'UID NAME …': other users' file operations run as these ACL users"},
	{"enable-debug-command", "who may run DEBUG: no, yes or local"},
	{"enable-module-command", "who may run MODULE LOAD/UNLOAD: no, yes or local"},
	{"enable-protected-configs", "who may CONFIG SET dir and dbfilename: no, yes or local"},
}

func serveCommand() *cli.Command {
	var flags []cli.Flag
	for _, d := range flagDirectives {
		flags = append(flags, &cli.StringFlag{Name: d.name, Usage: d.usage})
	}
	return &cli.Command{
		Name:      "serve",
		Usage:     "run the server (and the mount, with --mount)",
		ArgsUsage: "[FILE.conf]",
		Flags:     flags,
		Action: func(ctx *cli.Context) error {
			cfg := cmds.DefaultConfig()
			if ctx.NArg() > 1 {
				return fmt.Errorf("at most one config file")
			}
			if ctx.NArg() == 1 {
				path := ctx.Args().First()
				if err := loadConfigFile(&cfg, path); err != nil {
					return err
				}
				// CONFIG REWRITE and INFO's config_file use the
				// absolute path, as Redis's getAbsolutePath.
				abs, err := filepath.Abs(path)
				if err != nil {
					return err
				}
				cmds.ConfigFile = abs
			}
			// Flags override the file, as redis-server's command line does.
			for _, d := range flagDirectives {
				if ctx.IsSet(d.name) {
					if err := cfg.Set(d.name, ctx.String(d.name)); err != nil {
						return fmt.Errorf("--%s: %v", d.name, err)
					}
				}
			}
			return serve(cfg)
		},
	}
}

// loadConfigFile reads redis.conf-style lines: "directive arg…", '#'
// comments, tokenized by cmds.SplitConfigLine (as CONFIG REWRITE reads
// the file back).
func loadConfigFile(cfg *cmds.Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	saveLoaded := false
	for i, raw := range strings.Split(string(data), "\n") {
		line, args, ok := cmds.SplitConfigLine(raw)
		if !ok {
			return fmt.Errorf("%s:%d: bad directive line: %s", path, i+1, line)
		}
		if args == nil {
			continue
		}
		lineNo := i + 1
		name := strings.ToLower(args[0])
		value := strings.Join(args[1:], " ")
		// Save lines add up, as in redis.conf: the first one replaces
		// the default save points, later ones add theirs, save ""
		// removes them all.
		if name == "save" {
			if value != "" && saveLoaded && cfg.Save != "" {
				value = cfg.Save + " " + value
			}
			saveLoaded = true
		}
		if err := cfg.Set(name, value); err != nil {
			return fmt.Errorf("%s:%d: %v", path, lineNo, err)
		}
	}
	return nil
}

func serve(cfg cmds.Config) error {
	srv := cmds.NewServer(cfg)
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		srv.LogOut = f
	}
	raiseFileLimit(srv)
	s, err := server.New(srv)
	if err != nil {
		return err
	}
	srv.Logf(cmds.LogNotice, "redisfs is starting, pid=%d", os.Getpid())
	if err := s.Listen(); err != nil {
		srv.Logf(cmds.LogWarning, "%v", err)
		return err
	}
	srv.Logf(cmds.LogNotice, "Server initialized")
	p, err := startPersistence(srv, s)
	if err != nil {
		return err
	}
	srv.Logf(cmds.LogNotice, "Ready to accept connections tcp (%s)", s.Addr())

	// The file front end shares the loop: mounted once the listeners are
	// up, unmounted before the loop stops (Close covers a loop stopped
	// by SHUTDOWN). Signals are caught from before the mount (one that
	// comes during it waits in the channel), so that a mount never
	// outlives the process.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	fsys, err := mountKeyspace(srv, s)
	if err != nil {
		return err
	}

	go func() {
		sig := <-sigs
		s.Post(func() {
			srv.Logf(cmds.LogWarning, "Received %s scheduling shutdown...", sigName(sig))
		})
		if fsys != nil {
			fsys.Unmount()
		}
		s.Stop()
	}()
	s.Run()
	if fsys != nil {
		if err := fsys.Close(); err != nil {
			srv.Logf(cmds.LogWarning, "%v", err)
		}
		srv.Logf(cmds.LogNotice, "Unmounted %s", fsys.Dir())
	}
	if err := p.Shutdown(); err != nil {
		return err
	}
	srv.Logf(cmds.LogWarning, "redisfs is now ready to exit, bye bye...")
	return nil
}

// startPersistence loads the data kept in --dir (refusing to start when
// they cannot be loaded) and attaches the persistence layer, before anyone
// is served.
func startPersistence(srv *cmds.Server, s *server.Server) (*persist.Persister, error) {
	p := persist.New(srv, persist.Options{Post: s.Post})
	if err := p.Start(); err != nil {
		srv.Logf(cmds.LogWarning, "Fatal error loading the data: %v", err)
		srv.Logf(cmds.LogWarning, "Refusing to start: fix or move the file (redis-check-rdb, redis-check-aof --fix) and start again.")
		return nil, err
	}
	return p, nil
}

// mountKeyspace mounts the keyspace on the mount directive's directory,
// if any (before the loop runs: file operations wait for it).
func mountKeyspace(srv *cmds.Server, s *server.Server) (*fs.FS, error) {
	dir := srv.Config.Mount
	if dir == "" {
		return nil, nil
	}
	fsys, err := fs.Mount(dir, local.New(srv, s.Post), fs.Options{AllowOther: srv.Config.AllowOther, Users: srv.Config.MountACLUsers})
	if err != nil {
		srv.Logf(cmds.LogWarning, "Failed mounting the keyspace: %v", err)
		return nil, err
	}
	srv.Logf(cmds.LogNotice, "Keyspace mounted on %s", dir)
	return fsys, nil
}

func sigName(sig os.Signal) string {
	if sig == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

// raiseFileLimit raises RLIMIT_NOFILE to fit maxclients, as Redis's
// adjustOpenFilesLimit.
func raiseFileLimit(srv *cmds.Server) {
	want := uint64(srv.Config.MaxClients + 32)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur >= want {
		return
	}
	old := lim.Cur
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < want {
		srv.Logf(cmds.LogWarning, "You requested maxclients of %d requiring at least %d max file descriptors; the limit is %d (was %d).",
			srv.Config.MaxClients, want, lim.Cur, old)
	}
}
