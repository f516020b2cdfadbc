package cmds

import (
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/redisfs/redisfs/core/proto"
)

// EVAL, EVALSHA, their _RO forms and SCRIPT, and the running of a script,
// after Redis 7.0's eval.c and script.c. The Lua environment is in
// script_lua.go.
//
// A script runs on the loop, atomically: the commands it calls go through
// scriptCall (Redis's scriptCall: the checks a script's command gets, then
// call, on the script client) and are propagated as one execution unit,
// wrapped in MULTI … EXEC (propagate.go), while EVAL itself is not
// propagated. A script still running after busy-reply-threshold makes the
// server serve other clients from inside the script (scriptInterrupt →
// the OnProcessEventsWhileBlocked hook the front end installed), where
// every command but the allow-busy ones (SCRIPT KILL, FUNCTION KILL,
// SHUTDOWN NOSAVE …) is refused with BUSY.

// scriptingState is the scripting state of a server.
type scriptingState struct {
	// env is the EVAL interpreter, created at the first use.
	env     *luaEnv
	scripts map[string]*evalScript // by lower-case sha1
	mem     int64
	// client runs the commands scripts call (Redis's lua_client).
	client *Client
	// run is the script running now, or nil.
	run *scriptRun
	// rand48 is the state of math.random's generator.
	rand48 uint64
	// eventsWhileBlocked serves the other clients while a script is busy
	// (set by the front end, OnProcessEventsWhileBlocked).
	eventsWhileBlocked []func()
}

// evalScript is one script of the cache.
type evalScript struct {
	body  []byte
	flags uint64
	fn    *lua.LFunction
}

// Flags of a run, as Redis's SCRIPT_* run flags.
const (
	runWriteDirty = 1 << iota
	runKilled
	runTimedOut
	runReadOnly
	runAllowOOM
	runEvalMode
)

// scriptRun is the context of the running script (scriptRunCtx).
type scriptRun struct {
	caller    *Client
	funcname  string
	flags     int
	start     time.Time
	replFlags int
}

// OnProcessEventsWhileBlocked registers f to serve pending events (other
// clients' input, posted jobs) while a long script keeps the loop busy,
// as Redis's processEventsWhileBlocked; f runs on the loop, from inside
// the script, and must not wait.
//
// Used by core/server.
func (srv *Server) OnProcessEventsWhileBlocked(f func()) {
	srv.scripting.eventsWhileBlocked = append(srv.scripting.eventsWhileBlocked, f)
}

// luaEnvOf returns the EVAL interpreter, creating it (and the script
// client) on first use.
func (srv *Server) luaEnvOf() *luaEnv {
	s := &srv.scripting
	if s.env == nil {
		s.env = newLuaEnv(srv)
		s.scripts = map[string]*evalScript{}
		if s.rand48 == 0 {
			s.rand48 = 0x1234ABCD330E
		}
	}
	if s.client == nil {
		s.client = srv.newScriptClient()
	}
	return s.env
}

// newScriptClient creates the client scripts run commands on. It is not
// in the client list, may not block, and its replies are read back by
// the script instead of being written anywhere: it is marked as already
// pending a write, so it never joins the list of clients to flush.
func (srv *Server) newScriptClient() *Client {
	c := &Client{
		ID:            -1,
		srv:           srv,
		db:            srv.DBs[0],
		resp:          2,
		Authenticated: true,
		userName:      "default",
		Flags:         clientScript | clientDenyBlocking | clientPendingWrite,
	}
	return c
}

// scriptingReset drops the script cache and the interpreter (SCRIPT FLUSH).
func (srv *Server) scriptingReset() {
	s := &srv.scripting
	if s.env != nil {
		s.env.L.Close()
	}
	s.env = nil
	s.scripts = nil
	s.mem = 0
}

