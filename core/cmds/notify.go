package cmds

import "strconv"

// Keyspace notifications, after Redis 7.0's notify.c: every change to a
// key is reported by notifyKeyspaceEvent (server.go), which runs the
// file server's hooks and then this publisher. Per notify-keyspace-events
// (parsed by config.go's keyspaceEventsStringToFlags), an event of an
// enabled class is published as
//
//	__keyspace@<db>__:<key>    with the event name as message ('K')
//	__keyevent@<db>__:<event>  with the key as message ('E')

// notifyState caches the parsed notify-keyspace-events and the buffer the
// channel names are built in.
type notifyState struct {
	str   string
	flags int
	buf   []byte
}

// notifyFlags returns the classes enabled by notify-keyspace-events.
func (srv *Server) notifyFlags() int {
	st := &srv.notify
	if v := srv.Config.notifyKeyspaceEvents; v != st.str {
		st.flags, _ = keyspaceEventsStringToFlags(v)
		st.str = v
	}
	return st.flags
}

// publishKeyspaceEvent publishes the notifications of one event.
func (srv *Server) publishKeyspaceEvent(class int, event string, key []byte, dbid int) {
	if srv.Config.notifyKeyspaceEvents == "" {
		return
	}
	flags := srv.notifyFlags()
	if flags&class == 0 {
		return
	}
	// Nobody can receive anything: skip building the channels.
	if len(srv.pubsub.channels) == 0 && len(srv.pubsub.patterns) == 0 {
		return
	}
	st := &srv.notify
	if flags&notifyKeyspace != 0 {
		b := append(st.buf[:0], "__keyspace@"...)
		b = strconv.AppendInt(b, int64(dbid), 10)
		b = append(b, "__:"...)
		b = append(b, key...)
		st.buf = b
		srv.publishMessage(b, stringBytes(event))
	}
	if flags&notifyKeyevent != 0 {
		b := append(st.buf[:0], "__keyevent@"...)
		b = strconv.AppendInt(b, int64(dbid), 10)
		b = append(b, "__:"...)
		b = append(b, event...)
		st.buf = b
		srv.publishMessage(b, key)
	}
}
