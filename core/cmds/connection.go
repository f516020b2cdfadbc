package cmds

import "github.com/redisfs/redisfs/core/proto"

// PING [message]
func pingCommand(c *Client) {
	if len(c.argv) > 2 {
		c.addReplyErrorArity()
		return
	}
	if c.Flags&ClientPubsub != 0 && c.resp == 2 {
		c.addReplyArrayLen(2)
		c.addReplyBulkString("pong")
		if len(c.argv) == 1 {
			c.addReplyBulkString("")
		} else {
			c.addReplyBulk(c.argv[1])
		}
		return
	}
	if len(c.argv) == 1 {
		c.write(sharedPong)
	} else {
		c.addReplyBulk(c.argv[1])
	}
}

// ECHO message
func echoCommand(c *Client) { c.addReplyBulk(c.argv[1]) }

// SELECT index
func selectCommand(c *Client) {
	id, ok := proto.ParseInt(c.argv[1])
	if !ok {
		c.addReplyError(errNotInteger)
		return
	}
	if id < -2147483648 || id > 2147483647 {
		c.addReplyError("value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if !c.SelectDB(int(id)) {
		c.addReplyError(errDBIndex)
		return
	}
	c.addReplyOK()
}

// QUIT
func quitCommand(c *Client) {
	c.addReplyOK()
	c.Flags |= ClientCloseAfterReply
}