// evalExtractShebangFlags reads a "#!lua flags=…" first line. It returns
// the flags (scriptFlagEvalCompat without a shebang), the length of the
// shebang line, or Redis's error text.
func evalExtractShebangFlags(body []byte) (uint64, int, string) {
	if !strings.HasPrefix(string(body[:min(2, len(body))]), "#!") {
		return scriptFlagEvalCompat, 0, ""
	}
	end := strings.IndexByte(string(body), '\n')
	if end < 0 {
		return 0, 0, "Invalid script shebang"
	}
	parts := splitArgs(string(body[:end]))
	if len(parts) == 0 {
		return 0, 0, "Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return 0, 0, "Unexpected engine in script shebang: " + parts[0]
	}
	var flags uint64
	for _, p := range parts[1:] {
		if !strings.HasPrefix(p, "flags=") {
			return 0, 0, "Unknown lua shebang option: " + p
		}
		list := p[len("flags="):]
		if list == "" {
			continue
		}
		for _, f := range strings.Split(list, ",") {
			bit, ok := scriptFlagByName(f)
			if !ok {
				return 0, 0, "Unexpected flag in script shebang: " + f
			}
			flags |= bit
		}
	}
	return flags, end, ""
}

func scriptFlagByName(name string) (uint64, bool) {
	for _, f := range scriptFlagNames {
		if f.name == name {
			return f.flag, true
		}
	}
	return 0, false
}

// luaCreateFunction compiles body into the cache and returns its sha, or
// replies the error to c and returns "".
func (srv *Server) luaCreateFunction(c *Client, body []byte) string {
	env := srv.luaEnvOf()
	s := &srv.scripting
	sha := sha1hexString(string(body))
	if _, ok := s.scripts[sha]; ok {
		return sha
	}
	flags, shebangLen, errMsg := evalExtractShebangFlags(body)
	if errMsg != "" {
		c.addReplyError(errMsg)
		return ""
	}
	// The shebang is skipped but its newline kept, so that line numbers
	// stay the user's.
	fn, err := env.compile(body[shebangLen:], luaChunkName)
	if err != nil {
		c.addReplyError("Error compiling script (new function): " + luaCompileError(err, body[shebangLen:]))
		return ""
	}
	s.scripts[sha] = &evalScript{body: keepArg(body), flags: flags, fn: fn}
	s.mem += int64(len(body) + 40)
	return sha
}

// EVAL script numkeys [key ...] [arg ...], and EVAL_RO
func evalCommand(c *Client) { evalGenericCommand(c, false) }

// EVALSHA sha1 numkeys [key ...] [arg ...], and EVALSHA_RO
func evalshaCommand(c *Client) {
	if len(c.argv[1]) != 40 {
		c.addReplyError(errNoScript)
		return
	}
	evalGenericCommand(c, true)
}

const errNoScript = "-NOSCRIPT No matching script. Please use EVAL."

func evalGenericCommand(c *Client, evalsha bool) {
	srv := c.srv
	// MONITOR sees the script before the commands it runs.
	if len(srv.monitors) > 0 {
		srv.feedMonitors(c, c.argv)
	}
	numkeys, ok := proto.ParseInt(c.argv[2])
	if !ok {
		c.addReplyError("value is not an integer or out of range")
		return
	}
	if numkeys > int64(len(c.argv)-3) {
		c.addReplyError("Number of keys can't be greater than number of args")
		return
	} else if numkeys < 0 {
		c.addReplyError("Number of keys can't be negative")
		return
	}
	srv.luaEnvOf()
	s := &srv.scripting
	var sha string
	if evalsha {
		sha = strings.ToLower(string(c.argv[1]))
	} else {
		sha = sha1hexString(string(c.argv[1]))
	}
	script := s.scripts[sha]
	if script == nil {
		if evalsha {
			c.addReplyError(errNoScript)
			return
		}
		if srv.luaCreateFunction(c, c.argv[1]) == "" {
			return
		}
		script = s.scripts[sha]
	}
	ro := c.cmd.name == "eval_ro" || c.cmd.name == "evalsha_ro"
	run, ok := srv.scriptPrepareForRun(c, sha, script.flags, ro)
	if !ok {
		return
	}
	run.flags |= runEvalMode
	env := s.env
	keys := c.argv[3 : 3+numkeys]
	args := c.argv[3+numkeys:]
	env.globals.RawSetString("KEYS", env.newArray(keys))
	env.globals.RawSetString("ARGV", env.newArray(args))
	env.callFunction(run, script.fn, nil)
	srv.scriptResetRun(run)
}

