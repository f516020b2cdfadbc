package cmds_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestPubsubBetweenClients checks messages from publishers to subscribers
// of channels, patterns and shard channels, in RESP2 and RESP3, with the
// receiver counts PUBLISH replies, and what RESET and disconnection leave.
func TestPubsubBetweenClients(t *testing.T) {
	m := newMConns(t, 5, nil)
	// conn 0: RESP2 subscriber of channels and one pattern; conn 1: RESP3
	// subscriber; conn 2: publisher; conn 3: subscriber of "*"; conn 4:
	// a second subscriber of "n*". (One connection never has two patterns
	// matching one channel: Redis orders those by its hash table.)
	m.send(0, "SUBSCRIBE", "news", "sport")
	m.expect(0, "subscribe news")
	m.expect(0, "subscribe sport")
	m.do(0, "PSUBSCRIBE", "n*")
	m.do(3, "PSUBSCRIBE", "*")
	m.doMasked(maskHelloID, 1, "HELLO", "3")
	m.do(1, "SUBSCRIBE", "news")
	m.do(1, "SSUBSCRIBE", "shard")

	m.do(2, "PUBLISH", "news", "hello")
	m.expect(0, "message news")
	m.expect(0, "pmessage n* news")
	m.expect(1, "message news (RESP3)")
	m.expect(3, "pmessage * news")
	m.do(2, "PUBLISH", "sport", "goal")
	m.expect(0, "message sport")
	m.expect(3, "pmessage * sport")
	m.do(2, "PUBLISH", "nobody", "x")
	m.expect(0, "pmessage n* nobody")
	m.expect(3, "pmessage * nobody")
	m.do(2, "SPUBLISH", "shard", "s1")
	m.expect(1, "smessage shard")
	m.do(2, "SPUBLISH", "news", "not to channel subscribers")
	m.quiet(0, 100*time.Millisecond, "SPUBLISH to a plain channel")
	m.quiet(1, 10*time.Millisecond, "SPUBLISH to a plain channel")

	m.do(2, "PUBSUB", "NUMSUB", "news", "sport", "shard")
	m.do(2, "PUBSUB", "SHARDNUMSUB", "shard", "news")
	m.do(2, "PUBSUB", "NUMPAT")
	m.do(4, "PSUBSCRIBE", "n*")
	m.do(2, "PUBSUB", "NUMPAT")
	m.do(2, "PUBLISH", "nn", "two pattern clients")
	m.expect(0, "pmessage n* nn")
	m.expect(3, "pmessage * nn")
	m.expect(4, "pmessage n* nn (conn 4)")

	// The subscriber publishing to itself in RESP3 sees the message first.
	m.do(1, "PUBLISH", "news", "self")
	m.expect(1, "reply after the self message")
	m.expect(0, "message news (self)")
	m.expect(0, "pmessage n* news (self)")
	m.expect(3, "pmessage * news (self)")
	m.expect(4, "pmessage n* news (self, conn 4)")

	// RESET drops the subscriptions; a closed connection too.
	m.do(1, "RESET")
	m.closeConn(4)
	m.do(2, "PUBSUB", "NUMSUB", "news")
	m.do(2, "PUBSUB", "SHARDNUMSUB", "shard")
	m.do(2, "PUBSUB", "NUMPAT")
	m.do(2, "PUBLISH", "news", "after")
	m.expect(0, "message news (after)")
	m.expect(0, "pmessage n* news (after)")
	m.expect(3, "pmessage * news (after)")
	// (Without arguments Redis goes in hash table order: name them.)
	m.send(0, "UNSUBSCRIBE", "news", "sport")
	m.expect(0, "unsubscribe news")
	m.expect(0, "unsubscribe sport")
	m.do(0, "PUNSUBSCRIBE")
	m.do(0, "GET", "k")
	m.do(3, "PUNSUBSCRIBE", "*")
	m.do(2, "PUBSUB", "NUMPAT")
	m.do(2, "PUBLISH", "news", "nobody left")
}

// TestPubsubClientReplyOff checks that a subscriber with CLIENT REPLY OFF
// still receives messages (they are pushes).
func TestPubsubClientReplyOff(t *testing.T) {
	m := newMConns(t, 2, nil)
	m.do(0, "SUBSCRIBE", "c")
	m.send(0, "UNSUBSCRIBE", "c")
	m.expect(0, "unsubscribe")
	m.send(0, "CLIENT", "REPLY", "OFF")
	m.send(0, "SUBSCRIBE", "c")
	m.expect(0, "subscribe with replies off")
	m.do(1, "PUBLISH", "c", "m")
	m.expect(0, "message with replies off")
}

// TestPubsubOutputBufferLimit checks that a subscriber that does not read
// is disconnected once its pending output passes the pubsub class's hard
// limit, on both servers, and is then gone from PUBSUB NUMSUB.
func TestPubsubOutputBufferLimit(t *testing.T) {
	m := newMConns(t, 2, nil)
	m.do(1, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 128kb 60")
	m.do(1, "CONFIG", "GET", "client-output-buffer-limit")
	m.do(0, "SUBSCRIBE", "slow")
	msg := strings.Repeat("x", 256*1024)
	// Kernel socket buffers absorb the first messages; keep publishing
	// until both servers have dropped the subscriber.
	for _, c := range []*redistest.Conn{m.ref[1], m.ours[1]} {
		gone := false
		for i := 0; i < 400 && !gone; i++ {
			c.Do("PUBLISH", "slow", msg)
			if r := c.Do("PUBSUB", "NUMSUB", "slow"); strings.HasSuffix(string(r), ":0\r\n") {
				gone = true
			}
		}
		if !gone {
			t.Errorf("%s: the slow subscriber was never disconnected", c.NetConn().RemoteAddr())
		}
	}
	m.do(1, "PUBSUB", "NUMSUB", "slow")
	m.do(1, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")
}

// TestKeyspaceEventsSubscriber checks that a subscriber on its own
// connection receives the keyspace and keyevent notifications of another
// client's writes, and of expiry.
func TestKeyspaceEventsSubscriber(t *testing.T) {
	m := newMConns(t, 2, nil)
	m.do(1, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	m.send(0, "PSUBSCRIBE", "__keyspace@0__:*", "__keyevent@0__:*")
	m.expect(0, "psubscribe keyspace")
	m.expect(0, "psubscribe keyevent")
	m.do(1, "SET", "k", "v")
	m.expect(0, "keyspace set")
	m.expect(0, "keyevent set")
	m.do(1, "SET", "e", "v", "PX", "30")
	for _, ev := range []string{"set", "expire"} {
		m.expect(0, "keyspace "+ev)
		m.expect(0, "keyevent "+ev)
	}
	time.Sleep(300 * time.Millisecond) // the active cycle deletes it
	m.expect(0, "keyspace expired")
	m.expect(0, "keyevent expired")
	m.do(1, "SELECT", "1")
	m.do(1, "SET", "other-db", "v")
	m.quiet(0, 100*time.Millisecond, "an event of db 1")
}
