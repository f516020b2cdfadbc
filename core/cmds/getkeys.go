package cmds

import (
	"strings"

	"github.com/redisfs/redisfs/core/proto"
)

// Key functions: how the commands whose keys their key specs cannot fully
// describe (Redis marks them movablekeys, or their specs incomplete or of
// variable flags) find their keys, as the getkeys_proc functions of Redis
// 7.0's db.c. COMMAND GETKEYS falls back on them when the specs fail; ACL
// key checks, client-side caching and persistence's key-write hook use
// them directly.
//
// The map is keyed by full command name and covers every such command of
// Redis 7.0, whether this server implements it yet or not: a family that
// adds EVAL or XREAD gets its keys found with nothing more to do.

// keyRef is a key argument's position in argv and its flags.
type keyRef struct {
	pos   int
	flags []string
}

// keyProc returns the key arguments of argv (argv[0] is the command name),
// with the flags Redis's function gives them (none for the functions
// whose commands have complete key specs: Redis leaves those at 0).
type keyProc func(argv [][]byte) []keyRef

// commandKeyFuncs maps commands to their key functions.
func commandKeyFuncs() map[string]keyProc {
	return map[string]keyProc{
		"bitfield":          bitfieldGetKeys,
		"blmpop":            numkeysGetKeys(2, 3, 0),
		"bzmpop":            numkeysGetKeys(2, 3, 0),
		"eval":              numkeysGetKeys(2, 3, 0),
		"eval_ro":           numkeysGetKeys(2, 3, 0),
		"evalsha":           numkeysGetKeys(2, 3, 0),
		"evalsha_ro":        numkeysGetKeys(2, 3, 0),
		"fcall":             numkeysGetKeys(2, 3, 0),
		"fcall_ro":          numkeysGetKeys(2, 3, 0),
		"georadius":         georadiusGetKeys,
		"georadiusbymember": georadiusGetKeys,
		"lmpop":             numkeysGetKeys(1, 2, 0),
		"migrate":           migrateGetKeys,
		"set":               setGetKeys,
		"sintercard":        numkeysGetKeys(1, 2, 0),
		"sort":              sortGetKeys,
		"sort_ro":           sortROGetKeys,
		"xread":             xreadGetKeys,
		"xreadgroup":        xreadGetKeys,
		"zdiff":             numkeysGetKeys(1, 2, 0),
		"zdiffstore":        numkeysGetKeys(2, 3, 1),
		"zinter":            numkeysGetKeys(1, 2, 0),
		"zintercard":        numkeysGetKeys(1, 2, 0),
		"zinterstore":       numkeysGetKeys(2, 3, 1),
		"zmpop":             numkeysGetKeys(1, 2, 0),
		"zunion":            numkeysGetKeys(1, 2, 0),
		"zunionstore":       numkeysGetKeys(2, 3, 1),
	}
}

// Key flags, in the order COMMAND shows them.
var (
	keyFlagsRO       = []string{"RO", "access"}
	keyFlagsRWAccess = []string{"RW", "access", "update"}
	keyFlagsOW       = []string{"OW", "update"}
	keyFlagsMigrate  = []string{"RW", "access", "delete"}
	keyFlagsNone     = []string{}
)

// atoi is C's atoi as Redis's genericGetKeys uses it: leading blanks, a
// sign, then digits up to the first other byte; no digits is 0. The
// value saturates as strtol's does and is then cut to a C int.
func atoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	over := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n > (1<<63-1-int64(b[i]-'0'))/10 {
			over = true
			continue
		}
		n = n*10 + int64(b[i]-'0')
	}
	switch {
	case over && neg:
		n = -1 << 63
	case over:
		n = 1<<63 - 1
	case neg:
		n = -n
	}
	return int(int32(n))
}

// numkeysGetKeys is Redis's genericGetKeys: the argument at countIdx
// counts the keys that start at firstIdx; storeIdx, when not 0, is a
// destination key listed after them. A count that does not fit gives no
// keys, leaving the syntax error to the command.
func numkeysGetKeys(countIdx, firstIdx, storeIdx int) keyProc {
	return func(argv [][]byte) []keyRef {
		if countIdx >= len(argv) {
			return nil
		}
		num := atoi(argv[countIdx])
		if num < 1 || num > len(argv)-firstIdx {
			return nil
		}
		keys := make([]keyRef, 0, num+1)
		for i := 0; i < num; i++ {
			keys = append(keys, keyRef{pos: firstIdx + i, flags: keyFlagsNone})
		}
		if storeIdx != 0 {
			keys = append(keys, keyRef{pos: storeIdx, flags: keyFlagsNone})
		}
		return keys
	}
}

// sortROGetKeys: SORT_RO reads its one key.
func sortROGetKeys(argv [][]byte) []keyRef {
	return []keyRef{{pos: 1, flags: keyFlagsRO}}
}