// scriptPrepareForRun checks that a script with flags may run for caller
// and starts its run (scriptPrepareForRun); on refusal it replies.
func (srv *Server) scriptPrepareForRun(caller *Client, funcname string, flags uint64, ro bool) (*scriptRun, bool) {
	if flags&scriptFlagEvalCompat == 0 {
		if flags&scriptFlagNoWrites == 0 {
			if msg := srv.diskErrorScriptMessage(); msg != "" {
				caller.addReplyError(msg)
				return nil, false
			}
			if ro {
				caller.addReplyError("Can not execute a script with write flag using *_ro command.")
				return nil, false
			}
		}
		if srv.evict.preCommandOOM && srv.Config.MaxMemory > 0 && flags&(scriptFlagAllowOOM|scriptFlagNoWrites) == 0 {
			caller.addReplyError("-OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'")
			return nil, false
		}
	}
	s := &srv.scripting
	sc := s.client
	sc.db = caller.db
	sc.resp = 2
	run := &scriptRun{caller: caller, funcname: funcname, start: time.Now(), replFlags: 3}
	if ro || flags&scriptFlagEvalCompat == 0 && flags&scriptFlagNoWrites != 0 {
		run.flags |= runReadOnly
	}
	if flags&scriptFlagEvalCompat == 0 && flags&scriptFlagAllowOOM != 0 {
		run.flags |= runAllowOOM
	}
	s.run = run
	return run, true
}

// diskErrorScriptMessage is the MISCONF refusal of a script that may
// write, or "".
func (srv *Server) diskErrorScriptMessage() string {
	msg := srv.diskWriteError()
	switch {
	case msg == "":
		return ""
	case strings.Contains(msg, "RDB"):
		return "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts."
	}
	aofErr := ""
	if i := strings.Index(msg, "AOF error: "); i >= 0 {
		aofErr = msg[i+len("AOF error: "):]
	}
	return "-MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: " + aofErr
}

// diskWriteError is the MISCONF error writes get now, or "".
func (srv *Server) diskWriteError() string {
	if srv.persist.p == nil {
		return ""
	}
	return srv.persist.p.WriteError()
}

// scriptResetRun ends the run: EVAL itself is not propagated, what it ran
// was.
func (srv *Server) scriptResetRun(run *scriptRun) {
	s := &srv.scripting
	if run.flags&runTimedOut != 0 {
		run.caller.Flags &^= clientProtected | clientInScript
		srv.Logf(LogWarning, "Slow script finished.")
	}
	run.caller.preventPropagation()
	s.client.Flags &^= ClientMulti
	s.run = nil
}

// callFunction calls fn (with the KEYS and ARGV tables as arguments for a
// function; none for EVAL) and replies its result or error to the
// caller, as luaCallFunction.
func (e *luaEnv) callFunction(run *scriptRun, fn *lua.LFunction, fargs []lua.LValue) {
	L := e.L
	c := run.caller
	if e.srv.Config.BusyReplyThreshold > 0 {
		e.hook.n = 0
		e.hook.killed = false
		L.SetContext(e.hook)
	}
	L.Push(fn)
	for _, a := range fargs {
		L.Push(a)
	}
	err := L.PCall(len(fargs), 1, e.errHandler)
	if L.Context() != nil {
		L.RemoveContext()
	}
	if err != nil {
		obj := lua.LValue(lua.LString(err.Error()))
		if aerr, ok := err.(*lua.ApiError); ok && aerr.Object != nil {
			obj = aerr.Object
		}
		t, ok := obj.(*lua.LTable)
		if !ok {
			c.addReplyErrorFormat("Error running script %s, %.100s\n", run.funcname, luaToString(obj))
			return
		}
		msg, _ := t.RawGetString("err").(lua.LString)
		if e.hook.killed {
			msg = "ERR " + scriptKilledMsg
		}
		final := "-" + string(msg)
		src, ok1 := t.RawGetString("source").(lua.LString)
		line, ok2 := t.RawGetString("line").(lua.LNumber)
		if ok1 && ok2 {
			final += " script: " + run.funcname + ", on " + string(src) + ":" + luaNumberString(float64(line)) + "."
		}
		if t.RawGetString("ignore_error_stats_update") == lua.LTrue {
			c.addReplyErrorNoStats(final)
		} else {
			c.addReplyError(final)
		}
		return
	}
	v := L.Get(-1)
	L.Pop(1)
	luaReplyToClient(c, e.srv.scripting.client.resp, v, 0)
}

