package cmds

// GET key
func getCommand(c *Client) {
	o := c.LookupKeyReadOrNull(c.Argv[1])
	if o == nil {
		return
	}
	if c.CheckType(o, TypeString) {
		return
	}
	c.AddReplyBulkObject(o)
}

// SET key value (options to come)
func setCommand(c *Client) {
	key := c.Argv[1]
	c.LookupKeyWrite(key)
	c.srv.SetKey(c, c.db, key, NewStringObject(c.Argv[2]), 0)
	c.srv.Dirty++
	c.srv.NotifyKeyspaceEvent(NotifyString, "set", key, c.db.ID)
	c.AddReplyOK()
}

func init() {
	register(
		&Command{Name: "get", Proc: getCommand, Arity: 2, Flags: CmdReadonly | CmdFast, Acl: AclRead | AclString | AclFast,
			First: 1, Last: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Get the value of a key", Complexity: "O(1)"},
		&Command{Name: "set", Proc: setCommand, Arity: -3, Flags: CmdWrite | CmdDenyOOM, Acl: AclWrite | AclString | AclSlow,
			First: 1, Last: 1, Step: 1, Group: "string", Since: "1.0.0", Summary: "Set the string value of a key", Complexity: "O(1)"},
	)
}
