package cmds

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The libraries Redis links into its Lua that gopher-lua lacks: bit
// (LuaBitOp) and cjson (lua-cjson), written here after their documented
// semantics. struct and cmsgpack are not provided yet.

// openLuaLibs opens bit and cjson as globals.
func openLuaLibs(L *lua.LState) {
	L.SetGlobal("bit", L.SetFuncs(L.NewTable(), bitFuncs))
	cj := L.SetFuncs(L.NewTable(), map[string]lua.LGFunction{
		"encode": cjsonEncode,
		"decode": cjsonDecode,
	})
	cj.RawSetString("null", cjsonNull(L))
	L.SetGlobal("cjson", cj)
}

// tobit converts a Lua number to a 32-bit integer as LuaBitOp does
// (modulo 2^32, then signed).
func tobit(L *lua.LState, i int) int32 {
	f := float64(L.CheckNumber(i))
	f = math.Mod(math.Trunc(f), 4294967296)
	return int32(uint32(int64(f)))
}

func bitRet(L *lua.LState, v int32) int {
	L.Push(lua.LNumber(v))
	return 1
}

var bitFuncs = map[string]lua.LGFunction{
	"tobit": func(L *lua.LState) int { return bitRet(L, tobit(L, 1)) },
	"bnot":  func(L *lua.LState) int { return bitRet(L, ^tobit(L, 1)) },
	"band":  func(L *lua.LState) int { return bitFold(L, func(a, b int32) int32 { return a & b }) },
	"bor":   func(L *lua.LState) int { return bitFold(L, func(a, b int32) int32 { return a | b }) },
	"bxor":  func(L *lua.LState) int { return bitFold(L, func(a, b int32) int32 { return a ^ b }) },
	"lshift": func(L *lua.LState) int {
		return bitRet(L, int32(uint32(tobit(L, 1))<<(uint32(tobit(L, 2))&31)))
	},
	"rshift": func(L *lua.LState) int {
		return bitRet(L, int32(uint32(tobit(L, 1))>>(uint32(tobit(L, 2))&31)))
	},
	"arshift": func(L *lua.LState) int {
		return bitRet(L, tobit(L, 1)>>(uint32(tobit(L, 2))&31))
	},
	"rol": func(L *lua.LState) int {
		x, n := uint32(tobit(L, 1)), uint32(tobit(L, 2))&31
		return bitRet(L, int32(x<<n|x>>((32-n)&31)))
	},
	"ror": func(L *lua.LState) int {
		x, n := uint32(tobit(L, 1)), uint32(tobit(L, 2))&31
		return bitRet(L, int32(x>>n|x<<((32-n)&31)))
	},
	"bswap": func(L *lua.LState) int {
		x := uint32(tobit(L, 1))
		return bitRet(L, int32(x>>24|(x>>8)&0xff00|(x&0xff00)<<8|x<<24))
	},
	"tohex": func(L *lua.LState) int {
		x := uint32(tobit(L, 1))
		n := int32(8)
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			n = tobit(L, 2)
		}
		digits := "0123456789abcdef"
		if n < 0 {
			n = -n
			digits = "0123456789ABCDEF"
		}
		if n > 8 {
			n = 8
		}
		buf := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			buf[i] = digits[x&15]
			x >>= 4
		}
		L.Push(lua.LString(buf))
		return 1
	},
}

func bitFold(L *lua.LState, op func(a, b int32) int32) int {
	v := tobit(L, 1)
	for i := 2; i <= L.GetTop(); i++ {
		v = op(v, tobit(L, i))
	}
	return bitRet(L, v)
}

// cjsonNull returns the cjson.null sentinel (a lightuserdata in C).
func cjsonNull(L *lua.LState) *lua.LUserData {
	if ud, ok := L.G.Registry.RawGetString("cjson.null").(*lua.LUserData); ok {
		return ud
	}
	ud := L.NewUserData()
	L.G.Registry.RawSetString("cjson.null", ud)
	return ud
}

// cjsonEncode is cjson.encode: numbers as %.14g, arrays for tables whose
// keys are 1..n, objects otherwise, '/' escaped as lua-cjson does.
func cjsonEncode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.ArgError(1, "expected 1 argument")
	}
	var b strings.Builder
	cjsonEncodeValue(L, &b, L.Get(1), 0)
	L.Push(lua.LString(b.String()))
	return 1
}

func cjsonEncodeValue(L *lua.LState, b *strings.Builder, v lua.LValue, depth int) {
	switch v := v.(type) {
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			L.RaiseError("Cannot serialise number: must not be NaN or Inf")
		}
		b.WriteString(strconv.FormatFloat(f, 'g', 14, 64))
	case lua.LString:
		cjsonEncodeString(b, string(v))
	case *lua.LUserData:
		if v == cjsonNull(L) {
			b.WriteString("null")
			return
		}
		L.RaiseError("Cannot serialise userdata: type not supported")
	case *lua.LTable:
		if depth >= 1000 {
			L.RaiseError("Cannot serialise, excessive nesting (%d)", depth+1)
		}
		// An array: every key a positive integer, none past 2× the
		// count (lua-cjson's sparse-array rule, ratio 2, safe 10).
		maxKey, count, isArray := 0, 0, true
		v.ForEach(func(k, _ lua.LValue) {
			n, ok := k.(lua.LNumber)
			if !ok || float64(n) != math.Floor(float64(n)) || n < 1 {
				isArray = false
				return
			}
			count++
			maxKey = max(maxKey, int(n))
		})
		if isArray && maxKey > 10 && maxKey > 2*count {
			L.RaiseError("Cannot serialise table: excessively sparse array")
		}
		if isArray && (count > 0 || v.Len() == 0) && count > 0 {
			b.WriteByte('[')
			for i := 1; i <= maxKey; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				cjsonEncodeValue(L, b, v.RawGetInt(i), depth+1)
			}
			b.WriteByte(']')
			return
		}
		b.WriteByte('{')
		first := true
		v.ForEach(func(k, val lua.LValue) {
			var key string
			switch k := k.(type) {
			case lua.LString:
				key = string(k)
			case lua.LNumber:
				key = strconv.FormatFloat(float64(k), 'g', 14, 64)
			default:
				L.RaiseError("Cannot serialise %s: table key must be a number or string", k.Type().String())
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			cjsonEncodeString(b, key)
			b.WriteByte(':')
			cjsonEncodeValue(L, b, val, depth+1)
		})
		b.WriteByte('}')
	default:
		L.RaiseError("Cannot serialise %s: type not supported", v.Type().String())
	}
}

func cjsonEncodeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if ch < 0x20 || ch == 0x7f {
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[ch>>4])
				b.WriteByte("0123456789abcdef"[ch&15])
			} else {
				b.WriteByte(ch)
			}
		}
	}
	b.WriteByte('"')
}

// cjsonDecode is cjson.decode: JSON null becomes cjson.null.
func cjsonDecode(L *lua.LState) int {
	s := L.CheckString(1)
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		L.RaiseError("Expected value but found invalid token at character 1")
	}
	if dec.More() {
		L.RaiseError("Expected the end but found invalid token at character %d", dec.InputOffset()+1)
	}
	L.Push(cjsonToLua(L, v))
	return 1
}

func cjsonToLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return cjsonNull(L)
	case bool:
		return lua.LBool(v)
	case json.Number:
		f, _ := strconv.ParseFloat(string(v), 64)
		return lua.LNumber(f)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, cjsonToLua(L, e))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, cjsonToLua(L, e))
		}
		return t
	}
	return lua.LNil
}
