package cmds

import (
	"bufio"
	"net"
	"strconv"
	"time"
)

// MIGRATE, after Redis 7.0's migrateCommand (cluster.c): the keys are
// DUMPed here and RESTOREd on the target over a TCP connection opened
// from the loop, which waits for the target as Redis does (each step
// bounded by the timeout), then deleted here unless COPY.
//
// Unlike Redis, the connection is not cached between calls: each MIGRATE
// connects, authenticates and SELECTs anew.

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password] [AUTH2 username password] [KEYS key [key ...]]
func migrateCommand(c *Client) {
	argv := c.argv
	var copyKeys, replace bool
	var username, password []byte
	firstKey, numKeys := 3, 1
	for j := 6; j < len(argv); j++ {
		more := len(argv) - 1 - j
		switch {
		case equalFoldC(argv[j], "copy"):
			copyKeys = true
		case equalFoldC(argv[j], "replace"):
			replace = true
		case equalFoldC(argv[j], "auth"):
			if more == 0 {
				c.addReplySyntaxError()
				return
			}
			j++
			password = argv[j]
		case equalFoldC(argv[j], "auth2"):
			if more < 2 {
				c.addReplySyntaxError()
				return
			}
			username, password = argv[j+1], argv[j+2]
			j += 2
		case equalFoldC(argv[j], "keys"):
			if len(argv[3]) != 0 {
				c.addReplyError("When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			firstKey, numKeys = j+1, len(argv)-j-1
			j = len(argv)
		default:
			c.addReplySyntaxError()
			return
		}
	}
	timeoutMs, ok := getLongFromArgOrReply(c, argv[5], "")
	if !ok {
		return
	}
	dbid, ok := getLongFromArgOrReply(c, argv[4], "")
	if !ok {
		return
	}
	if timeoutMs <= 0 {
		timeoutMs = 1000
	}
	timeout := time.Duration(timeoutMs) * time.Millisecond

	var keys [][]byte
	var objs []*Object
	for _, k := range argv[firstKey : firstKey+numKeys] {
		if o := c.lookupKeyRead(k); o != nil {
			keys = append(keys, k)
			objs = append(objs, o)
		}
	}
	if len(keys) == 0 {
		c.addReplyStatus("NOKEY")
		return
	}

	addr := net.JoinHostPort(string(argv[1]), strconv.Itoa(atoi(argv[2])))
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		// Redis's blocking connect only waits for the socket to become
		// writable, which a refused connection does too: then the write
		// fails. Only a connect that times out is a connect error.
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			c.addReplyError("-IOERR error or timeout connecting to the client")
		} else {
			c.addReplyError("-IOERR error or timeout writing to target instance")
		}
		return
	}
	defer conn.Close()

	// The request: AUTH, SELECT, then one RESTORE per key still alive.
	var req []byte
	if password != nil {
		if username != nil {
			req = appendRESPCommand(req, []byte("AUTH"), username, password)
		} else {
			req = appendRESPCommand(req, []byte("AUTH"), password)
		}
	}
	req = appendRESPCommand(req, []byte("SELECT"), strconv.AppendInt(nil, dbid, 10))
	var sent [][]byte
	for i, k := range keys {
		var ttl int64
		if when := c.db.GetExpire(k); when != -1 {
			ttl = when - time.Now().UnixMilli()
			if ttl < 0 {
				continue
			}
			ttl = max(ttl, 1)
		}
		payload, err := createDumpPayload(nil, objs[i])
		if err != nil {
			c.addReplyError(err.Error())
			return
		}
		args := [][]byte{[]byte("RESTORE"), k, strconv.AppendInt(nil, ttl, 10), payload}
		if replace {
			args = append(args, []byte("REPLACE"))
		}
		req = appendRESPCommand(req, args...)
		sent = append(sent, k)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(req); err != nil {
		c.addReplyError("-IOERR error or timeout writing to target instance")
		return
	}

	// The replies, one line each: AUTH's and SELECT's first, then one per
	// RESTORE. The first error from the target is the reply.
	rd := bufio.NewReader(conn)
	readLine := func() (string, bool) {
		conn.SetReadDeadline(time.Now().Add(timeout))
		line, err := rd.ReadString('\n')
		if err != nil {
			return "", false
		}
		return line[:len(line)-len("\n")-boolInt(len(line) > 1 && line[len(line)-2] == '\r')], true
	}
	var authReply string
	if password != nil {
		if authReply, ok = readLine(); !ok {
			c.addReplyError("-IOERR error or timeout reading to target instance")
			return
		}
	}
	selectReply, ok := readLine()
	if !ok {
		c.addReplyError("-IOERR error or timeout reading to target instance")
		return
	}
	var deleted [][]byte
	targetErr, socketErr := false, false
	for _, k := range sent {
		line, ok := readLine()
		if !ok {
			socketErr = true
			break
		}
		switch {
		case password != nil && authReply[0] == '-', selectReply[0] == '-', line[0] == '-':
			if !targetErr {
				msg := line
				if password != nil && authReply[0] == '-' {
					msg = authReply
				} else if selectReply[0] == '-' {
					msg = selectReply
				}
				targetErr = true
				c.addReplyErrorFormat("Target instance replied with error: %s", msg[1:])
			}
		case !copyKeys:
			db := c.db
			c.srv.dbDelete(db, k)
			c.srv.signalModifiedKey(c, db, k)
			c.srv.notifyKeyspaceEvent(notifyGeneric, "del", k, db.id)
			c.srv.Dirty++
			deleted = append(deleted, k)
		}
	}
	// Propagated as the DEL of the keys the target took.
	if len(deleted) > 0 {
		c.rewriteArgv(append([][]byte{[]byte("DEL")}, deleted...)...)
	}
	switch {
	case targetErr:
	case socketErr:
		c.addReplyError("-IOERR error or timeout reading to target instance")
	default:
		c.addReplyOK()
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
