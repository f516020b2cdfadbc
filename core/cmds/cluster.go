package cmds

// The commands of Redis 7.0's table that belong to features this server
// does not have, answered as a Redis without them answers: cluster mode
// (CLUSTER, READONLY, READWRITE, ASKING), modules (MODULE), and the
// replication commands that need replicas (WAIT, FAILOVER).

const errClusterDisabled = "This instance has cluster support disabled"

// CLUSTER subcommand [arg ...], READONLY, READWRITE, ASKING: every one
// answers the same error, as cluster.c does when cluster-enabled is no.
func clusterDisabledCommand(c *Client) { c.addReplyError(errClusterDisabled) }

// clusterContainerCommand answers CLUSTER with an unknown subcommand.
func clusterContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }

var moduleHelp = []string{
	"LIST",
	"    Return a list of loaded modules.",
	"LOAD <path> [<arg> ...]",
	"    Load a module library from <path>, passing to it any optional arguments.",
	"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
	"    Load a module library from <path>, while passing it module configurations and optional arguments.",
	"UNLOAD <name>",
	"    Unload a module.",
}

// MODULE HELP
func moduleHelpCommand(c *Client) { c.addReplyHelp(moduleHelp) }

// MODULE LIST: no module is ever loaded.
func moduleListCommand(c *Client) { c.addReplyArrayLen(0) }

// MODULE LOAD path [arg ...], MODULE LOADEX path [...]: this server
// cannot load Redis modules (shared objects written against Redis's C
// API), so loading fails as a failed dlopen does in Redis, with the
// reason in the log.
func moduleLoadCommand(c *Client) {
	c.srv.Logf(LogWarning, "Module %s failed to load: this server does not load Redis modules", c.argv[2])
	c.addReplyError("Error loading the extension. Please check the server logs.")
}

// MODULE UNLOAD name
func moduleUnloadCommand(c *Client) {
	c.addReplyError("Error unloading module: no such module with that name")
}

// moduleContainerCommand answers MODULE with an unknown subcommand.
func moduleContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }

// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: with no replica
// ever connected, after Redis's argument checks, it fails for want of
// replicas.
func failoverCommand(c *Client) {
	argc := len(c.argv)
	if argc == 2 && equalFoldC(c.argv[1], "abort") {
		c.addReplyError("No failover in progress.")
		return
	}
	var timeout int64
	var host bool
	force := false
	for j := 1; j < argc; j++ {
		switch {
		case equalFoldC(c.argv[j], "timeout") && j+1 < argc && timeout == 0:
			v, ok := getLongFromArgOrReply(c, c.argv[j+1], "")
			if !ok {
				return
			}
			if v <= 0 {
				c.addReplyError("FAILOVER timeout must be greater than 0")
				return
			}
			timeout = v
			j++
		case equalFoldC(c.argv[j], "to") && j+2 < argc && !host:
			if _, ok := getLongFromArgOrReply(c, c.argv[j+2], ""); !ok {
				return
			}
			host = true
			j += 2
		case equalFoldC(c.argv[j], "force") && !force:
			force = true
		default:
			c.addReplySyntaxError()
			return
		}
	}
	c.addReplyError("FAILOVER requires connected replicas.")
}

// WAIT numreplicas timeout: no replica ever acknowledges, so WAIT 0
// answers 0 at once, as does any WAIT inside MULTI (EXEC runs it with
// clientDenyBlocking); otherwise the client
// blocks until its timeout (0: forever, or CLIENT UNBLOCK) and gets 0.
func waitCommand(c *Client) {
	numreplicas, ok := getLongFromArgOrReply(c, c.argv[1], "")
	if !ok {
		return
	}
	timeout, ok := c.getTimeoutFromObjectOrReply(c.argv[2], unitMilliseconds)
	if !ok {
		return
	}
	const ackreplicas = 0
	if ackreplicas >= numreplicas || c.Flags&(ClientMulti|clientDenyBlocking) != 0 {
		c.addReplyInt(ackreplicas)
		return
	}
	c.srv.blockForKeys(c, blockedWait, nil, timeout, nil)
}
