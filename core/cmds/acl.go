package cmds

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/redisfs/redisfs/core/proto"
)

// Access control lists, after Redis 7.0's acl.c: users with passwords
// (kept as SHA-256 hex digests), on/off, and selectors — the root one and
// any "(…)" ones — each with a command bitmap (categories, commands,
// subcommands, first arguments), key patterns (~, %R~, %W~) and channel
// patterns (&). A command runs when one selector of the client's user
// allows the command, its keys and its channels. Denials are counted in
// ACL LOG. requirepass is the default user's password, as in Redis.
//
// The command ids that index the bitmaps are given once, to every command
// and subcommand of the table in name order, the first time ACLs are used
// (after every family registered its commands).

// ACL check results, as Redis's ACL_* (the order matters: a later denial
// reason wins when selectors disagree).
const (
	aclOK = iota
	aclDeniedCmd
	aclDeniedKey
	aclDeniedAuth
	aclDeniedChannel
)

// Key permissions of a key pattern.
const (
	aclReadPerm  = 1
	aclWritePerm = 2
	aclAllPerm   = aclReadPerm | aclWritePerm
)

// Contexts of ACL LOG entries.
const (
	aclLogToplevel = iota
	aclLogMulti
	aclLogLua // a command a script called
)

// aclUser is one ACL user.
type aclUser struct {
	name      string
	enabled   bool // "on"; a new user is "off"
	nopass    bool
	sanitize  int // 0 unset, 1 sanitize-payload, 2 skip-sanitize-payload
	passwords []string
	selectors []*aclSelector // [0] is the root selector
	deleted   bool
}

// aclSelector is a set of permissions.
type aclSelector struct {
	allKeys, allChannels, allCommands bool
	// future is Redis's reserved command bit, set only by +@all: the
	// selector was built by subtracting from everything.
	future    bool
	allowed   []uint64 // bit per command id
	firstArgs map[int][]string
	patterns  []keyPattern
	channels  []string
}

type keyPattern struct {
	pattern string
	flags   int
}

// aclLogEntry is one entry of ACL LOG.
type aclLogEntry struct {
	count    int64
	reason   int
	context  int
	object   string
	username string
	ctime    int64 // unix ms
	cinfo    string
}

// aclState is the server's users and ACL log.
type aclState struct {
	users       map[string]*aclUser
	defaultUser *aclUser
	log         []*aclLogEntry // newest first
}

// aclCmd is one command of the ACL command universe.
type aclCmd struct {
	name   string // full name, "config|get"
	id     int
	acl    uint64 // categories, implicit ones included
	subs   []*aclCmd
	parent *aclCmd
}

// The command universe of the bitmaps: Redis 7.0.15's command table
// (redisCommands, so that categories, and so the rules ACL LIST prints, are
// Redis's whatever this server implements; the table implements only
// commands of it). Built once per process.
var aclCmds struct {
	once   sync.Once
	all    []*aclCmd // by id
	top    []*aclCmd // top-level commands by name
	byName map[string]*aclCmd
	ids    map[*command]int
}

func aclInitCommands() {
	aclCmds.once.Do(func() {
		aclCmds.byName = map[string]*aclCmd{}
		aclCmds.ids = map[*command]int{}
		add := func(name string, acl uint64, parent *aclCmd) *aclCmd {
			if x := aclCmds.byName[name]; x != nil {
				return x
			}
			x := &aclCmd{name: name, acl: acl, parent: parent}
			aclCmds.byName[name] = x
			if parent != nil {
				parent.subs = append(parent.subs, x)
			} else {
				aclCmds.top = append(aclCmds.top, x)
			}
			return x
		}
		for _, cmd := range redisCommands {
			x := add(cmd.fullName, cmd.acl, nil)
			for _, sub := range cmd.Subs {
				add(sub.fullName, sub.acl, x)
			}
		}
		sortCmds := func(l []*aclCmd) {
			sort.Slice(l, func(i, j int) bool { return l[i].name < l[j].name })
		}
		sortCmds(aclCmds.top)
		for _, x := range aclCmds.top {
			x.id = len(aclCmds.all)
			aclCmds.all = append(aclCmds.all, x)
			sortCmds(x.subs)
			for _, sub := range x.subs {
				sub.id = len(aclCmds.all)
				aclCmds.all = append(aclCmds.all, sub)
			}
		}
		for _, cmd := range commands() {
			aclCmds.ids[cmd] = aclCmds.byName[cmd.fullName].id
			for _, sub := range cmd.Subs {
				aclCmds.ids[sub] = aclCmds.byName[sub.fullName].id
			}
		}
	})
}

// aclCommandID returns the bitmap index of cmd.
func aclCommandID(cmd *command) int {
	aclInitCommands()
	id, ok := aclCmds.ids[cmd]
	if !ok {
		return -1
	}
	return id
}

// applyRequirepass is the CONFIG SET apply hook of requirepass: the
// default user's password follows it.
func (srv *Server) applyRequirepass() error {
	srv.aclUpdateDefaultUserPassword(srv.Config.requirePass)
	return nil
}

// intDirective64 is an integer directive without memory units.
func intDirective64(name string, p func(c *Config) *int64, min, max int64) directive {
	return int64Directive(name, p, min, max, false)
}

func newACLState() *aclState {
	st := &aclState{users: map[string]*aclUser{}}
	u := st.createUser("default", "resetchannels")
	u.selectors[0].set("+@all")
	u.selectors[0].set("~*")
	u.selectors[0].set("&*")
	u.enabled = true
	u.nopass = true
	st.defaultUser = u
	return st
}