// sortGetKeys: SORT's key, and the last STORE destination. Options are
// taken to have no argument except LIMIT (two), GET and BY (one); BY and
// GET patterns are not keys of the command.
func sortGetKeys(argv [][]byte) []keyRef {
	keys := []keyRef{{pos: 1, flags: keyFlagsRO}}
	store := 0
	for i := 2; i < len(argv); i++ {
		switch {
		case equalFoldC(argv[i], "limit"):
			i += 2
		case equalFoldC(argv[i], "get"), equalFoldC(argv[i], "by"):
			i++
		case equalFoldC(argv[i], "store") && i+1 < len(argv):
			store = i + 1
		}
	}
	if store != 0 {
		keys = append(keys, keyRef{pos: store, flags: keyFlagsOW})
	}
	return keys
}

// migrateGetKeys: MIGRATE host port key|"" db timeout [COPY] [REPLACE]
// [AUTH pw] [AUTH2 user pw] [KEYS key ...]. With KEYS the key argument
// must be empty; when it is not, the command fails and there are no keys.
func migrateGetKeys(argv [][]byte) []keyRef {
	first, num := 3, 1
	if len(argv) > 6 {
	scan:
		for i := 6; i < len(argv); i++ {
			switch {
			case equalFoldC(argv[i], "keys"):
				if len(argv[3]) > 0 {
					num = 0
				} else {
					first, num = i+1, len(argv)-i-1
				}
				break scan
			case equalFoldC(argv[i], "auth"):
				i++
			case equalFoldC(argv[i], "auth2"):
				i += 2
			}
		}
	}
	keys := make([]keyRef, num)
	for i := range keys {
		keys[i] = keyRef{pos: first + i, flags: keyFlagsMigrate}
	}
	return keys
}

// georadiusGetKeys: the key, and the last STORE or STOREDIST destination.
func georadiusGetKeys(argv [][]byte) []keyRef {
	keys := []keyRef{{pos: 1, flags: keyFlagsNone}}
	stored := -1
	for i := 5; i < len(argv); i++ {
		if (equalFoldC(argv[i], "store") || equalFoldC(argv[i], "storedist")) && i+1 < len(argv) {
			stored = i + 1
			i++
		}
	}
	if stored != -1 {
		keys = append(keys, keyRef{pos: stored, flags: keyFlagsNone})
	}
	return keys
}

// xreadGetKeys: XREAD and XREADGROUP's keys are the first half of what
// follows the first STREAMS that is not an option's argument.
func xreadGetKeys(argv [][]byte) []keyRef {
	streams := -1
scan:
	for i := 1; i < len(argv); i++ {
		switch {
		case equalFoldC(argv[i], "block"), equalFoldC(argv[i], "count"):
			i++
		case equalFoldC(argv[i], "group"):
			i += 2
		case equalFoldC(argv[i], "noack"):
		case equalFoldC(argv[i], "streams"):
			streams = i
			break scan
		default:
			break scan
		}
	}
	if streams == -1 {
		return nil
	}
	num := len(argv) - streams - 1
	if num == 0 || num%2 != 0 {
		return nil
	}
	num /= 2
	keys := make([]keyRef, num)
	for i := range keys {
		keys[i] = keyRef{pos: streams + 1 + i, flags: keyFlagsNone}
	}
	return keys
}

// setGetKeys: SET reads the old value when GET is among its options.
func setGetKeys(argv [][]byte) []keyRef {
	for _, a := range argv[min(3, len(argv)):] {
		if equalFoldC(a, "get") {
			return []keyRef{{pos: 1, flags: keyFlagsRWAccess}}
		}
	}
	return []keyRef{{pos: 1, flags: keyFlagsOW}}
}

// bitfieldGetKeys: BITFIELD only reads when all it does is GET.
func bitfieldGetKeys(argv [][]byte) []keyRef {
	readonly := true
scan:
	for i := 2; i < len(argv); i++ {
		rem := len(argv) - i - 1
		switch {
		case equalFoldC(argv[i], "get") && rem >= 2:
			i += 2
		case (equalFoldC(argv[i], "set") || equalFoldC(argv[i], "incrby")) && rem >= 3:
			readonly = false
			break scan
		case equalFoldC(argv[i], "overflow") && rem >= 1:
			i++
		default:
			readonly = false
			break scan
		}
	}
	if readonly {
		return []keyRef{{pos: 1, flags: keyFlagsRO}}
	}
	return []keyRef{{pos: 1, flags: keyFlagsRWAccess}}
}

// keysFromSpecs finds the keys of argv with cmd's key specs, as Redis's
// getKeysUsingKeySpecs; NOT_KEY specs are skipped. ok is false when a
// spec cannot be applied (bad numkeys, keys out of range, an incomplete
// spec) and the command's key function must decide. With partial set,
// such specs are skipped instead (GET_KEYSPEC_RETURN_PARTIAL), an
// incomplete spec's keys kept.
func keysFromSpecs(specs []keySpec, argv [][]byte, partial bool) (keys []keyRef, ok bool) {
	for i := range specs {
		spec := &specs[i]
		if spec.notKey {
			continue
		}
		var valid, found bool
		keys, valid, found = spec.appendKeys(keys, argv)
		if found && spec.incomplete {
			valid = false
		}
		if !valid && !partial {
			return nil, false
		}
	}
	return keys, true
}

