package cmds

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/redisfs/redisfs/core/proto"
)

// The Lua environment scripts and functions run in, after Redis 7.0's
// script_lua.c: the sandbox, the redis.* API, and the conversions between
// Lua values and RESP replies.
//
// The VM is github.com/yuin/gopher-lua, a pure-Go Lua 5.1 (the Lua
// version Redis embeds). Where it differs from C Lua, this file bends it
// back to what Redis's scripts see:
//
//   - Redis makes the globals and every library table read-only with a
//     patch to Lua's table code. gopher-lua has no such switch, so the
//     globals and the library tables a script sees are empty proxies whose
//     metatable reads through to the real table, raises Redis's
//     "Script attempted to access nonexistent global variable" for a
//     missing global and "Attempt to modify a readonly table" for any
//     write. (rawset on a proxy, and pairs() over one, see the empty
//     proxy: the deviation a script can observe.)
//   - Redis interrupts long scripts with a count hook. gopher-lua checks a
//     context.Context before every instruction; scriptHook is a Context
//     whose Done method counts the calls and, every hookPeriod of them,
//     does what Redis's hook does (scriptInterrupt, script.go).
//   - Error positions: the handler that turns an error into Redis's
//     "… script: <sha>, on @user_script:<line>." reads the position off
//     gopher-lua's call stack as Redis's __redis__err__handler does.

// luaChunkName is the chunk name scripts are compiled under: C Lua shows
// "@user_script" as "user_script" in messages, and Redis shows the source
// as "@user_script".
const luaChunkName = "user_script"

// hookPeriod is how many VM instructions pass between two looks at the
// clock, as Redis's count hook of 100000.
const hookPeriod = 100000

// luaMaxReplyDepth is the nesting at which Redis's conversion of a
// returned table runs out of Lua stack and replies "reached lua stack
// limit" instead (a cyclic table ends there).
const luaMaxReplyDepth = 7995

// scriptKilledMsg is the error a killed script dies of.
const scriptKilledMsg = "Script killed by user with SCRIPT KILL..."

// luaEnv is one Lua interpreter with Redis's environment.
type luaEnv struct {
	L *lua.LState
	// globals is the real global table; proxyG is what scripts see.
	globals *lua.LTable
	proxyG  *lua.LTable
	hook    *scriptHook
	// errHandler is the pcall message handler (Redis's
	// __redis__err__handler).
	errHandler *lua.LFunction
	srv        *Server
	// inCall detects a redis.call reentered through a hook.
	inCall bool
	// realOf maps each read-only proxy to the table it stands for.
	realOf map[*lua.LTable]*lua.LTable
	// loadGlobals is what library code sees as its globals while
	// loading is set (the functions interpreter, function.go).
	loadGlobals *lua.LTable
	loading     bool
}

// scriptHook is the context.Context the VM checks before each
// instruction; see the file comment.
type scriptHook struct {
	srv    *Server
	n      int
	killed bool
	done   chan struct{}
	// loadDeadline, while a library loads, is when FUNCTION LOAD gives
	// up (Redis's LOAD_TIMEOUT_MS).
	loadDeadline time.Time
}

func (h *scriptHook) Deadline() (time.Time, bool) { return time.Time{}, false }
func (h *scriptHook) Value(any) any               { return nil }
func (h *scriptHook) Err() error                  { return errors.New(scriptKilledMsg) }

// Done is called by the VM before every instruction: every hookPeriod
// calls it runs the interrupt (which may serve other clients and may kill
// the script). A killed script's Done stays closed, so that pcall cannot
// keep it alive.
func (h *scriptHook) Done() <-chan struct{} {
	if h.killed {
		return h.done
	}
	h.n++
	if h.n < hookPeriod {
		return nil
	}
	h.n = 0
	if !h.loadDeadline.IsZero() {
		// Loading a library: only the load timeout applies.
		if time.Now().After(h.loadDeadline) {
			h.killed = true
			return h.done
		}
		return nil
	}
	if h.srv.scriptInterrupt() {
		h.killed = true
		h.srv.Logf(LogWarning, "Lua script killed by user with SCRIPT KILL.")
		return h.done
	}
	return nil
}

// Script flags, as Redis's SCRIPT_FLAG_*.
const (
	scriptFlagNoWrites uint64 = 1 << iota
	scriptFlagAllowOOM
	scriptFlagAllowStale
	scriptFlagNoCluster
	scriptFlagEvalCompat
	scriptFlagAllowCrossSlot
)

// scriptFlagNames are the flag names of shebangs and register_function,
// in Redis's order (FUNCTION LIST shows them in it).
var scriptFlagNames = []struct {
	flag uint64
	name string
}{
	{scriptFlagNoWrites, "no-writes"},
	{scriptFlagAllowOOM, "allow-oom"},
	{scriptFlagAllowStale, "allow-stale"},
	{scriptFlagNoCluster, "no-cluster"},
	{scriptFlagAllowCrossSlot, "allow-cross-slot-keys"},
}

// newLuaEnv creates an interpreter with Redis's libraries, API and
// sandbox.
func newLuaEnv(srv *Server) *luaEnv {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 1024, RegistrySize: 1024 * 20, RegistryMaxSize: 1024 * 1024})
	e := &luaEnv{L: L, srv: srv}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{"", lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	e.globals = g
	for _, name := range []string{"dofile", "loadfile", "print", "module", "require", "_printregs", "_GOPHER_LUA_VERSION",
		"package", "channel", "os", "io", "debug", "getfenv", "setfenv", "newproxy"} {
		g.RawSetString(name, lua.LNil)
	}
	e.overrideBuiltins()
	openLuaLibs(L) // script_lualibs.go: cjson, bit, struct, cmsgpack
	g.RawSetString("pcall", L.NewFunction(luaRedisPcall))

	redis := L.NewTable()
	api := map[string]lua.LGFunction{
		"call":          func(L *lua.LState) int { return e.redisGenericCommand(L, true) },
		"pcall":         func(L *lua.LState) int { return e.redisGenericCommand(L, false) },
		"log":           e.redisLog,
		"setresp":       e.redisSetResp,
		"sha1hex":       luaRedisSha1hex,
		"error_reply":   luaRedisErrorReply,
		"status_reply":  luaRedisStatusReply,
		"set_repl":      e.redisSetRepl,
		"acl_check_cmd": e.redisACLCheckCmd,
		"replicate_commands": func(L *lua.LState) int {
			L.Push(lua.LTrue)
			return 1
		},
		"breakpoint": func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":      func(L *lua.LState) int { return 0 },
	}
	for name, f := range api {
		redis.RawSetString(name, L.NewFunction(f))
	}
	for name, v := range map[string]float64{
		"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
		"REDIS_VERSION_NUM": redisVersionNum,
	} {
		redis.RawSetString(name, lua.LNumber(v))
	}
	redis.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	g.RawSetString("redis", redis)

	mathLib := g.RawGetString("math").(*lua.LTable)
	mathLib.RawSetString("random", L.NewFunction(e.mathRandom))
	mathLib.RawSetString("randomseed", L.NewFunction(e.mathRandomseed))

	e.errHandler = L.NewFunction(luaErrHandler)
	g.RawSetString("__redis__err__handler", e.errHandler)

	// The sandbox: every library table and the globals become
	// read-only proxies; _G names the proxy.
	e.proxyG = e.protect(g, true)
	g.RawSetString("_G", e.proxyG)
	for _, name := range []string{"string", "math", "table", "coroutine", "redis", "cjson", "bit", "struct", "cmsgpack"} {
		if t, ok := g.RawGetString(name).(*lua.LTable); ok {
			g.RawSetString(name, e.protect(t, false))
		}
	}
	e.hook = &scriptHook{srv: srv, done: make(chan struct{})}
	close(e.hook.done)
	return e
}

// overrideBuiltins replaces the builtins that must see through the
// read-only proxies (rawget, next, pairs), refuse to change them (rawset,
// setmetatable), or print numbers as Lua 5.1 does (tostring), and adds
// gcinfo.
func (e *luaEnv) overrideBuiltins() {
	L := e.L
	g := L.G.Global
	real := func(v lua.LValue) lua.LValue {
		if t, ok := v.(*lua.LTable); ok {
			if r, ok := e.realOf[t]; ok {
				return r
			}
		}
		return v
	}
	readonly := func(v lua.LValue) bool {
		t, ok := v.(*lua.LTable)
		return ok && e.realOf[t] != nil
	}
	wrap := func(name string, f func(L *lua.LState, orig *lua.LFunction) int) {
		orig := g.RawGetString(name).(*lua.LFunction)
		g.RawSetString(name, L.NewFunction(func(L *lua.LState) int { return f(L, orig) }))
	}
	callOrig := func(L *lua.LState, orig *lua.LFunction) int {
		n := L.GetTop()
		args := make([]lua.LValue, n)
		for i := range args {
			args[i] = L.Get(i + 1)
		}
		args[0] = real(args[0])
		L.SetTop(0)
		L.Push(orig)
		for _, a := range args {
			L.Push(a)
		}
		L.Call(n, lua.MultRet)
		return L.GetTop()
	}
	for _, name := range []string{"rawget", "next", "pairs", "ipairs"} {
		wrap(name, func(L *lua.LState, orig *lua.LFunction) int {
			if L.GetTop() == 0 {
				L.Push(lua.LNil)
			}
			return callOrig(L, orig)
		})
	}
	for _, name := range []string{"rawset", "setmetatable"} {
		wrap(name, func(L *lua.LState, orig *lua.LFunction) int {
			if readonly(L.Get(1)) {
				L.Error(lua.LString("Attempt to modify a readonly table"), 0)
			}
			return callOrig(L, orig)
		})
	}
	wrap("tostring", func(L *lua.LState, orig *lua.LFunction) int {
		if n, ok := L.Get(1).(lua.LNumber); ok {
			L.SetTop(0)
			L.Push(lua.LString(luaNumberString(float64(n))))
			return 1
		}
		return callOrig(L, orig)
	})
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(64))
		return 1
	}))
}

// protect returns a read-only proxy of t. For the globals, reading a
// missing name is an error too.
func (e *luaEnv) protect(t *lua.LTable, globals bool) *lua.LTable {
	return e.protectTable(t, globals, globals)
}

// protectTable is protect; strict makes a missing name an error, and
// globals makes the table switch to loadGlobals while loading.
func (e *luaEnv) protectTable(t *lua.LTable, strict, globals bool) *lua.LTable {
	L := e.L
	proxy := L.NewTable()
	meta := L.NewTable()
	if e.realOf == nil {
		e.realOf = map[*lua.LTable]*lua.LTable{}
	}
	e.realOf[proxy] = t
	if strict {
		meta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
			k := L.Get(2)
			src := t
			if globals && e.loading {
				src = e.loadGlobals
			}
			v := src.RawGet(k)
			if v == lua.LNil {
				L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
			}
			L.Push(v)
			return 1
		}))
	} else {
		meta.RawSetString("__index", t)
	}
	meta.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	meta.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(proxy, meta)
	return proxy
}

// setGlobalArray sets KEYS or ARGV (behind the protection, as Redis
// opens it for the moment).
func (e *luaEnv) newArray(args [][]byte) *lua.LTable {
	t := e.L.CreateTable(len(args), 0)
	for i, a := range args {
		t.RawSetInt(i+1, lua.LString(a))
	}
	return t
}

// compile compiles body as a function with the sandboxed globals.
func (e *luaEnv) compile(body []byte, name string) (*lua.LFunction, error) {
	fn, err := e.L.Load(strings.NewReader(string(body)), name)
	if err != nil {
		return nil, err
	}
	fn.Env = e.proxyG
	return fn, nil
}

// luaCompileError renders a compile error of body as C Lua words it,
// "user_script:<line>: <message> near '<token>'", where gopher-lua's
// parser says the same thing differently. C Lua's messages name what the
// grammar expected ("'=' expected near 'x'"); gopher-lua's parser says
// "syntax error", rendered here as C Lua's "unexpected symbol".
func luaCompileError(err error, body []byte) string {
	var pe *parse.Error
	if ae, ok := err.(*lua.ApiError); ok {
		pe, _ = ae.Cause.(*parse.Error)
	}
	if pe == nil {
		msg := err.Error()
		if ae, ok := err.(*lua.ApiError); ok && ae.Cause != nil {
			msg = ae.Cause.Error()
		}
		return strings.TrimSpace(msg)
	}
	line := pe.Pos.Line
	token := pe.Token
	if line == parse.EOF {
		line = 1 + strings.Count(string(body), "\n")
		token = "<eof>"
	}
	msg := pe.Message
	switch {
	case strings.HasPrefix(msg, "syntax error"), msg == "Invalid token":
		msg = "unexpected symbol"
	case msg == "unterminated string":
		msg = "unfinished string"
		token = "<eof>"
	case msg == "unterminated multiline string":
		msg = "unfinished long string"
		token = "<eof>"
	}
	return pe.Pos.Source + ":" + strconv.Itoa(line) + ": " + msg + " near '" + token + "'"
}

// luaRuntimeError rewrites gopher-lua's words for the common runtime
// errors into C Lua 5.1's (without the variable names C Lua adds when it
// knows them: "attempt to index local 't' (a nil value)").
func luaRuntimeError(msg string) string {
	prefix := ""
	if strings.HasPrefix(msg, luaChunkName+":") {
		if i := strings.Index(msg, ": "); i >= 0 {
			prefix, msg = msg[:i+2], msg[i+2:]
		}
	}
	var op, a, b string
	if n, _ := fmt.Sscanf(msg, "cannot perform %s operation between %s and %s", &op, &a, &b); n == 3 {
		if op == "concat" {
			culprit := a
			if a == "string" || a == "number" {
				culprit = b
			}
			return prefix + "attempt to concatenate a " + culprit + " value"
		}
		culprit := a
		if a == "number" {
			culprit = b
		}
		return prefix + "attempt to perform arithmetic on a " + culprit + " value"
	}
	if strings.HasPrefix(msg, "attempt to index a non-table object(") {
		rest := msg[len("attempt to index a non-table object("):]
		if i := strings.IndexByte(rest, ')'); i > 0 {
			return prefix + "attempt to index a " + rest[:i] + " value"
		}
	}
	return prefix + msg
}

// luaErrHandler is Redis's __redis__err__handler: a string error becomes
// {err='ERR '..msg}, and the table gets the source and line of the Lua
// code that raised it (the caller's, when a Go function raised it).
func luaErrHandler(L *lua.LState) int {
	errv := L.Get(1)
	t, ok := errv.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		msg := luaToString(errv)
		if _, isStr := errv.(lua.LString); isStr {
			msg = luaRuntimeError(msg)
		}
		t.RawSetString("err", lua.LString("ERR "+msg))
	}
	for level := 1; level < 4; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		src := dbg.Source
		if !strings.HasPrefix(src, "@") && !strings.HasPrefix(src, "=") {
			src = "@" + src
		}
		t.RawSetString("source", lua.LString(src))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

func luaToString(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return luaNumberString(float64(v))
	case *lua.LNilType:
		return "nil"
	case lua.LBool:
		if v {
			return "true"
		}
		return "false"
	}
	return v.String()
}

// luaNumberString formats a number as Lua 5.1's tostring ("%.14g").
func luaNumberString(f float64) string {
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// errTableMsg returns the err field of an error table.
func errTableMsg(v lua.LValue) (string, bool) {
	t, ok := v.(*lua.LTable)
	if !ok {
		return "", false
	}
	s, ok := t.RawGetString("err").(lua.LString)
	return string(s), ok
}

// luaRedisPcall is Redis's pcall: as Lua's, but an error table is
// returned as its err string.
func luaRedisPcall(L *lua.LState) int {
	L.CheckAny(1)
	nargs := L.GetTop() - 1
	if err := L.PCall(nargs, lua.MultRet, nil); err != nil {
		L.Push(lua.LFalse)
		obj := lua.LValue(lua.LString(err.Error()))
		if aerr, ok := err.(*lua.ApiError); ok {
			obj = aerr.Object
		}
		if s, ok := errTableMsg(obj); ok {
			obj = lua.LString(s)
		}
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaErrorTable builds the error table of luaPushErrorBuff from msg,
// "-CODE text" or "text" (which gets ERR).
func luaErrorTable(L *lua.LState, msg string) *lua.LTable {
	var final string
	if strings.HasPrefix(msg, "-") {
		body := msg[1:]
		if i := strings.IndexByte(body, ' '); i < 0 {
			final = "ERR " + strings.Trim(body, "\r\n")
		} else {
			final = body[:i] + " " + strings.Trim(body[i+1:], "\r\n")
		}
	} else {
		final = "ERR " + strings.Trim(msg, "\r\n")
	}
	t := L.NewTable()
	t.RawSetString("err", lua.LString(final))
	return t
}

// raiseErrorTable raises t as the error object.
func raiseErrorTable(L *lua.LState, t *lua.LTable) int {
	L.Error(t, 0)
	return 0
}

// luaArgs converts the arguments of a redis.* call to an argv, as
// luaArgsToRedisArgv: numbers print as %.17g, anything else than a
// string or number is refused.
func luaArgs(L *lua.LState) ([][]byte, string) {
	n := L.GetTop()
	if n == 0 {
		return nil, "Please specify at least one argument for this redis lib call"
	}
	argv := make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LNumber:
			argv[i-1] = strconv.AppendFloat(nil, float64(v), 'g', 17, 64)
		case lua.LString:
			argv[i-1] = []byte(v)
		default:
			return nil, "Lua redis lib command arguments must be strings or integers"
		}
	}
	return argv, ""
}

// redisGenericCommand is redis.call (raise) and redis.pcall.
func (e *luaEnv) redisGenericCommand(L *lua.LState, raise bool) int {
	srv := e.srv
	run := srv.scripting.run
	if run == nil {
		return raiseErrorTable(L, luaErrorTable(L, "redis.call/pcall can only be called inside a script invocation"))
	}
	argv, msg := luaArgs(L)
	L.SetTop(0)
	if argv == nil {
		t := luaErrorTable(L, msg)
		if raise {
			return raiseErrorTable(L, t)
		}
		L.Push(t)
		return 1
	}
	if e.inCall {
		t := luaErrorTable(L, "luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?")
		L.Push(t)
		return 1
	}
	e.inCall = true
	reply, errMsg := srv.scriptCall(run, argv)
	e.inCall = false
	if errMsg != "" {
		t := luaErrorTable(L, errMsg)
		if raise {
			return raiseErrorTable(L, t)
		}
		L.Push(t)
		return 1
	}
	r, _, err := proto.ReadReply(reply)
	if err != nil {
		r = proto.Reply{Type: '-', Str: []byte("ERR invalid reply from command")}
	}
	for r.Type == '|' {
		// An attribute annotates the reply that follows it; Lua sees
		// only that one.
		_, n, _ := proto.ReadReply(reply)
		reply = reply[n:]
		r, _, _ = proto.ReadReply(reply)
	}
	v := respToLua(L, &r)
	if raise && r.Type == '-' {
		return raiseErrorTable(L, v.(*lua.LTable))
	}
	L.Push(v)
	return 1
}

// respToLua converts a reply to Lua as redisProtocolToLuaType.
func respToLua(L *lua.LState, r *proto.Reply) lua.LValue {
	switch r.Type {
	case ':':
		return lua.LNumber(r.Int)
	case '$', '=':
		if r.Null {
			return lua.LFalse
		}
		if r.Type == '=' {
			t := L.NewTable()
			v := L.NewTable()
			v.RawSetString("string", lua.LString(r.Str))
			v.RawSetString("format", lua.LString("txt"))
			t.RawSetString("verbatim_string", v)
			return t
		}
		return lua.LString(r.Str)
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(r.Str))
		return t
	case '-':
		return luaErrorTable(L, "-"+string(r.Str))
	case '*', '>':
		if r.Null {
			return lua.LFalse
		}
		t := L.CreateTable(len(r.Elems), 0)
		for i := range r.Elems {
			t.RawSetInt(i+1, respToLua(L, &r.Elems[i]))
		}
		return t
	case '%':
		m := L.NewTable()
		for i := 0; i+1 < len(r.Elems); i += 2 {
			m.RawSet(respToLua(L, &r.Elems[i]), respToLua(L, &r.Elems[i+1]))
		}
		t := L.NewTable()
		t.RawSetString("map", m)
		return t
	case '~':
		s := L.NewTable()
		for i := range r.Elems {
			s.RawSet(respToLua(L, &r.Elems[i]), lua.LTrue)
		}
		t := L.NewTable()
		t.RawSetString("set", s)
		return t
	case '_':
		return lua.LNil
	case '#':
		return lua.LBool(r.Int != 0)
	case ',':
		f, _ := strconv.ParseFloat(string(r.Str), 64)
		switch string(r.Str) {
		case "inf":
			f = math.Inf(1)
		case "-inf":
			f = math.Inf(-1)
		}
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(r.Str))
		return t
	}
	return lua.LNil
}

// luaReplyToClient writes the Lua value v to c as luaReplyToRedisReply;
// resp is the script client's protocol (booleans follow it).
func luaReplyToClient(c *Client, resp int, v lua.LValue, depth int) {
	if depth >= luaMaxReplyDepth {
		c.addReplyError("reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		c.addReplyBulk([]byte(v))
	case lua.LBool:
		if resp == 2 {
			if v {
				c.addReplyInt(1)
			} else {
				c.addReplyNull()
			}
		} else {
			c.addReplyBool(bool(v))
		}
	case lua.LNumber:
		c.addReplyInt(luaNumberToInt(float64(v)))
	case *lua.LTable:
		if s, ok := v.RawGetString("err").(lua.LString); ok {
			c.addReplyErrorNoStats("-" + string(s))
			return
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			c.addReplyStatus(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
			return
		}
		if n, ok := v.RawGetString("double").(lua.LNumber); ok {
			c.addReplyDouble(float64(n))
			return
		}
		if s, ok := v.RawGetString("big_number").(lua.LString); ok {
			if c.replying() {
				c.Reply = proto.AppendBigNumber(c.Reply, strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)), c.resp)
			}
			return
		}
		if vt, ok := v.RawGetString("verbatim_string").(*lua.LTable); ok {
			f, ok1 := vt.RawGetString("format").(lua.LString)
			s, ok2 := vt.RawGetString("string").(lua.LString)
			if ok1 && ok2 {
				c.addReplyVerbatim([]byte(s), string(f))
				return
			}
		}
		if m, ok := v.RawGetString("map").(*lua.LTable); ok {
			d := c.addReplyDeferredLen()
			n := 0
			m.ForEach(func(k, val lua.LValue) {
				luaReplyToClient(c, resp, k, depth+1)
				luaReplyToClient(c, resp, val, depth+1)
				n++
			})
			c.setDeferredMapLen(d, n)
			return
		}
		if s, ok := v.RawGetString("set").(*lua.LTable); ok {
			d := c.addReplyDeferredLen()
			n := 0
			s.ForEach(func(k, _ lua.LValue) {
				luaReplyToClient(c, resp, k, depth+1)
				n++
			})
			c.setDeferredSetLen(d, n)
			return
		}
		d := c.addReplyDeferredLen()
		n := 0
		for j := 1; ; j++ {
			e := v.RawGetInt(j)
			if e == lua.LNil {
				break
			}
			luaReplyToClient(c, resp, e, depth+1)
			n++
		}
		c.setDeferredArrayLen(d, n)
	default:
		c.addReplyNull()
	}
}

// luaNumberToInt converts as C's (long long) cast does on x86-64: NaN
// and out-of-range values become the minimum.
func luaNumberToInt(f float64) int64 {
	if f != f || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return -1 << 63
	}
	return int64(f)
}

// addReplyErrorNoStats replies an error that was counted already (an
// error a command returned to the script, returned on by the script).
func (c *Client) addReplyErrorNoStats(msg string) {
	msg = strings.TrimPrefix(msg, "-")
	if strings.ContainsAny(msg, "\r\n") {
		msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	}
	if c.replying() {
		c.Reply = proto.AppendError(c.Reply, msg)
	}
}

func luaRedisSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		return raiseErrorTable(L, luaErrorTable(L, "wrong number of arguments"))
	}
	s := ""
	switch v := L.Get(1).(type) {
	case lua.LString:
		s = string(v)
	case lua.LNumber:
		s = luaNumberString(float64(v))
	}
	L.Push(lua.LString(sha1hexString(s)))
	return 1
}

func sha1hexString(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func luaRedisErrorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(luaErrorTable(L, "wrong number or type of arguments"))
		return 1
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(luaErrorTable(L, msg))
	return 1
}

func luaRedisStatusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(luaErrorTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.NewTable()
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

func (e *luaEnv) redisLog(L *lua.LState) int {
	argc := L.GetTop()
	if argc < 2 {
		return raiseErrorTable(L, luaErrorTable(L, "redis.log() requires two arguments or more."))
	}
	lv, ok := luaToNumber(L.Get(1))
	if !ok {
		return raiseErrorTable(L, luaErrorTable(L, "First argument must be a number (log level)."))
	}
	level := int(lv)
	if level < LogDebug || level > LogWarning {
		return raiseErrorTable(L, luaErrorTable(L, "Invalid debug level."))
	}
	var parts []string
	for j := 2; j <= argc; j++ {
		switch v := L.Get(j).(type) {
		case lua.LString:
			parts = append(parts, string(v))
		case lua.LNumber:
			parts = append(parts, luaNumberString(float64(v)))
		}
	}
	e.srv.Logf(level, "%s", strings.Join(parts, " "))
	return 0
}

// luaToNumber is lua_tonumber: numbers, and strings that read as one.
func luaToNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
		return f, err == nil
	}
	return 0, false
}