// scriptCall runs argv for the running script on the script client, after
// the checks Redis's scriptCall makes, and returns the command's reply,
// or the error that kept it from running.
func (srv *Server) scriptCall(run *scriptRun, argv [][]byte) ([]byte, string) {
	sc := srv.scripting.client
	caller := run.caller
	sc.argv = argv
	sc.userName, sc.user = caller.userName, caller.user
	if caller.Flags&ClientInternal != 0 {
		sc.Flags |= ClientInternal
	} else {
		sc.Flags &^= ClientInternal
	}
	cmd := LookupCommand(argv)
	sc.cmd, sc.lastCmd = cmd, cmd
	reject := func(msg string) ([]byte, string) {
		srv.countError(errorCode(msg))
		if cmd != nil {
			srv.statsOf(cmd).rejectedCalls++
		}
		return nil, msg
	}
	if cmd == nil {
		return reject("Unknown Redis command called from script")
	}
	if (cmd.arity > 0 && cmd.arity != len(argv)) || len(argv) < -cmd.arity {
		return reject("Wrong number of args calling Redis command from script")
	}
	if cmd.flags&cmdNoscript != 0 {
		return reject("This Redis command is not allowed from script")
	}
	if ret, idx := sc.aclCheckAllPerm(); ret != aclOK {
		srv.addACLLogEntry(sc, ret, aclLogLua, idx, "", "")
		switch ret {
		case aclDeniedCmd:
			return reject("The user executing the script can't run this command or subcommand")
		case aclDeniedKey:
			return reject("The user executing the script can't access at least one of the keys mentioned in the command arguments")
		case aclDeniedChannel:
			return reject("The user executing the script can't publish to the channel mentioned in the command")
		}
		return reject("The user executing the script lacking the permissions for the command")
	}
	if run.flags&runReadOnly != 0 && cmd.flags&(cmdWrite|cmdMayReplicate) != 0 {
		return reject("Write commands are not allowed from read-only scripts.")
	}
	if cmd.flags&cmdWrite != 0 && run.flags&runWriteDirty == 0 {
		if msg := srv.diskWriteError(); msg != "" {
			return reject(msg)
		}
	}
	if run.flags&runAllowOOM == 0 && srv.Config.MaxMemory > 0 && run.flags&runWriteDirty == 0 &&
		srv.evict.preCommandOOM && cmd.flags&cmdDenyOOM != 0 {
		return reject("-OOM command not allowed when used memory > 'maxmemory'.")
	}
	if cmd.flags&cmdWrite != 0 {
		run.flags |= runWriteDirty
	}
	savedCurrent := srv.currentClient
	prop := &srv.persist.prop
	savedOff := prop.off
	if run.replFlags&1 == 0 {
		// redis.set_repl(redis.REPL_NONE) or REPL_REPLICA: nothing
		// reaches the AOF.
		prop.off = true
	}
	from := len(sc.Reply)
	sc.call()
	prop.off = savedOff
	srv.currentClient = savedCurrent
	if len(srv.blocking.ready) > 0 {
		srv.handleClientsBlockedOnKeys()
	}
	reply := sc.Reply[from:]
	sc.Reply = sc.Reply[:from]
	sc.argv = nil
	return reply, ""
}

// errorCode returns the code of an error message ("ERR" when none).
func errorCode(msg string) string {
	if strings.HasPrefix(msg, "-") {
		msg = msg[1:]
		if i := strings.IndexByte(msg, ' '); i > 0 {
			return msg[:i]
		}
		return msg
	}
	return "ERR"
}

