package cmds

import (
	"encoding/binary"
	"errors"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/rdb"
)

// FUNCTION and FCALL, after Redis 7.0's functions.c and function_lua.c.
// Libraries run in an interpreter of their own (not EVAL's), created on
// first use. Loading a library runs its code with a restricted global
// environment, where only redis.register_function, redis.log and the
// version fields exist; the functions it registers run later with the
// full environment, KEYS and ARGV passed as arguments.

// functionLoadTimeout bounds the run of a library's code at load.
const functionLoadTimeout = 500 * time.Millisecond

// functionsState is the function libraries of a server.
type functionsState struct {
	env   *luaEnv
	libs  map[string]*functionLib
	funcs map[string]*functionInfo
	// loading is the library being loaded (register_function adds to
	// it), nil otherwise.
	loading *functionLib
}

// functionLib is one library.
type functionLib struct {
	name  string
	code  []byte
	funcs map[string]*functionInfo
}

// functionInfo is one registered function.
type functionInfo struct {
	name  string
	desc  *string
	flags uint64
	fn    *lua.LFunction
	lib   *functionLib
}

// functionsEnv returns the functions interpreter, creating it first.
func (srv *Server) functionsEnv() *luaEnv {
	f := &srv.functions
	if f.env == nil {
		f.env = newLuaEnv(srv)
		f.env.initFunctionsAPI()
	}
	if f.libs == nil {
		f.libs = map[string]*functionLib{}
		f.funcs = map[string]*functionInfo{}
	}
	if srv.scripting.client == nil {
		srv.scripting.client = srv.newScriptClient()
	}
	return f.env
}

// initFunctionsAPI builds the environment library code loads in: a
// redis table with register_function, log, the LOG_ levels and the
// version, and nothing else.
func (e *luaEnv) initFunctionsAPI() {
	L := e.L
	redisLoad := L.NewTable()
	redisLoad.RawSetString("register_function", L.NewFunction(e.registerFunction))
	full := e.globals.RawGetString("redis").(*lua.LTable)
	real := e.realOf[full]
	for _, name := range []string{"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		redisLoad.RawSetString(name, real.RawGetString(name))
	}
	loadG := L.NewTable()
	loadG.RawSetString("redis", e.protectTable(redisLoad, true, false))
	e.loadGlobals = loadG
}

// registerFunction is redis.register_function(name, callback) or
// redis.register_function{function_name=…, callback=…, flags=…,
// description=…}.
func (e *luaEnv) registerFunction(L *lua.LState) int {
	lib := e.srv.functions.loading
	if lib == nil {
		return raiseErrorTable(L, luaErrorTable(L, "redis.register_function can only be called on FUNCTION LOAD command"))
	}
	fail := func(msg string) int { return raiseErrorTable(L, luaErrorTable(L, msg)) }
	argc := L.GetTop()
	if argc < 1 || argc > 2 {
		return fail("wrong number of arguments to redis.register_function")
	}
	fi := &functionInfo{lib: lib}
	if argc == 2 {
		name, ok := luaStringArg(L.Get(1))
		if !ok {
			return fail("first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			return fail("second argument to redis.register_function must be a function")
		}
		fi.name, fi.fn = name, fn
	} else {
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		msg := ""
		hasName := false
		t.ForEach(func(k, v lua.LValue) {
			if msg != "" {
				return
			}
			key, ok := luaStringArg(k)
			if !ok {
				msg = "named argument key given to redis.register_function is not a string"
				return
			}
			switch strings.ToLower(key) {
			case "function_name":
				s, ok := luaStringArg(v)
				if !ok {
					msg = "function_name argument given to redis.register_function must be a string"
					return
				}
				fi.name, hasName = s, true
			case "description":
				s, ok := luaStringArg(v)
				if !ok {
					msg = "description argument given to redis.register_function must be a string"
					return
				}
				fi.desc = &s
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					msg = "callback argument given to redis.register_function must be a function"
					return
				}
				fi.fn = fn
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					msg = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				for j := 1; ; j++ {
					fv := ft.RawGetInt(j)
					if fv == lua.LNil {
						break
					}
					s, ok := luaStringArg(fv)
					bit, found := scriptFlagByName(strings.ToLower(s))
					if !ok || !found {
						msg = "unknown flag given"
						return
					}
					fi.flags |= bit
				}
			default:
				msg = "unknown argument given to redis.register_function"
			}
		})
		if msg != "" {
			return fail(msg)
		}
		if !hasName {
			return fail("redis.register_function must get a function name argument")
		}
		if fi.fn == nil {
			return fail("redis.register_function must get a callback argument")
		}
	}
	if !validFunctionName(fi.name) {
		return fail("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	if _, dup := lib.funcs[fi.name]; dup {
		return fail("Function already exists in the library")
	}
	lib.funcs[fi.name] = fi
	return 0
}

// luaStringArg is lua_isstring + lua_tostring: strings and numbers.
func luaStringArg(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return luaNumberString(float64(v)), true
	}
	return "", false
}

// validFunctionName is functionsVerifyName: [a-zA-Z0-9_]+.
func validFunctionName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// functionExtractLibMetadata reads the "#!lua name=lib" first line: the
// engine, the name and the code after the line (its newline kept).
func functionExtractLibMetadata(code []byte) (engine, name string, body []byte, errMsg string) {
	if !strings.HasPrefix(string(code), "#!") {
		return "", "", nil, "Missing library metadata"
	}
	end := strings.IndexByte(string(code), '\n')
	if end < 0 {
		return "", "", nil, "Invalid library metadata"
	}
	parts := splitArgs(string(code[:end]))
	if len(parts) == 0 {
		return "", "", nil, "Invalid library metadata"
	}
	engine = parts[0][2:]
	hasName := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if hasName {
				return "", "", nil, "Invalid metadata value, name argument was given multiple times"
			}
			name, hasName = p[5:], true
			continue
		}
		return "", "", nil, "Invalid metadata value given: " + p
	}
	if !hasName {
		return "", "", nil, "Library name was not given"
	}
	return engine, name, code[end:], ""
}

// functionsCreate compiles and runs code as a library and links it into
// libs/funcs, replacing a library of the same name when replace is set.
// It returns the library's name or the error text.
func (srv *Server) functionsCreate(code []byte, replace bool, libs map[string]*functionLib, funcs map[string]*functionInfo) (string, string) {
	engine, name, body, errMsg := functionExtractLibMetadata(code)
	if errMsg != "" {
		return "", errMsg
	}
	if !validFunctionName(name) {
		return "", "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	if engine != "lua" {
		return "", "Engine '" + engine + "' not found"
	}
	old := libs[name]
	if old != nil && !replace {
		return "", "Library '" + name + "' already exists"
	}
	env := srv.functionsEnv()
	lib := &functionLib{name: name, code: keepArg(code), funcs: map[string]*functionInfo{}}
	fn, err := env.compile(body, "user_function")
	if err != nil {
		return "", "Error compiling function: " + luaCompileError(err, body)
	}
	f := &srv.functions
	f.loading = lib
	env.loading = true
	// Library code runs under a time limit (Redis's LOAD_TIMEOUT_MS):
	// a load that loops is stopped, not the server.
	hook := env.hook
	hook.n, hook.killed, hook.loadDeadline = 0, false, time.Now().Add(functionLoadTimeout)
	env.L.SetContext(hook)
	env.L.Push(fn)
	perr := env.L.PCall(0, 0, nil)
	env.L.RemoveContext()
	timedOut := hook.killed
	hook.killed, hook.loadDeadline = false, time.Time{}
	env.loading = false
	f.loading = nil
	if perr != nil {
		obj := lua.LValue(lua.LString(perr.Error()))
		if aerr, ok := perr.(*lua.ApiError); ok && aerr.Object != nil {
			obj = aerr.Object
		}
		msg := ""
		if timedOut {
			msg = "ERR FUNCTION LOAD timeout"
		} else if s, ok := errTableMsg(obj); ok {
			msg = s
		} else {
			msg = "ERR " + luaRuntimeError(luaToString(obj))
		}
		return "", "Error registering functions: " + msg
	}
	if len(lib.funcs) == 0 {
		return "", "No functions registered"
	}
	for fname := range lib.funcs {
		if other := funcs[fname]; other != nil && other.lib != old {
			return "", "Function " + fname + " already exists"
		}
	}
	if old != nil {
		unlinkLibrary(libs, funcs, old)
	}
	linkLibrary(libs, funcs, lib)
	return name, ""
}

func unlinkLibrary(libs map[string]*functionLib, funcs map[string]*functionInfo, lib *functionLib) {
	for name := range lib.funcs {
		delete(funcs, name)
	}
	delete(libs, lib.name)
}

func linkLibrary(libs map[string]*functionLib, funcs map[string]*functionInfo, lib *functionLib) {
	for name, fi := range lib.funcs {
		funcs[name] = fi
	}
	libs[lib.name] = lib
}

// FUNCTION LOAD [REPLACE] function-code
func functionLoadCommand(c *Client) {
	replace := false
	pos := 2
	for pos < len(c.argv)-1 {
		arg := c.argv[pos]
		pos++
		if strings.EqualFold(string(arg), "replace") {
			replace = true
			continue
		}
		c.addReplyErrorFormat("Unknown option given: %s", arg)
		return
	}
	if pos >= len(c.argv) {
		c.addReplyError("Function code is missing")
		return
	}
	srv := c.srv
	srv.functionsEnv()
	name, errMsg := srv.functionsCreate(c.argv[pos], replace, srv.functions.libs, srv.functions.funcs)
	if errMsg != "" {
		c.addReplyError(errMsg)
		return
	}
	srv.Dirty++
	c.addReplyBulkString(name)
}

// FUNCTION DELETE library-name
func functionDeleteCommand(c *Client) {
	srv := c.srv
	srv.functionsEnv()
	lib := srv.functions.libs[string(c.argv[2])]
	if lib == nil {
		c.addReplyError("Library not found")
		return
	}
	unlinkLibrary(srv.functions.libs, srv.functions.funcs, lib)
	srv.Dirty++
	c.addReplyOK()
}

// FUNCTION FLUSH [ASYNC|SYNC]
func functionFlushCommand(c *Client) {
	if len(c.argv) > 3 {
		c.addReplySubcommandSyntaxError()
		return
	}
	if len(c.argv) == 3 && !strings.EqualFold(string(c.argv[2]), "sync") && !strings.EqualFold(string(c.argv[2]), "async") {
		c.addReplyError("FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.srv.functionsFlush()
	c.srv.Dirty++
	c.addReplyOK()
}

// functionsFlush drops every library and the interpreter.
func (srv *Server) functionsFlush() {
	f := &srv.functions
	if f.env != nil {
		f.env.L.Close()
	}
	f.env = nil
	f.libs = map[string]*functionLib{}
	f.funcs = map[string]*functionInfo{}
}

// sortedLibs returns the libraries by name (Redis lists them in its hash
// table's order).
func (f *functionsState) sortedLibs() []*functionLib {
	libs := make([]*functionLib, 0, len(f.libs))
	for _, l := range f.libs {
		libs = append(libs, l)
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].name < libs[j].name })
	return libs
}

// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
func functionListCommand(c *Client) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(c.argv); i++ {
		arg := c.argv[i]
		if !withCode && strings.EqualFold(string(arg), "withcode") {
			withCode = true
			continue
		}
		if pattern == nil && strings.EqualFold(string(arg), "libraryname") {
			if i >= len(c.argv)-1 {
				c.addReplyError("library name argument was not given")
				return
			}
			i++
			pattern = c.argv[i]
			continue
		}
		c.addReplyErrorFormat("Unknown argument %s", arg)
		return
	}
	f := &c.srv.functions
	var libs []*functionLib
	for _, l := range f.sortedLibs() {
		if pattern == nil || stringMatch(pattern, []byte(l.name), true) {
			libs = append(libs, l)
		}
	}
	c.addReplyArrayLen(len(libs))
	for _, l := range libs {
		if withCode {
			c.addReplyMapLen(4)
		} else {
			c.addReplyMapLen(3)
		}
		c.addReplyBulkString("library_name")
		c.addReplyBulkString(l.name)
		c.addReplyBulkString("engine")
		c.addReplyBulkString("LUA")
		c.addReplyBulkString("functions")
		names := make([]string, 0, len(l.funcs))
		for n := range l.funcs {
			names = append(names, n)
		}
		sort.Strings(names)
		c.addReplyArrayLen(len(names))
		for _, n := range names {
			fi := l.funcs[n]
			c.addReplyMapLen(3)
			c.addReplyBulkString("name")
			c.addReplyBulkString(fi.name)
			c.addReplyBulkString("description")
			if fi.desc != nil {
				c.addReplyBulkString(*fi.desc)
			} else {
				c.addReplyNull()
			}
			c.addReplyBulkString("flags")
			n := 0
			for _, fl := range scriptFlagNames {
				if fi.flags&fl.flag != 0 {
					n++
				}
			}
			c.addReplySetLen(n)
			for _, fl := range scriptFlagNames {
				if fi.flags&fl.flag != 0 {
					c.addReplyStatus(fl.name)
				}
			}
		}
		if withCode {
			c.addReplyBulkString("library_code")
			c.addReplyBulk(l.code)
		}
	}
}

