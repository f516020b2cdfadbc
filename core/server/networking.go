package server

import (
	"net"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/loop"
)

// conn is the socket transport of one client.
type conn struct {
	s      *Server
	fd     int
	c      *cmds.Client
	remote string
	local  string
	// writable is true while EPOLLOUT is armed after a short write.
	writable bool
	closed   bool
}

const protectedModeMsg = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

func (s *Server) accept(l listener) {
	srv := s.Srv
	for i := 0; i < maxAcceptsPerCall; i++ {
		nfd, sa, err := unix.Accept4(l.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			if err != unix.EAGAIN && err != unix.EINTR && err != unix.ECONNABORTED {
				srv.Logf(cmds.LogWarning, "Accepting client connection: %v", err)
			}
			return
		}
		remote, local := "", ""
		loopback := l.unix
		if l.unix {
			remote = l.path + ":0"
			local = l.path + ":0"
		} else {
			remote, loopback = sockaddrString(sa)
			if lsa, err := unix.Getsockname(nfd); err == nil {
				local, _ = sockaddrString(lsa)
			}
			unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
			if ka := srv.Config.TCPKeepalive; ka > 0 {
				unix.SetsockoptInt(nfd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
				unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, ka)
				unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, max(ka/3, 1))
				unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 3)
			}
		}
		if s.nconns >= srv.Config.MaxClients {
			unix.Write(nfd, []byte("-ERR max number of clients reached\r\n"))
			unix.Close(nfd)
			srv.Stats.RejectedConns++
			continue
		}
		if srv.Config.ProtectedMode && srv.DefaultUserNoPass() && !loopback {
			unix.Write(nfd, []byte(protectedModeMsg))
			unix.Close(nfd)
			srv.Stats.RejectedConns++
			continue
		}
		srv.Stats.NumConnections++
		cn := &conn{s: s, fd: nfd, remote: remote, local: local}
		s.nconns++
		cn.c = srv.NewClient(cn)
		if l.unix {
			cn.c.Flags |= cmds.ClientUnixSocket
		}
		if err := s.el.AddFileEvent(nfd, loop.Readable, cn.onReadable); err != nil {
			srv.Logf(cmds.LogWarning, "Error registering fd event for the new client: %v (fd=%d)", err, nfd)
			srv.FreeClient(cn.c)
			continue
		}
		srv.Logf(cmds.LogVerbose, "Accepted %s", remote)
	}
}

func sockaddrString(sa unix.Sockaddr) (string, bool) {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip := net.IP(a.Addr[:])
		return ip.String() + ":" + strconv.Itoa(a.Port), ip.IsLoopback()
	case *unix.SockaddrInet6:
		ip := net.IP(a.Addr[:])
		return ip.String() + ":" + strconv.Itoa(a.Port), ip.IsLoopback()
	}
	return "?:0", false
}

// onReadable is readQueryFromClient. When the client has no unparsed tail,
// it reads into the server's shared buffer and parses from there, keeping
// only an incomplete tail: an idle client holds no read buffer.
func (cn *conn) onReadable(el *loop.Loop, fd, mask int) {
	c := cn.c
	srv := cn.s.Srv
	var buf []byte
	shared := len(c.QueryBuf) == 0
	if shared {
		buf = cn.s.readBuf[:cap(cn.s.readBuf)]
	} else {
		want := ioBufLen
		if need := c.ParserNeed(); need > len(c.QueryBuf)+want {
			// A big bulk argument: read it whole instead of
			// growing 16K at a time.
			want = need - len(c.QueryBuf)
		}
		if cap(c.QueryBuf)-len(c.QueryBuf) < want {
			nb := make([]byte, len(c.QueryBuf), len(c.QueryBuf)+want)
			copy(nb, c.QueryBuf)
			c.QueryBuf = nb
		}
		buf = c.QueryBuf[len(c.QueryBuf):cap(c.QueryBuf)]
	}
	n, err := unix.Read(fd, buf)
	if err != nil {
		if err == unix.EAGAIN || err == unix.EINTR {
			return
		}
		srv.Logf(cmds.LogVerbose, "Reading from client: %v", err)
		srv.FreeClient(c)
		return
	}
	if n == 0 {
		srv.Logf(cmds.LogVerbose, "Client closed connection id=%d addr=%s", c.ID, cn.remote)
		srv.FreeClient(c)
		return
	}
	srv.Stats.NetInputBytes += int64(n)
	if shared {
		c.QueryBuf = buf[:n]
	} else {
		c.QueryBuf = c.QueryBuf[:len(c.QueryBuf)+n]
	}
	if int64(len(c.QueryBuf)) > srv.Config.ClientQueryBufferLimit {
		srv.Logf(cmds.LogWarning, "Closing client that reached max query buffer length: id=%d addr=%s qbuf=%d", c.ID, cn.remote, len(c.QueryBuf))
		srv.FreeClient(c)
		return
	}
	c.ProcessInputBuffer()
	if shared && len(c.QueryBuf) > 0 {
		// Keep the incomplete tail in a buffer of the client's own.
		own := make([]byte, len(c.QueryBuf), max(len(c.QueryBuf)*2, 1024))
		copy(own, c.QueryBuf)
		c.QueryBuf = own
	} else if shared {
		c.QueryBuf = nil
	}
}

// Flush writes pending replies; on a short write it arms EPOLLOUT.
func (cn *conn) Flush(c *cmds.Client) {
	if cn.closed {
		return
	}
	srv := cn.s.Srv
	for c.Sent < len(c.Reply) {
		end := min(len(c.Reply), c.Sent+replyChunk)
		n, err := unix.Write(cn.fd, c.Reply[c.Sent:end])
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				break
			}
			srv.Logf(cmds.LogVerbose, "Error writing to client: %v", err)
			c.Flags |= cmds.ClientCloseASAP
			return
		}
		c.Sent += n
		srv.Stats.NetOutputBytes += int64(n)
		if end-c.Sent > 0 {
			break
		}
	}
	if c.Sent < len(c.Reply) {
		if !cn.writable {
			cn.writable = true
			// Barrier: the rest of a reply is written before new
			// commands of the same iteration are read, so no reply
			// goes out before the AOF holds (and, with appendfsync
			// always, has synced) what it acknowledges — that
			// happens in beforeSleep (Redis's AE_BARRIER).
			cn.s.el.AddFileEvent(cn.fd, loop.Writable|loop.Barrier, cn.onWritable)
		}
	} else if cn.writable {
		cn.writable = false
		cn.s.el.DelFileEvent(cn.fd, loop.Writable)
	}
}

// onWritable continues a reply that did not fit the socket buffer.
func (cn *conn) onWritable(el *loop.Loop, fd, mask int) {
	c := cn.c
	srv := cn.s.Srv
	cn.Flush(c)
	if c.Flags&cmds.ClientCloseASAP != 0 {
		srv.FreeClient(c)
		return
	}
	if c.Sent >= len(c.Reply) {
		c.ResetReply()
		if c.Flags&cmds.ClientCloseAfterReply != 0 {
			srv.FreeClient(c)
		}
	}
}

// Close closes the socket.
func (cn *conn) Close(c *cmds.Client) {
	if cn.closed {
		return
	}
	cn.closed = true
	cn.s.nconns--
	cn.s.el.DelFileEvent(cn.fd, loop.Readable|loop.Writable)
	unix.Close(cn.fd)
}

func (cn *conn) RemoteAddr() string { return cn.remote }
func (cn *conn) LocalAddr() string  { return cn.local }
func (cn *conn) Fd() int            { return cn.fd }