// scriptInterrupt is called from the running script every hookPeriod
// instructions (Redis's scriptInterrupt): past busy-reply-threshold it
// logs, protects the caller and serves other clients, who get BUSY; it
// reports whether the script was killed meanwhile.
func (srv *Server) scriptInterrupt() bool {
	s := &srv.scripting
	run := s.run
	if run == nil {
		return false
	}
	if run.flags&runTimedOut == 0 {
		elapsed := time.Since(run.start).Milliseconds()
		if elapsed < int64(srv.Config.BusyReplyThreshold) {
			return false
		}
		kill := "SCRIPT KILL"
		if run.flags&runEvalMode == 0 {
			kill = "FUNCTION KILL"
		}
		srv.Logf(LogWarning, "Slow script detected: still in execution after %d milliseconds. You can try killing the script using the %s command. Script name is: %s.",
			elapsed, kill, run.funcname)
		run.flags |= runTimedOut
		caller := run.caller
		caller.Flags |= clientProtected | clientInScript
		// The caller's pending input and arguments may alias the
		// front end's shared read buffer, which serving others
		// reuses: give them storage of their own.
		caller.QueryBuf = append([]byte(nil), caller.QueryBuf...)
		caller.argv = keepArgs(caller.argv)
	}
	for _, f := range s.eventsWhileBlocked {
		f()
	}
	return run.flags&runKilled != 0
}

// scriptBusy reports whether a script past its threshold holds the loop,
// and the BUSY error other clients get then.
func (srv *Server) scriptBusy() (string, bool) {
	run := srv.scripting.run
	if run == nil || run.flags&runTimedOut == 0 {
		return "", false
	}
	if run.flags&runEvalMode != 0 {
		return "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", true
	}
	return "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.", true
}

// scriptKill is SCRIPT KILL (eval) and FUNCTION KILL.
func (srv *Server) scriptKill(c *Client, eval bool) {
	run := srv.scripting.run
	if run == nil {
		c.addReplyError("-NOTBUSY No scripts in execution right now.")
		return
	}
	if run.flags&runWriteDirty != 0 {
		c.addReplyError("-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
		return
	}
	if eval && run.flags&runEvalMode == 0 {
		c.addReplyError("-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
		return
	}
	if !eval && run.flags&runEvalMode != 0 {
		c.addReplyError("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
		return
	}
	run.flags |= runKilled
	c.addReplyOK()
}

// SCRIPT HELP
func scriptHelpCommand(c *Client) {
	c.addReplyHelp([]string{
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	})
}

// SCRIPT FLUSH [ASYNC|SYNC]
func scriptFlushCommand(c *Client) {
	if len(c.argv) > 3 || len(c.argv) == 3 && !strings.EqualFold(string(c.argv[2]), "sync") && !strings.EqualFold(string(c.argv[2]), "async") {
		c.addReplyError("SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	c.srv.scriptingReset()
	c.addReplyOK()
}

// SCRIPT EXISTS sha1 [sha1 ...]
func scriptExistsCommand(c *Client) {
	s := &c.srv.scripting
	c.addReplyArrayLen(len(c.argv) - 2)
	for _, a := range c.argv[2:] {
		_, ok := s.scripts[strings.ToLower(string(a))]
		if ok {
			c.addReplyInt(1)
		} else {
			c.addReplyInt(0)
		}
	}
}

// SCRIPT LOAD script
func scriptLoadCommand(c *Client) {
	sha := c.srv.luaCreateFunction(c, c.argv[2])
	if sha != "" {
		c.addReplyBulkString(sha)
	}
}

// SCRIPT KILL
func scriptKillCommand(c *Client) { c.srv.scriptKill(c, true) }

// SCRIPT DEBUG YES|SYNC|NO. The Lua debugger (LDB) is not implemented:
// NO is accepted, YES and SYNC are refused.
func scriptDebugCommand(c *Client) {
	switch strings.ToLower(string(c.argv[2])) {
	case "no":
		c.addReplyOK()
	case "yes", "sync":
		c.addReplyError("SCRIPT DEBUG is not supported by this server")
	default:
		c.addReplyError("Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

// scriptContainerCommand answers SCRIPT with an unknown subcommand.
func scriptContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }
