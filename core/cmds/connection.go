package cmds

import "github.com/redisfs/redisfs/core/proto"

// PING [message]
func pingCommand(c *Client) {
	if len(c.Argv) > 2 {
		c.AddReplyErrorArity()
		return
	}
	if c.Flags&ClientPubsub != 0 && c.Resp == 2 {
		c.AddReplyArrayLen(2)
		c.AddReplyBulkString("pong")
		if len(c.Argv) == 1 {
			c.AddReplyBulkString("")
		} else {
			c.AddReplyBulk(c.Argv[1])
		}
		return
	}
	if len(c.Argv) == 1 {
		c.write(sharedPong)
	} else {
		c.AddReplyBulk(c.Argv[1])
	}
}

// ECHO message
func echoCommand(c *Client) { c.AddReplyBulk(c.Argv[1]) }

// SELECT index
func selectCommand(c *Client) {
	id, ok := proto.ParseInt(c.Argv[1])
	if !ok {
		c.AddReplyError(ErrNotInteger)
		return
	}
	if id < -2147483648 || id > 2147483647 {
		c.AddReplyError("value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if !c.SelectDB(int(id)) {
		c.AddReplyError(ErrDBIndex)
		return
	}
	c.AddReplyOK()
}

// QUIT
func quitCommand(c *Client) {
	c.AddReplyOK()
	c.Flags |= ClientCloseAfterReply
}