// FUNCTION STATS
func functionStatsCommand(c *Client) {
	srv := c.srv
	run := srv.scripting.run
	if run != nil && run.flags&runEvalMode != 0 {
		c.addReplyError("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
		return
	}
	c.addReplyMapLen(2)
	c.addReplyBulkString("running_script")
	if run == nil {
		c.addReplyNull()
	} else {
		c.addReplyMapLen(3)
		c.addReplyBulkString("name")
		c.addReplyBulkString(run.funcname)
		c.addReplyBulkString("command")
		c.addReplyArrayLen(len(run.caller.argv))
		for _, a := range run.caller.argv {
			c.addReplyBulk(a)
		}
		c.addReplyBulkString("duration_ms")
		c.addReplyInt(srv.cachedNow.Sub(run.start).Milliseconds())
	}
	c.addReplyBulkString("engines")
	c.addReplyMapLen(1)
	c.addReplyBulkString("LUA")
	c.addReplyMapLen(2)
	c.addReplyBulkString("libraries_count")
	c.addReplyInt(int64(len(srv.functions.libs)))
	c.addReplyBulkString("functions_count")
	c.addReplyInt(int64(len(srv.functions.funcs)))
}

// FUNCTION KILL
func functionKillCommand(c *Client) { c.srv.scriptKill(c, false) }

// rdbOpcodeFunction2 is the RDB opcode of a library (its code follows).
const rdbOpcodeFunction2 = 245

// FUNCTION DUMP
func functionDumpCommand(c *Client) {
	var p []byte
	for _, l := range c.srv.functions.sortedLibs() {
		p = append(p, rdbOpcodeFunction2)
		p = rdb.AppendString(p, l.code, true)
	}
	p = append(p, byte(rdb.Version&0xff), byte(rdb.Version>>8))
	p = binary.LittleEndian.AppendUint64(p, rdb.CRC64(0, p))
	c.addReplyBulk(p)
}

// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
func functionRestoreCommand(c *Client) {
	if len(c.argv) > 4 {
		c.addReplySubcommandSyntaxError()
		return
	}
	policy := "append"
	if len(c.argv) == 4 {
		policy = strings.ToLower(string(c.argv[3]))
		if policy != "append" && policy != "replace" && policy != "flush" {
			c.addReplyError("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	data := c.argv[2]
	if !verifyDumpPayload(data) {
		c.addReplyError("DUMP payload version or checksum are wrong")
		return
	}
	srv := c.srv
	srv.functionsEnv()
	libs := map[string]*functionLib{}
	funcs := map[string]*functionInfo{}
	r := rdb.NewReader(data[:len(data)-10])
	for r.Remaining() > 0 {
		t, err := r.ReadByte()
		if err != nil {
			c.addReplyError("can not read data type")
			return
		}
		if t != rdbOpcodeFunction2 {
			c.addReplyError("given type is not a function")
			return
		}
		code, err := r.LoadStringBytes()
		if err != nil {
			c.addReplyError("failed loading the given functions payload")
			return
		}
		if _, msg := srv.functionsCreate(code, false, libs, funcs); msg != "" {
			c.addReplyError(msg)
			return
		}
	}
	f := &srv.functions
	switch policy {
	case "flush":
		f.libs, f.funcs = libs, funcs
	default:
		replaced := map[string]*functionLib{}
		for name := range libs {
			if old := f.libs[name]; old != nil {
				if policy != "replace" {
					c.addReplyError("Library " + name + " already exists")
					return
				}
				replaced[name] = old
			}
		}
		for _, old := range replaced {
			unlinkLibrary(f.libs, f.funcs, old)
		}
		for fname := range funcs {
			if f.funcs[fname] != nil {
				for _, old := range replaced {
					linkLibrary(f.libs, f.funcs, old)
				}
				c.addReplyError("Function " + fname + " already exists")
				return
			}
		}
		for _, l := range libs {
			linkLibrary(f.libs, f.funcs, l)
		}
	}
	srv.Dirty++
	c.addReplyOK()
}

// FUNCTION HELP
func functionHelpCommand(c *Client) {
	c.addReplyHelp([]string{
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
	})
}

// functionContainerCommand answers FUNCTION with an unknown subcommand.
func functionContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }

// FCALL function numkeys [key ...] [arg ...], and FCALL_RO
func fcallCommand(c *Client) {
	srv := c.srv
	if len(srv.monitors) > 0 {
		srv.feedMonitors(c, c.argv)
	}
	srv.functionsEnv()
	fi := srv.functions.funcs[string(c.argv[1])]
	if fi == nil {
		c.addReplyError("Function not found")
		return
	}
	numkeys, ok := proto.ParseInt(c.argv[2])
	if !ok {
		c.addReplyError("Bad number of keys provided")
		return
	}
	if numkeys > int64(len(c.argv)-3) {
		c.addReplyError("Number of keys can't be greater than number of args")
		return
	} else if numkeys < 0 {
		c.addReplyError("Number of keys can't be negative")
		return
	}
	ro := c.cmd.name == "fcall_ro"
	run, ok := srv.scriptPrepareForRun(c, fi.name, fi.flags, ro)
	if !ok {
		return
	}
	env := srv.functions.env
	keys := env.newArray(c.argv[3 : 3+numkeys])
	args := env.newArray(c.argv[3+numkeys:])
	env.callFunction(run, fi.fn, []lua.LValue{keys, args})
	srv.scriptResetRun(run)
}

// FunctionLibraries returns the code of every library, by name, for
// the RDB file (RDB_OPCODE_FUNCTION2 records).
//
// Used by core/persist.
func (srv *Server) FunctionLibraries() [][]byte {
	libs := srv.functions.sortedLibs()
	codes := make([][]byte, len(libs))
	for i, l := range libs {
		codes[i] = l.code
	}
	return codes
}

// LoadFunctionLibrary loads a library read from an RDB file, replacing
// one of the same name (as Redis does when it reloads its own file).
//
// Used by core/persist.
func (srv *Server) LoadFunctionLibrary(code []byte) error {
	srv.functionsEnv()
	if _, msg := srv.functionsCreate(code, true, srv.functions.libs, srv.functions.funcs); msg != "" {
		return errors.New(msg)
	}
	return nil
}