// appendKeys appends the keys spec finds in argv; valid is false when the
// arguments do not fit the spec. A keyword that is absent is no keys, and
// valid; found is false then.
func (spec *keySpec) appendKeys(keys []keyRef, argv [][]byte) (_ []keyRef, valid, found bool) {
	argc := len(argv)
	first := 0
	switch spec.bsType {
	case 'i':
		first = spec.bsIndex
	case 'k':
		start, end := spec.bsStartFrom, argc-1
		if start <= 0 {
			start, end = argc+spec.bsStartFrom, 1
		}
		keyword := strings.ToLower(spec.bsKeyword)
		for j := start; j != end && j < argc && j >= 1; {
			if equalFoldC(argv[j], keyword) {
				first = j + 1
				break
			}
			if start <= end {
				j++
			} else {
				j--
			}
		}
		if first == 0 {
			return keys, true, false
		}
	default:
		return keys, false, true
	}
	var last, step int
	switch spec.fkType {
	case 'r':
		step = spec.keyStep
		switch {
		case spec.lastKey >= 0:
			last = first + spec.lastKey
		case spec.limit == 0:
			last = argc + spec.lastKey
		default:
			last = first + ((argc-first)/spec.limit + spec.lastKey)
		}
	case 'n':
		step = spec.keyStep
		if first+spec.keyNumIdx >= argc {
			return keys, false, true
		}
		numkeys, ok := proto.ParseInt(argv[first+spec.keyNumIdx])
		if !ok || numkeys < 0 {
			return keys, false, true
		}
		first += spec.firstKey
		// Redis casts the count to a C int.
		last = first + int(int32(numkeys)) - 1
	default:
		return keys, false, true
	}
	if last >= argc || last < first || first >= argc {
		return keys, false, true
	}
	for j := first; j <= last; j += max(step, 1) {
		keys = append(keys, keyRef{pos: j, flags: spec.flags})
	}
	return keys, true, true
}

// commandKeys returns the keys of argv for cmd as Redis's
// getKeysFromCommandWithSpecs: the key specs when there is one that is a
// key and none has variable flags, unless they fail; then the command's
// key function; else none.
func commandKeys(cmd *command, argv [][]byte) []keyRef {
	hasKeySpec, varFlags := false, false
	for i := range cmd.keySpecs {
		if !cmd.keySpecs[i].notKey {
			hasKeySpec = true
		}
		if cmd.keySpecs[i].variableFlags {
			varFlags = true
		}
	}
	if hasKeySpec && !varFlags {
		if keys, ok := keysFromSpecs(cmd.keySpecs, argv, false); ok {
			return keys
		}
	}
	if cmd.getKeys != nil {
		return cmd.getKeys(argv)
	}
	return nil
}

// commandHasKeys is Redis's doesCommandHaveKeys: a key function, or a key
// spec that is not NOT_KEY.
func commandHasKeys(cmd *command) bool {
	if cmd.getKeys != nil {
		return true
	}
	for i := range cmd.keySpecs {
		if !cmd.keySpecs[i].notKey {
			return true
		}
	}
	return false
}

// addReplyGetKeys replies to COMMAND GETKEYS (GETKEYSANDFLAGS withFlags)
// for argv, which cmd (nil: unknown) runs.
func (c *Client) addReplyGetKeys(cmd *command, argv [][]byte, withFlags bool) {
	switch {
	case cmd == nil:
		c.addReplyError("Invalid command specified")
		return
	case !commandHasKeys(cmd):
		c.addReplyError("The command has no key arguments")
		return
	case cmd.arity > 0 && cmd.arity != len(argv) || len(argv) < -cmd.arity:
		c.addReplyError("Invalid number of arguments specified for command")
		return
	}
	keys := commandKeys(cmd, argv)
	if len(keys) == 0 {
		if cmd.flags&cmdNoMandatoryKeys != 0 {
			c.addReplyArrayLen(0)
		} else {
			c.addReplyError("Invalid arguments specified for command")
		}
		return
	}
	c.addReplyArrayLen(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.addReplyBulk(argv[k.pos])
			continue
		}
		c.addReplyArrayLen(2)
		c.addReplyBulk(argv[k.pos])
		c.addReplySetLen(len(k.flags))
		for _, f := range k.flags {
			c.addReplyStatus(f)
		}
	}
}

// COMMAND GETKEYS command [arg ...]
func commandGetKeysCommand(c *Client) {
	c.addReplyGetKeys(LookupCommand(c.argv[2:]), c.argv[2:], false)
}

// COMMAND GETKEYSANDFLAGS command [arg ...]
func commandGetKeysAndFlagsCommand(c *Client) {
	c.addReplyGetKeys(LookupCommand(c.argv[2:]), c.argv[2:], true)
}