// newUser returns an unlinked user as ACLCreateUser makes it: off, no
// permissions, the channels of acl-pubsub-default.
func newUser(name, pubsubDefault string) *aclUser {
	s := newSelector()
	if pubsubDefault == "allchannels" {
		s.allChannels = true
	}
	return &aclUser{name: name, selectors: []*aclSelector{s}}
}

func (st *aclState) createUser(name, pubsubDefault string) *aclUser {
	u := newUser(name, pubsubDefault)
	st.users[name] = u
	return u
}

func newSelector() *aclSelector {
	aclInitCommands()
	return &aclSelector{allowed: make([]uint64, (len(aclCmds.all)+63)/64)}
}

func (s *aclSelector) clone() *aclSelector {
	d := *s
	d.allowed = slices.Clone(s.allowed)
	d.patterns = slices.Clone(s.patterns)
	d.channels = slices.Clone(s.channels)
	if s.firstArgs != nil {
		d.firstArgs = map[int][]string{}
		for k, v := range s.firstArgs {
			d.firstArgs[k] = slices.Clone(v)
		}
	}
	return &d
}

func (u *aclUser) clone() *aclUser {
	d := *u
	d.passwords = slices.Clone(u.passwords)
	d.selectors = make([]*aclSelector, len(u.selectors))
	for i, s := range u.selectors {
		d.selectors[i] = s.clone()
	}
	return &d
}

// copyFrom gives u the rules of src (ACLCopyUser; the name stays).
func (u *aclUser) copyFrom(src *aclUser) {
	c := src.clone()
	u.enabled, u.nopass, u.sanitize = c.enabled, c.nopass, c.sanitize
	u.passwords, u.selectors = c.passwords, c.selectors
}

// unrestricted reports whether u may run anything (the default user's
// usual state), so the per-command check can be skipped.
func (u *aclUser) unrestricted() bool {
	s := u.selectors[0]
	return s.allCommands && s.allKeys && s.allChannels
}

// ---------------------------------------------------------------------------
// Command bits

func (s *aclSelector) bit(id int) bool {
	if id < 0 {
		return false
	}
	return s.allowed[id/64]&(1<<(id%64)) != 0
}

func (s *aclSelector) setBit(id int, v bool) {
	if id < 0 {
		return
	}
	if v {
		s.allowed[id/64] |= 1 << (id % 64)
	} else {
		s.allowed[id/64] &^= 1 << (id % 64)
		s.allCommands = false
	}
}

// changePerm allows or denies cmd and its subcommands (ACLChangeSelectorPerm).
func (s *aclSelector) changePerm(cmd *aclCmd, allow bool) {
	s.setBit(cmd.id, allow)
	delete(s.firstArgs, cmd.id)
	for _, sub := range cmd.subs {
		s.setBit(sub.id, allow)
	}
}

// setCategory allows or denies the commands of a category.
func (s *aclSelector) setCategory(flag uint64, allow bool) {
	for _, cmd := range aclCmds.top {
		if cmd.acl&flag != 0 {
			s.changePerm(cmd, allow)
		}
		for _, sub := range cmd.subs {
			if sub.acl&flag != 0 {
				s.changePerm(sub, allow)
			}
		}
	}
}

// countCategory counts the commands of a category the selector allows and
// denies.
func (s *aclSelector) countCategory(flag uint64) (on, off int) {
	for _, cmd := range aclCmds.all {
		if cmd.acl&flag != 0 {
			if s.bit(cmd.id) {
				on++
			} else {
				off++
			}
		}
	}
	return
}

func aclCategoryByName(name string) uint64 {
	for _, c := range aclCategoryNames {
		if strings.EqualFold(c.name, name) {
			return c.flag
		}
	}
	return 0
}

// aclLookupCommand finds a command or "parent|sub" subcommand by name.
func aclLookupCommand(name string) *aclCmd {
	aclInitCommands()
	return aclCmds.byName[strings.ToLower(name)]
}

// ---------------------------------------------------------------------------
// Setting rules

// aclError is the reason an ACL SETUSER modifier failed (ACLSetUserStringError).
type aclError string

const (
	aclErrUnknown     aclError = "Unknown command or category name in ACL"
	aclErrSyntax      aclError = "Syntax error"
	aclErrKeysStar    aclError = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	aclErrChansStar   aclError = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	aclErrNoPass      aclError = "The password you are trying to remove from the user does not exist"
	aclErrBadHash     aclError = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	aclErrSubFirstArg aclError = "Allowing first-arg of a subcommand is not supported"
)

func hasSpaces(s string) bool { return strings.ContainsAny(s, " \x00") }

