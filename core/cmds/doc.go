// Package cmds is the command side of redisfs: the client object, the
// command table, processCommand and call, the reply helpers, the keyspace
// (databases and expires) and one file per command family, after Redis's
// server.c, networking.c (the parts that do not touch sockets), db.c and
// t_*.c.
//
// Everything here runs on the event-loop goroutine that owns the Server; no
// function of this package is safe for concurrent use. Front ends (the TCP
// server, the file server) create clients with NewClient, append request
// bytes to Client.QueryBuf, call ProcessInputBuffer, and drain replies when
// the server asks their Conn to Flush.
//
// # The path of a command
//
// From a TCP read (core/server, core/loop):
//
//	loop.Loop (epoll_wait) → conn.onReadable (core/server/networking.go,
//	Redis's readQueryFromClient) appends to Client.QueryBuf
//	→ Client.ProcessInputBuffer (client.go): proto.Parser.ReadCommand
//	  (core/proto/request.go) cuts one command into Client.argv
//	→ Client.runArgv → Server.processCommandAndReset → processCommand
//	  (server.go): lookup, arity, NOAUTH, no-multi, ACL, maxmemory,
//	  tracking limit, MISCONF, pub/sub context, MONITOR, pause, MULTI
//	  queueing, each a named call in the file that owns it
//	→ Client.call (command.go) → the command's proc, e.g. getCommand
//	  (string.go) → addReply* (reply.go) into Client.Reply; the client
//	  joins the pending-write list
//	→ call, after the proc: latency, slow log, MONITOR, stats,
//	  propagateCommand, tracking
//	→ processCommand, after call: handleClientsBlockedOnKeys (blocking.go)
//	→ Server.BeforeSleep (server.go, run by the loop before it sleeps)
//	→ HandleClientsWithPendingWrites → Conn.Flush: conn.Flush
//	  (core/server/networking.go) writes to the socket.
//
// From a write(2) to a ctl file of the mount (fs):
//
//	conversation.Write (fs/ctl.go) → conv.Send (fs/local/conv.go) posts
//	a job to the loop (the post function local.New was given:
//	loop.Loop.Post) and waits → the job appends the written bytes to
//	Client.QueryBuf → Client.ProcessInputBuffer → … the same path as
//	above …; after each command, ProcessInputBuffer calls the transport's
//	CommandWatcher.CommandDone (transport, fs/local/conv.go), which hands
//	that command's reply to ctlSink.Output (fs/ctl.go) to be rendered as
//	redis-cli prints it; conversation.Read returns the text. Replies that
//	come later (a blocked command's, pub/sub messages) reach it through
//	transport.Flush.
//
// From any other file operation (cat, echo >, ls, rm … in fs):
//
//	the FUSE method → FS.do (fs/loop.go) → Engine.Do (fs/local/local.go)
//	posts a job → runner.Call → Client.RunArgv (client.go) with the argv,
//	no RESP encoding → Client.runArgv → … the same path as above …;
//	RunArgv returns the reply bytes the command appended, which
//	runner.Call decodes once, in place (proto.ReplyDecoder).
//
// Other packages hook in only through the registration methods of Server
// (OnKeyspaceEvent, OnEmptyData, OnBeforeSleep, OnConfigSet, OnShutdown,
// SetPersistence, OnBeforeKeyWrite, WhenUnpaused, WhenDurable, and
// HoldReplies from an OnBeforeSleep hook); inside the package every step
// is a call by name.
package cmds