func (e *luaEnv) redisSetResp(L *lua.LState) int {
	run := e.srv.scripting.run
	if run == nil {
		return raiseErrorTable(L, luaErrorTable(L, "redis.setresp can only be called inside a script invocation"))
	}
	if L.GetTop() != 1 {
		return raiseErrorTable(L, luaErrorTable(L, "redis.setresp() requires one argument."))
	}
	n, _ := luaToNumber(L.Get(1))
	resp := int(n)
	if resp != 2 && resp != 3 {
		return raiseErrorTable(L, luaErrorTable(L, "RESP version must be 2 or 3."))
	}
	e.srv.scripting.client.resp = resp
	return 0
}

func (e *luaEnv) redisSetRepl(L *lua.LState) int {
	run := e.srv.scripting.run
	if run == nil {
		return raiseErrorTable(L, luaErrorTable(L, "redis.set_repl can only be called inside a script invocation"))
	}
	if L.GetTop() != 1 {
		return raiseErrorTable(L, luaErrorTable(L, "redis.set_repl() requires two arguments."))
	}
	n, _ := luaToNumber(L.Get(1))
	flags := int(n)
	if flags&^3 != 0 {
		return raiseErrorTable(L, luaErrorTable(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."))
	}
	run.replFlags = flags
	return 0
}

func (e *luaEnv) redisACLCheckCmd(L *lua.LState) int {
	run := e.srv.scripting.run
	if run == nil {
		return raiseErrorTable(L, luaErrorTable(L, "redis.acl_check_cmd can only be called inside a script invocation"))
	}
	argv, msg := luaArgs(L)
	if argv == nil {
		return raiseErrorTable(L, luaErrorTable(L, msg))
	}
	cmd := LookupCommand(argv)
	if cmd == nil {
		return raiseErrorTable(L, luaErrorTable(L, "Invalid command passed to redis.acl_check_cmd()"))
	}
	u := run.caller.aclUser()
	ok := true
	if u != nil && !u.unrestricted() && run.caller.Flags&ClientInternal == 0 {
		ret, _ := aclCheckAllUserCommandPerm(u, cmd, argv)
		ok = ret == aclOK
	}
	L.Push(lua.LBool(ok))
	return 1
}

// Redis's rand.c: the 48-bit linear congruential generator behind
// math.random, so that scripts draw the sequence Redis's draw.
const lrand48Max = 1<<31 - 1

func (e *luaEnv) lrand48() int64 {
	s := &e.srv.scripting
	s.rand48 = (0x5DEECE66D*s.rand48 + 0xB) & (1<<48 - 1)
	return int64(s.rand48 >> 17)
}

func (e *luaEnv) mathRandom(L *lua.LState) int {
	if e.srv.scripting.run == nil {
		L.RaiseError("math.random can only be called inside a script invocation")
	}
	r := float64(e.lrand48()%lrand48Max) / float64(lrand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.RaiseError("bad argument #1 to 'random' (interval is empty)")
		}
		L.Push(lua.LNumber(floor(r*float64(u)) + 1))
	case 2:
		l := L.CheckInt(1)
		u := L.CheckInt(2)
		if l > u {
			L.RaiseError("bad argument #2 to 'random' (interval is empty)")
		}
		L.Push(lua.LNumber(floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func floor(f float64) float64 {
	i := float64(int64(f))
	if i > f {
		i--
	}
	return i
}

func (e *luaEnv) mathRandomseed(L *lua.LState) int {
	if e.srv.scripting.run == nil {
		L.RaiseError("math.randomseed can only be called inside a script invocation")
	}
	seed := uint64(uint32(int32(L.CheckInt(1))))
	e.srv.scripting.rand48 = seed<<16 | 0x330E
	return 0
}

// redisVersionNum is REDIS_VERSION_NUM, redisVersion (hello.go) as a number.
const redisVersionNum = 0x0007000f

var _ context.Context = (*scriptHook)(nil)