// set applies one selector rule (ACLSetSelector); "" on success.
func (s *aclSelector) set(op string) aclError {
	switch {
	case strings.EqualFold(op, "allkeys") || op == "~*":
		s.allKeys = true
		s.patterns = nil
	case strings.EqualFold(op, "resetkeys"):
		s.allKeys = false
		s.patterns = nil
	case strings.EqualFold(op, "allchannels") || op == "&*":
		s.allChannels = true
		s.channels = nil
	case strings.EqualFold(op, "resetchannels"):
		s.allChannels = false
		s.channels = nil
	case strings.EqualFold(op, "allcommands") || strings.EqualFold(op, "+@all"):
		for i := range s.allowed {
			s.allowed[i] = ^uint64(0)
		}
		s.allCommands, s.future = true, true
		s.firstArgs = nil
	case strings.EqualFold(op, "nocommands") || strings.EqualFold(op, "-@all"):
		clear(s.allowed)
		s.allCommands, s.future = false, false
		s.firstArgs = nil
	case op[0] == '~' || op[0] == '%':
		if s.allKeys {
			return aclErrKeysStar
		}
		flags, offset := 0, 1
		if op[0] == '%' {
			for ; offset < len(op); offset++ {
				ch := op[offset]
				if (ch == 'R' || ch == 'r') && flags&aclReadPerm == 0 {
					flags |= aclReadPerm
				} else if (ch == 'W' || ch == 'w') && flags&aclWritePerm == 0 {
					flags |= aclWritePerm
				} else if ch == '~' {
					offset++
					break
				} else {
					return aclErrSyntax
				}
			}
		} else {
			flags = aclAllPerm
		}
		pat := op[min(offset, len(op)):]
		if hasSpaces(pat) {
			return aclErrSyntax
		}
		found := false
		for i := range s.patterns {
			if s.patterns[i].pattern == pat {
				s.patterns[i].flags |= flags
				found = true
				break
			}
		}
		if !found {
			s.patterns = append(s.patterns, keyPattern{pattern: pat, flags: flags})
		}
		s.allKeys = false
	case op[0] == '&':
		if s.allChannels {
			return aclErrChansStar
		}
		pat := op[1:]
		if hasSpaces(pat) {
			return aclErrSyntax
		}
		if !slices.Contains(s.channels, pat) {
			s.channels = append(s.channels, pat)
		}
		s.allChannels = false
	case op[0] == '+' && (len(op) < 2 || op[1] != '@'):
		name := op[1:]
		i := strings.LastIndexByte(name, '|')
		if i < 0 {
			cmd := aclLookupCommand(name)
			if cmd == nil {
				return aclErrUnknown
			}
			s.changePerm(cmd, true)
			return ""
		}
		parentName, sub := name[:i], name[i+1:]
		cmd := aclLookupCommand(parentName)
		if cmd == nil {
			return aclErrUnknown
		}
		if cmd.parent != nil {
			return aclErrSubFirstArg
		}
		if sub == "" {
			return aclErrSyntax
		}
		if len(cmd.subs) > 0 {
			cmd = aclLookupCommand(name)
			if cmd == nil {
				return aclErrUnknown
			}
			s.changePerm(cmd, true)
			return ""
		}
		// A first argument of an otherwise denied command (+select|0).
		id := cmd.id
		for _, a := range s.firstArgs[id] {
			if strings.EqualFold(a, sub) {
				return ""
			}
		}
		if s.firstArgs == nil {
			s.firstArgs = map[int][]string{}
		}
		s.firstArgs[id] = append(s.firstArgs[id], sub)
	case op[0] == '-' && (len(op) < 2 || op[1] != '@'):
		cmd := aclLookupCommand(op[1:])
		if cmd == nil {
			return aclErrUnknown
		}
		s.changePerm(cmd, false)
	case (op[0] == '+' || op[0] == '-') && op[1] == '@':
		flag := aclCategoryByName(op[2:])
		if flag == 0 {
			return aclErrUnknown
		}
		s.setCategory(flag, op[0] == '+')
	default:
		return aclErrSyntax
	}
	return ""
}

func hashPassword(p string) string {
	sum := sha256.Sum256([]byte(p))
	return hex.EncodeToString(sum[:])
}

func validPasswordHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !('0' <= h[i] && h[i] <= '9' || 'a' <= h[i] && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// set applies one user rule (ACLSetUser); "" on success.
func (u *aclUser) set(op string, pubsubDefault string) aclError {
	if op == "" {
		return ""
	}
	switch {
	case strings.EqualFold(op, "on"):
		u.enabled = true
	case strings.EqualFold(op, "off"):
		u.enabled = false
	case strings.EqualFold(op, "skip-sanitize-payload"):
		u.sanitize = 2
	case strings.EqualFold(op, "sanitize-payload"):
		u.sanitize = 1
	case strings.EqualFold(op, "nopass"):
		u.nopass = true
		u.passwords = nil
	case strings.EqualFold(op, "resetpass"):
		u.nopass = false
		u.passwords = nil
	case op[0] == '>' || op[0] == '#':
		var h string
		if op[0] == '>' {
			h = hashPassword(op[1:])
		} else {
			if !validPasswordHash(op[1:]) {
				return aclErrBadHash
			}
			h = op[1:]
		}
		if !slices.Contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
	case op[0] == '<' || op[0] == '!':
		var h string
		if op[0] == '<' {
			h = hashPassword(op[1:])
		} else {
			if !validPasswordHash(op[1:]) {
				return aclErrBadHash
			}
			h = op[1:]
		}
		i := slices.Index(u.passwords, h)
		if i < 0 {
			return aclErrNoPass
		}
		u.passwords = slices.Delete(u.passwords, i, i+1)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector()
		for _, a := range splitArgs(op[1 : len(op)-1]) {
			if err := s.set(a); err != "" {
				return err
			}
		}
		u.selectors = append(u.selectors, s)
	case strings.EqualFold(op, "clearselectors"):
		u.selectors = u.selectors[:1]
	case strings.EqualFold(op, "reset"):
		u.set("resetpass", pubsubDefault)
		u.set("resetkeys", pubsubDefault)
		u.set("resetchannels", pubsubDefault)
		if pubsubDefault == "allchannels" {
			u.set("allchannels", pubsubDefault)
		}
		u.set("off", pubsubDefault)
		u.set("sanitize-payload", pubsubDefault)
		u.set("clearselectors", pubsubDefault)
		u.set("-@all", pubsubDefault)
	default:
		return u.selectors[0].set(op)
	}
	return ""
}

// splitArgs splits s as sdssplitargs does (nil on unbalanced quotes).
func splitArgs(s string) []string {
	args, n, err := proto.NewParser().ReadCommand([]byte(s+"\n"), nil)
	if err != nil || n == 0 {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// mergeSelectorArgs joins the arguments of a "(…)" selector given in
// several arguments (ACLMergeSelectorArguments); ok is false with the
// index of an unterminated one.
func mergeSelectorArgs(argv []string) (out []string, bad int, ok bool) {
	open := -1
	var sel string
	for j, op := range argv {
		if open == -1 && op != "" && op[0] == '(' && op[len(op)-1] != ')' {
			sel, open = op, j
			continue
		}
		if open != -1 {
			sel += " " + op
			if op != "" && op[len(op)-1] == ')' {
				open = -1
				out = append(out, sel)
			}
			continue
		}
		out = append(out, op)
	}
	if open != -1 {
		return nil, open, false
	}
	return out, 0, true
}

// setUser applies rules to the user named name, creating it, atomically
// (ACLStringSetUser): on error nothing changes and the message is returned.
func (srv *Server) aclSetUser(name string, rules []string) string {
	st := srv.acl
	args, bad, ok := mergeSelectorArgs(rules)
	if !ok {
		return "Unmatched parenthesis in acl selector starting at '" + rules[bad] + "'."
	}
	pubsubDefault := srv.Config.aclPubsubDefault
	u := st.users[name]
	tmp := newUser(name, pubsubDefault)
	if u != nil {
		tmp.copyFrom(u)
	}
	for _, a := range args {
		if err := tmp.set(a, pubsubDefault); err != "" {
			return "Error in ACL SETUSER modifier '" + a + "': " + string(err)
		}
	}
	if u != nil {
		srv.aclKillPubsubClientsIfNeeded(tmp, u)
	} else {
		u = st.createUser(name, pubsubDefault)
	}
	u.copyFrom(tmp)
	return ""
}

// aclUpdateDefaultUserPassword makes requirepass the default user's only
// password (nopass when empty).
func (srv *Server) aclUpdateDefaultUserPassword(pass string) {
	u := srv.acl.defaultUser
	u.set("resetpass", "")
	if pass != "" {
		u.set(">"+pass, "")
	} else {
		u.set("nopass", "")
	}
}

// defaultUserNeedsAuth reports whether a new connection must authenticate:
// the default user has passwords or is off (Redis's authRequired).
func (srv *Server) defaultUserNeedsAuth() bool {
	if srv.acl == nil {
		return srv.Config.requirePass != ""
	}
	u := srv.acl.defaultUser
	return !u.nopass || !u.enabled
}

// DefaultUserNoPass reports whether the default user needs no password,
// which is what protected mode checks.
//
// Used by core/server.
func (srv *Server) DefaultUserNoPass() bool {
	if srv.acl == nil {
		return srv.Config.requirePass == ""
	}
	return srv.acl.defaultUser.nopass
}

// defaultUserNoPass is DefaultUserNoPass for the connection commands.
func (srv *Server) defaultUserNoPass() bool { return srv.DefaultUserNoPass() }

// aclKillPubsubClientsIfNeeded closes the pub/sub clients of orig that
// the new rules no longer allow their subscriptions.
func (srv *Server) aclKillPubsubClientsIfNeeded(next, orig *aclUser) {
	var upcoming []string
	for _, s := range next.selectors {
		if s.allChannels {
			return
		}
		upcoming = append(upcoming, s.channels...)
	}
	match := true
	for _, s := range orig.selectors {
		for _, ch := range s.channels {
			if !slices.Contains(upcoming, ch) {
				match = false
			}
		}
	}
	if match {
		return
	}
	for _, c := range srv.clients {
		if c.aclUser() != orig || c.Flags&ClientPubsub == 0 || c.ps == nil {
			continue
		}
		kill := false
		for _, p := range c.ps.patterns.list {
			if !checkChannelAgainstList(upcoming, p, true) {
				kill = true
			}
		}
		for _, ch := range append(slices.Clone(c.ps.channels.list), c.ps.shard.list...) {
			if !checkChannelAgainstList(upcoming, ch, false) {
				kill = true
			}
		}
		if kill {
			c.Flags |= ClientCloseASAP
			c.prepare()
		}
	}
}

// ---------------------------------------------------------------------------
// Authentication

// aclUser returns the ACL user of c (nil for internal clients).
func (c *Client) aclUser() *aclUser {
	st := c.srv.acl
	if st == nil {
		return nil
	}
	if c.user == nil || c.user.deleted || c.user.name != c.userName {
		c.user = st.users[c.userName]
	}
	return c.user
}

// ActAs makes the commands of an internal client (the file server's)
// checked against the ACL of user name, as that user's client's would be
// (the mount maps a calling Unix user to an ACL user); "" makes them
// unrestricted again. It reports false, and changes nothing, when there
// is no such enabled user.
func (c *Client) ActAs(name string) bool {
	if name == "" {
		c.actAs, c.userName, c.user = false, "default", nil
		return true
	}
	u := c.srv.acl.users[name]
	if u == nil || !u.enabled {
		return false
	}
	c.actAs, c.userName, c.user = true, name, u
	return true
}

// AuthenticateAs authenticates c as user name without a password (a
// conversation of a mapped user of the mount: the mapping is its
// authentication). It reports false when there is no such enabled user.
func (c *Client) AuthenticateAs(name string) bool {
	u := c.srv.acl.users[name]
	if u == nil || !u.enabled {
		return false
	}
	c.Authenticated, c.userName, c.user = true, name, u
	return true
}

// aclCheckUserCredentials checks a username and password (ACLCheckUserCredentials).
func (srv *Server) aclCheckUserCredentials(user, pass []byte) bool {
	u := srv.acl.users[string(user)]
	if u == nil || !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := hashPassword(string(pass))
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare([]byte(h), []byte(p)) == 1 {
			return true
		}
	}
	return false
}

// aclAuthenticateUser authenticates c as user with pass, or logs the
// failure in ACL LOG (ACLAuthenticateUser).
func (srv *Server) aclAuthenticateUser(c *Client, user, pass []byte) bool {
	if srv.aclCheckUserCredentials(user, pass) {
		c.Authenticated = true
		c.userName = string(user)
		c.user = srv.acl.users[c.userName]
		return true
	}
	ctx := aclLogToplevel
	if c.Flags&ClientMulti != 0 {
		ctx = aclLogMulti
	}
	srv.addACLLogEntry(c, aclDeniedAuth, ctx, 0, string(user), "")
	return false
}

// ---------------------------------------------------------------------------
// Permission checks

// commandHasKeysForACL is Redis's doesCommandHaveKeys: a key spec that is
// not NOT_KEY, or a key function.
func commandHasKeysForACL(cmd *command) bool {
	if len(cmd.keySpecs) > 0 {
		for i := range cmd.keySpecs {
			if !cmd.keySpecs[i].notKey {
				return true
			}
		}
		return false
	}
	return cmd.getKeys != nil || cmd.first > 0
}

// channelRef is a channel argument of a pub/sub command.
type channelRef struct {
	pos     int
	pattern bool
}

// commandChannels returns the channels a command publishes or subscribes
// to (getChannelsFromCommand, the flags ACLs check).
func commandChannels(cmd *command, argv [][]byte) []channelRef {
	if cmd.parent != nil {
		return nil
	}
	var out []channelRef
	switch cmd.name {
	case "publish", "spublish":
		out = append(out, channelRef{pos: 1})
	case "subscribe", "ssubscribe":
		for j := 1; j < len(argv); j++ {
			out = append(out, channelRef{pos: j})
		}
	case "psubscribe":
		for j := 1; j < len(argv); j++ {
			out = append(out, channelRef{pos: j, pattern: true})
		}
	}
	return out
}

func checkChannelAgainstList(list []string, channel string, isPattern bool) bool {
	for _, p := range list {
		if isPattern && p == channel || !isPattern && stringMatch([]byte(p), []byte(channel), false) {
			return true
		}
	}
	return false
}

// keyFlagsPerm maps key-spec flags to the permissions they need.
func keyFlagsPerm(flags []string) int {
	perm := 0
	for _, f := range flags {
		switch strings.ToUpper(f) {
		case "ACCESS":
			perm |= aclReadPerm
		case "INSERT", "DELETE", "UPDATE":
			perm |= aclWritePerm
		}
	}
	return perm
}

func (s *aclSelector) checkKey(key []byte, perm int) bool {
	if s.allKeys {
		return true
	}
	for _, p := range s.patterns {
		if p.flags&perm != perm {
			continue
		}
		if stringMatch([]byte(p.pattern), key, false) {
			return true
		}
	}
	return false
}

// aclKeyCache keeps a command's keys between the selectors checked.
type aclKeyCache struct {
	init bool
	keys []keyRef
}

// checkCmd checks one selector (ACLSelectorCheckCmd); idx is the argument
// of a denied key or channel.
func (s *aclSelector) checkCmd(cmd *command, argv [][]byte, cache *aclKeyCache) (int, int) {
	id := aclCommandID(cmd)
	if !s.allCommands && cmd.flags&cmdNoAuth == 0 && !s.bit(id) {
		args := s.firstArgs[id]
		if len(argv) < 2 || len(args) == 0 {
			return aclDeniedCmd, 0
		}
		idx := 1
		if cmd.parent != nil {
			idx = 2
		}
		if idx >= len(argv) {
			return aclDeniedCmd, 0
		}
		ok := false
		for _, a := range args {
			if strings.EqualFold(a, string(argv[idx])) {
				ok = true
				break
			}
		}
		if !ok {
			return aclDeniedCmd, 0
		}
	}
	if !s.allKeys && commandHasKeysForACL(cmd) {
		if !cache.init {
			cache.keys = commandKeys(cmd, argv)
			cache.init = true
		}
		for _, k := range cache.keys {
			if !s.checkKey(argv[k.pos], keyFlagsPerm(k.flags)) {
				return aclDeniedKey, k.pos
			}
		}
	}
	if !s.allChannels {
		for _, ch := range commandChannels(cmd, argv) {
			if !checkChannelAgainstList(s.channels, string(argv[ch.pos]), ch.pattern) {
				return aclDeniedChannel, ch.pos
			}
		}
	}
	return aclOK, 0
}

// aclCheckAllUserCommandPerm checks every selector of u
// (ACLCheckAllUserCommandPerm): the first that allows wins; otherwise the
// most relevant denial is returned with its argument index.
func aclCheckAllUserCommandPerm(u *aclUser, cmd *command, argv [][]byte) (int, int) {
	if u == nil {
		return aclOK, 0
	}
	relevant, lastIdx := aclDeniedCmd, 0
	var cache aclKeyCache
	for _, s := range u.selectors {
		ret, idx := s.checkCmd(cmd, argv, &cache)
		if ret == aclOK {
			return aclOK, 0
		}
		if ret > relevant || ret == relevant && idx > lastIdx {
			relevant, lastIdx = ret, idx
		}
	}
	return relevant, lastIdx
}

// aclCheckAllPerm checks the current command of c.
func (c *Client) aclCheckAllPerm() (int, int) {
	if c.Flags&ClientInternal != 0 && !c.actAs {
		return aclOK, 0
	}
	u := c.aclUser()
	if c.actAs && (u == nil || !u.enabled) {
		// A mapped user deleted or disabled since: nothing.
		return aclDeniedCmd, 0
	}
	if u == nil || u.unrestricted() {
		return aclOK, 0
	}
	return aclCheckAllUserCommandPerm(u, c.cmd, c.argv)
}

// aclCheckAtExec re-checks a queued command when EXEC runs it, returning
// Redis's reason when ACLs changed since it was queued.
func (srv *Server) aclCheckAtExec(c *Client) (string, bool) {
	ret, idx := c.aclCheckAllPerm()
	if ret == aclOK {
		return "", true
	}
	srv.addACLLogEntry(c, ret, aclLogMulti, idx, "", "")
	switch ret {
	case aclDeniedCmd:
		return "no permission to execute the command or subcommand", false
	case aclDeniedKey:
		return "no permission to touch the specified keys", false
	case aclDeniedChannel:
		return "no permission to access one of the channels used as arguments", false
	}
	return "no permission", false
}

// aclCheckCommand is processCommand's ACL check (ACLCheckAllPerm and what
// processCommand does with its verdict): a command, key or channel the
// client's user may not use is logged in ACL LOG and refused with NOPERM.
// It reports whether the command may go on.
func (srv *Server) aclCheckCommand(c *Client) bool {
	ret, idx := c.aclCheckAllPerm()
	if ret == aclOK {
		return true
	}
	ctx := aclLogToplevel
	if c.Flags&ClientMulti != 0 {
		ctx = aclLogMulti
	}
	srv.addACLLogEntry(c, ret, ctx, idx, "", "")
	switch ret {
	case aclDeniedCmd:
		c.rejectCommand("-NOPERM this user has no permissions to run the '" + c.cmd.fullName + "' command")
	case aclDeniedKey:
		c.rejectCommand("-NOPERM this user has no permissions to access one of the keys used as arguments")
	case aclDeniedChannel:
		c.rejectCommand("-NOPERM this user has no permissions to access one of the channels used as arguments")
	default:
		c.rejectCommand("no permission")
	}
	return false
}

// ---------------------------------------------------------------------------
// ACL LOG

func (srv *Server) addACLLogEntry(c *Client, reason, context, argpos int, username, object string) {
	st := srv.acl
	if username == "" {
		username = c.userName
	}
	if object == "" {
		switch reason {
		case aclDeniedCmd:
			object = c.cmd.fullName
		case aclDeniedKey, aclDeniedChannel:
			if argpos < len(c.argv) {
				object = string(c.argv[argpos])
			}
		case aclDeniedAuth:
			object = string(c.argv[0])
		}
	}
	// The client info is taken as the command sees it (processCommand
	// has made c the current client already in Redis).
	real := srv.currentClient
	if real == nil {
		real = c
		srv.currentClient = c
		defer func() { srv.currentClient = nil }()
	}
	le := &aclLogEntry{count: 1, reason: reason, context: context, object: object,
		username: username, ctime: srv.mstime(), cinfo: string(real.appendClientInfo(nil))}
	for i := 0; i < len(st.log) && i < 10; i++ {
		cur := st.log[i]
		if cur.reason == le.reason && cur.context == le.context && le.ctime-cur.ctime <= 60000 &&
			cur.object == le.object && cur.username == le.username {
			cur.cinfo, cur.ctime = le.cinfo, le.ctime
			cur.count++
			copy(st.log[1:i+1], st.log[:i])
			st.log[0] = cur
			return
		}
	}
	st.log = append(st.log, nil)
	copy(st.log[1:], st.log)
	st.log[0] = le
	max := srv.Config.acllogMaxLen
	for int64(len(st.log)) > max {
		st.log[len(st.log)-1] = nil
		st.log = st.log[:len(st.log)-1]
	}
}

// ---------------------------------------------------------------------------
// Describing users

func (s *aclSelector) describeCommandRules() string {
	var rules strings.Builder
	fake := newSelector()
	additive := !s.future
	if s.future {
		rules.WriteString("+@all ")
		fake.set("+@all")
	} else {
		rules.WriteString("-@all ")
		fake.set("-@all")
	}
	// Best-fit categories first, tracked on a copy whose bitmap loses
	// each applied category, then single commands for the rest.
	temp := newSelector()
	copy(temp.allowed, s.allowed)
	var applied [32]bool
	for {
		best := -1
		mindiff, maxsame := int(^uint(0)>>1), 0
		for j, cat := range aclCategoryNames {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(cat.flag)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < mindiff || diff == mindiff && same > maxsame) {
				best, mindiff, maxsame = j, diff, same
			}
		}
		if best == -1 {
			break
		}
		name := aclCategoryNames[best].name
		if additive {
			fake.set("+@" + name)
			temp.set("-@" + name)
			rules.WriteString("+@" + name + " ")
		} else {
			fake.set("-@" + name)
			temp.set("+@" + name)
			rules.WriteString("-@" + name + " ")
		}
		applied[best] = true
	}
	for _, cmd := range aclCmds.top {
		single := func(cmd *aclCmd) bool {
			userbit, fakebit := s.bit(cmd.id), fake.bit(cmd.id)
			if userbit != fakebit {
				if userbit {
					rules.WriteByte('+')
				} else {
					rules.WriteByte('-')
				}
				rules.WriteString(cmd.name)
				rules.WriteByte(' ')
				fake.changePerm(cmd, userbit)
			}
			return userbit
		}
		userbit := single(cmd)
		for _, sub := range cmd.subs {
			single(sub)
		}
		if !userbit {
			for _, a := range s.firstArgs[cmd.id] {
				rules.WriteString("+" + cmd.name + "|" + a + " ")
			}
		}
	}
	out := rules.String()
	return out[:len(out)-1]
}

func (p keyPattern) String() string {
	switch p.flags {
	case aclAllPerm:
		return "~" + p.pattern
	case aclReadPerm:
		return "%R~" + p.pattern
	case aclWritePerm:
		return "%W~" + p.pattern
	}
	return "~" + p.pattern
}

func (s *aclSelector) describeKeys() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.patterns))
	for i, p := range s.patterns {
		parts[i] = p.String()
	}
	return strings.Join(parts, " ")
}

func (s *aclSelector) describeChannels() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, p := range s.channels {
		parts[i] = "&" + p
	}
	return strings.Join(parts, " ")
}

func (s *aclSelector) describe() string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, p := range s.patterns {
			b.WriteString(p.String() + " ")
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, ch := range s.channels {
			b.WriteString("&" + ch + " ")
		}
	}
	b.WriteString(s.describeCommandRules())
	return b.String()
}

func (u *aclUser) flagNames() []string {
	var f []string
	if u.enabled {
		f = append(f, "on")
	} else {
		f = append(f, "off")
	}
	if u.nopass {
		f = append(f, "nopass")
	}
	switch u.sanitize {
	case 2:
		f = append(f, "skip-sanitize-payload")
	case 1:
		f = append(f, "sanitize-payload")
	}
	return f
}

// describe is the ACL LIST line of u, after "user <name> ".
func (u *aclUser) describe() string {
	var b strings.Builder
	for _, f := range u.flagNames() {
		b.WriteString(f + " ")
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	for i, s := range u.selectors {
		if i == 0 {
			b.WriteString(s.describe())
		} else {
			b.WriteString(" (" + s.describe() + ")")
		}
	}
	return b.String()
}

func (srv *Server) sortedUsers() []*aclUser {
	users := make([]*aclUser, 0, len(srv.acl.users))
	for _, u := range srv.acl.users {
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool { return users[i].name < users[j].name })
	return users
}

// ---------------------------------------------------------------------------
// ACL command

var aclHelp = []string{
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
}

// ACL HELP
func aclHelpCommand(c *Client) { c.addReplyHelp(aclHelp) }

// aclContainerCommand runs for ACL without a subcommand (unreachable).
func aclContainerCommand(c *Client) { c.addReplySubcommandSyntaxError() }

// ACL SETUSER username [rule [rule ...]]
func aclSetuserCommand(c *Client) {
	name := string(c.argv[2])
	if hasSpaces(name) {
		c.addReplyError("Usernames can't contain spaces or null characters")
		return
	}
	rules := make([]string, 0, len(c.argv)-3)
	for _, a := range c.argv[3:] {
		rules = append(rules, string(a))
	}
	if err := c.srv.aclSetUser(name, rules); err != "" {
		c.addReplyError(err)
		return
	}
	c.addReplyOK()
}

// ACL GETUSER username
func aclGetuserCommand(c *Client) {
	u := c.srv.acl.users[string(c.argv[2])]
	if u == nil {
		c.addReplyNull()
		return
	}
	c.addReplyMapLen(6)
	c.addReplyBulkString("flags")
	flags := u.flagNames()
	c.addReplySetLen(len(flags))
	for _, f := range flags {
		c.addReplyBulkString(f)
	}
	c.addReplyBulkString("passwords")
	c.addReplyArrayLen(len(u.passwords))
	for _, p := range u.passwords {
		c.addReplyBulkString(p)
	}
	root := u.selectors[0]
	c.addReplyBulkString("commands")
	c.addReplyBulkString(root.describeCommandRules())
	c.addReplyBulkString("keys")
	c.addReplyBulkString(root.describeKeys())
	c.addReplyBulkString("channels")
	c.addReplyBulkString(root.describeChannels())
	c.addReplyBulkString("selectors")
	c.addReplyArrayLen(len(u.selectors) - 1)
	for _, s := range u.selectors[1:] {
		c.addReplyMapLen(3)
		c.addReplyBulkString("commands")
		c.addReplyBulkString(s.describeCommandRules())
		c.addReplyBulkString("keys")
		c.addReplyBulkString(s.describeKeys())
		c.addReplyBulkString("channels")
		c.addReplyBulkString(s.describeChannels())
	}
}

// ACL DELUSER username [username ...]
func aclDeluserCommand(c *Client) {
	srv := c.srv
	st := srv.acl
	deleted := 0
	for _, a := range c.argv[2:] {
		name := string(a)
		if name == "default" {
			c.addReplyError("The 'default' user cannot be removed")
			return
		}
	}
	for _, a := range c.argv[2:] {
		u := st.users[string(a)]
		if u == nil {
			continue
		}
		delete(st.users, u.name)
		u.deleted = true
		deleted++
		// Connections authenticated as the user are closed, falling
		// back to the unauthenticated default user meanwhile.
		for _, cl := range srv.clients {
			if cl.userName != u.name {
				continue
			}
			cl.userName = "default"
			cl.user = nil
			cl.Authenticated = false
			if cl == c {
				cl.Flags |= ClientCloseAfterReply
			} else {
				cl.Flags |= ClientCloseASAP
				cl.prepare()
			}
		}
	}
	c.addReplyInt(int64(deleted))
}

// ACL LIST
func aclListCommand(c *Client) {
	users := c.srv.sortedUsers()
	c.addReplyArrayLen(len(users))
	for _, u := range users {
		c.addReplyBulkString("user " + u.name + " " + u.describe())
	}
}

// ACL USERS
func aclUsersCommand(c *Client) {
	users := c.srv.sortedUsers()
	c.addReplyArrayLen(len(users))
	for _, u := range users {
		c.addReplyBulkString(u.name)
	}
}

// ACL WHOAMI
func aclWhoamiCommand(c *Client) { c.addReplyBulkString(c.userName) }

// ACL CAT [category]
func aclCatCommand(c *Client) {
	if len(c.argv) > 3 {
		c.addReplySubcommandSyntaxError()
		return
	}
	if len(c.argv) == 2 {
		c.addReplyArrayLen(len(aclCategoryNames))
		for _, cat := range aclCategoryNames {
			c.addReplyBulkString(cat.name)
		}
		return
	}
	flag := aclCategoryByName(string(c.argv[2]))
	if flag == 0 {
		c.addReplyErrorFormat("Unknown category '%.128s'", c.argv[2])
		return
	}
	aclInitCommands()
	d := c.addReplyDeferredLen()
	n := 0
	for _, cmd := range aclCmds.all {
		if cmd.acl&flag != 0 {
			c.addReplyBulkString(cmd.name)
			n++
		}
	}
	c.setDeferredArrayLen(d, n)
}

const aclNoFileErr = "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// ACL LOAD
func aclLoadCommand(c *Client) { c.addReplyError(aclNoFileErr) }

// ACL SAVE
func aclSaveCommand(c *Client) { c.addReplyError(aclNoFileErr) }

// ACL GENPASS [bits]
func aclGenpassCommand(c *Client) {
	bits := int64(256)
	if len(c.argv) > 3 {
		c.addReplySubcommandSyntaxError()
		return
	}
	if len(c.argv) == 3 {
		n, ok := proto.ParseInt(c.argv[2])
		if !ok {
			c.addReplyError(errNotInteger)
			return
		}
		bits = n
	}
	if bits <= 0 || bits > 4096 {
		c.addReplyError("ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
		return
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	rand.Read(buf)
	c.addReplyBulkString(hex.EncodeToString(buf)[:chars])
}

// ACL LOG [count|RESET]
func aclLogCommand(c *Client) {
	st := c.srv.acl
	if len(c.argv) > 3 {
		c.addReplySubcommandSyntaxError()
		return
	}
	count := int64(10)
	if len(c.argv) == 3 {
		if equalFoldC(c.argv[2], "reset") {
			st.log = nil
			c.addReplyOK()
			return
		}
		n, ok := proto.ParseInt(c.argv[2])
		if !ok {
			c.addReplyError(errNotInteger)
			return
		}
		count = max(n, 0)
	}
	count = min(count, int64(len(st.log)))
	c.addReplyArrayLen(int(count))
	now := c.srv.mstime()
	for _, le := range st.log[:count] {
		c.addReplyMapLen(7)
		c.addReplyBulkString("count")
		c.addReplyInt(le.count)
		c.addReplyBulkString("reason")
		c.addReplyBulkString([...]string{"", "command", "key", "auth", "channel"}[le.reason])
		c.addReplyBulkString("context")
		if le.context == aclLogMulti {
			c.addReplyBulkString("multi")
		} else if le.context == aclLogLua {
			c.addReplyBulkString("lua")
		} else {
			c.addReplyBulkString("toplevel")
		}
		c.addReplyBulkString("object")
		c.addReplyBulkString(le.object)
		c.addReplyBulkString("username")
		c.addReplyBulkString(le.username)
		c.addReplyBulkString("age-seconds")
		c.addReplyDouble(float64(now-le.ctime) / 1000)
		c.addReplyBulkString("client-info")
		c.addReplyBulkString(le.cinfo)
	}
}

// ACL DRYRUN username command [arg ...]
func aclDryrunCommand(c *Client) {
	u := c.srv.acl.users[string(c.argv[2])]
	if u == nil {
		c.addReplyErrorFormat("User '%s' not found", c.argv[2])
		return
	}
	argv := c.argv[3:]
	cmd := LookupCommand(argv)
	if cmd == nil {
		c.addReplyErrorFormat("Command '%s' not found", c.argv[3])
		return
	}
	if cmd.arity > 0 && cmd.arity != len(argv) || len(argv) < -cmd.arity {
		c.addReplyErrorFormat("wrong number of arguments for '%s' command", cmd.fullName)
		return
	}
	ret, idx := aclCheckAllUserCommandPerm(u, cmd, argv)
	switch ret {
	case aclOK:
		c.addReplyOK()
	case aclDeniedCmd:
		c.addReplyBulkString("This user has no permissions to run the '" + cmd.fullName + "' command")
	case aclDeniedKey:
		c.addReplyBulkString("This user has no permissions to access the '" + string(argv[idx]) + "' key")
	case aclDeniedChannel:
		c.addReplyBulkString("This user has no permissions to access the '" + string(argv[idx]) + "' channel")
	}
}
