package cmds

// The command table, after Redis 7's: what each command is (arity, flags,
// key positions and specs, ACL categories, tips, docs) is Redis 7.0.15's
// own description of its commands, generated into commands_gen.go from
// redis_commands.resp; what each command does is this file's name →
// implementation map. buildCommandTable joins the two. A command Redis has
// and we do not implement is left out of the table (COMMAND COUNT counts
// what we serve); a new command family adds its implementations here and
// nothing else.
//
// To refresh the data from a real redis-server, then regenerate:
//
//	REDISFS_GEN_COMMAND_DATA=1 go test ./core/cmds -run TestGenerateCommandData
//	go generate ./core/cmds

//go:generate go run ./internal/gencommands -in redis_commands.resp -out commands_gen.go

// commandProcs maps the full name of every implemented command and
// subcommand ("get", "client|list") to its implementation. A container
// command whose subcommands are all it serves (OBJECT) needs no entry of
// its own: it is in the table when one of its subcommands is.
//
// It is a function, not a map variable, because the implementations refer
// to the table (COMMAND, EXEC, ACL …), and a package-level map of them
// would be an initialization cycle.
func commandProcs() map[string]func(c *Client) {
	return map[string]func(c *Client){
		// acl.go
		"acl":         aclContainerCommand,
		"acl|cat":     aclCatCommand,
		"acl|deluser": aclDeluserCommand,
		"acl|dryrun":  aclDryrunCommand,
		"acl|genpass": aclGenpassCommand,
		"acl|getuser": aclGetuserCommand,
		"acl|help":    aclHelpCommand,
		"acl|list":    aclListCommand,
		"acl|load":    aclLoadCommand,
		"acl|log":     aclLogCommand,
		"acl|save":    aclSaveCommand,
		"acl|setuser": aclSetuserCommand,
		"acl|users":   aclUsersCommand,
		"acl|whoami":  aclWhoamiCommand,
		// admin.go
		"config":           configContainerCommand,
		"config|get":       configGetCommand,
		"config|help":      configHelpCommand,
		"config|resetstat": configResetStatCommand,
		"config|rewrite":   configRewriteCommand,
		"config|set":       configSetCommand,
		"dbsize":           dbsizeCommand,
		"debug":            debugCommand,
		"flushall":         flushallCommand,
		"flushdb":          flushdbCommand,
		"lastsave":         lastsaveCommand,
		"role":             roleCommand,
		"shutdown":         shutdownCommand,
		"swapdb":           swapdbCommand,
		"time":             timeCommand,
		// bitops.go
		"bitcount":    bitcountCommand,
		"bitfield":    bitfieldCommand,
		"bitfield_ro": bitfieldroCommand,
		"bitop":       bitopCommand,
		"bitpos":      bitposCommand,
		"getbit":      getbitCommand,
		"setbit":      setbitCommand,
		// cluster.go
		"asking":                        clusterDisabledCommand,
		"cluster":                       clusterContainerCommand,
		"cluster|addslots":              clusterDisabledCommand,
		"cluster|addslotsrange":         clusterDisabledCommand,
		"cluster|bumpepoch":             clusterDisabledCommand,
		"cluster|count-failure-reports": clusterDisabledCommand,
		"cluster|countkeysinslot":       clusterDisabledCommand,
		"cluster|delslots":              clusterDisabledCommand,
		"cluster|delslotsrange":         clusterDisabledCommand,
		"cluster|failover":              clusterDisabledCommand,
		"cluster|flushslots":            clusterDisabledCommand,
		"cluster|forget":                clusterDisabledCommand,
		"cluster|getkeysinslot":         clusterDisabledCommand,
		"cluster|help":                  clusterDisabledCommand,
		"cluster|info":                  clusterDisabledCommand,
		"cluster|keyslot":               clusterDisabledCommand,
		"cluster|links":                 clusterDisabledCommand,
		"cluster|meet":                  clusterDisabledCommand,
		"cluster|myid":                  clusterDisabledCommand,
		"cluster|nodes":                 clusterDisabledCommand,
		"cluster|replicas":              clusterDisabledCommand,
		"cluster|replicate":             clusterDisabledCommand,
		"cluster|reset":                 clusterDisabledCommand,
		"cluster|saveconfig":            clusterDisabledCommand,
		"cluster|set-config-epoch":      clusterDisabledCommand,
		"cluster|setslot":               clusterDisabledCommand,
		"cluster|shards":                clusterDisabledCommand,
		"cluster|slaves":                clusterDisabledCommand,
		"cluster|slots":                 clusterDisabledCommand,
		"failover":                      failoverCommand,
		"lolwut":                        lolwutCommand,
		"migrate":                       migrateCommand,
		"module":                        moduleContainerCommand,
		"module|help":                   moduleHelpCommand,
		"module|list":                   moduleListCommand,
		"module|load":                   moduleLoadCommand,
		"module|loadex":                 moduleLoadCommand,
		"module|unload":                 moduleUnloadCommand,
		"readonly":                      clusterDisabledCommand,
		"readwrite":                     clusterDisabledCommand,
		"wait":                          waitCommand,
		// connection.go
		"echo":   echoCommand,
		"ping":   pingCommand,
		"quit":   quitCommand,
		"select": selectCommand,
		// dump.go
		"dump":           dumpCommand,
		"restore":        restoreCommand,
		"restore-asking": restoreCommand,
		// expire_cmds.go
		"expire":      expireCommand,
		"expireat":    expireatCommand,
		"expiretime":  expiretimeCommand,
		"persist":     persistCommand,
		"pexpire":     pexpireCommand,
		"pexpireat":   pexpireatCommand,
		"pexpiretime": pexpiretimeCommand,
		"pttl":        pttlCommand,
		"ttl":         ttlCommand,
		// hash.go
		"hdel":         hdelCommand,
		"hexists":      hexistsCommand,
		"hget":         hgetCommand,
		"hgetall":      hgetallCommand,
		"hincrby":      hincrbyCommand,
		"hincrbyfloat": hincrbyfloatCommand,
		"hkeys":        hkeysCommand,
		"hlen":         hlenCommand,
		"hmget":        hmgetCommand,
		"hmset":        hsetCommand,
		"hrandfield":   hrandfieldCommand,
		"hscan":        hscanCommand,
		"hset":         hsetCommand,
		"hsetnx":       hsetnxCommand,
		"hstrlen":      hstrlenCommand,
		"hvals":        hvalsCommand,
		// hello.go
		"auth":            authCommand,
		"client":          clientContainerCommand,
		"client|getname":  clientGetNameCommand,
		"client|help":     clientHelpCommand,
		"client|id":       clientIDCommand,
		"client|info":     clientInfoCommand,
		"client|kill":     clientKillCommand,
		"client|list":     clientListCommand,
		"client|no-evict": clientNoEvictCommand,
		"client|reply":    clientReplyCommand,
		"client|setname":  clientSetNameCommand,
		"client|unblock":  clientUnblockCommand,
		"hello":           helloCommand,
		"reset":           resetCommand,
		// introspect.go
		"command":                 commandCommand,
		"command|count":           commandCountCommand,
		"command|docs":            commandDocsCommand,
		"command|getkeys":         commandGetKeysCommand,
		"command|getkeysandflags": commandGetKeysAndFlagsCommand,
		"command|help":            commandHelpCommand,
		"command|info":            commandInfoCommand,
		"command|list":            commandListCommand,
		"info":                    infoCommand,
		// keys.go
		"copy":            copyCommand,
		"del":             delCommand,
		"exists":          existsCommand,
		"keys":            keysCommand,
		"move":            moveCommand,
		"object|idletime": objectIdletimeCommand,
		"object|encoding": objectEncodingCommand,
		"object|refcount": objectRefcountCommand,
		"object|freq":     objectFreqCommand,
		"object|help":     objectHelpCommand,
		"randomkey":       randomkeyCommand,
		"rename":          renameCommand,
		"renamenx":        renamenxCommand,
		"scan":            scanCommand,
		"touch":           touchCommand,
		"type":            typeCommand,
		"unlink":          unlinkCommand,
		// latency.go
		"latency":           latencyContainerCommand,
		"latency|doctor":    latencyDoctorCommand,
		"latency|graph":     latencyGraphCommand,
		"latency|help":      latencyHelpCommand,
		"latency|histogram": latencyHistogramCommand,
		"latency|history":   latencyHistoryCommand,
		"latency|latest":    latencyLatestCommand,
		"latency|reset":     latencyResetCommand,
		// list.go
		"blmove":     blmoveCommand,
		"blmpop":     blmpopCommand,
		"blpop":      blpopCommand,
		"brpop":      brpopCommand,
		"brpoplpush": brpoplpushCommand,
		"lindex":     lindexCommand,
		"linsert":    linsertCommand,
		"llen":       llenCommand,
		"lmove":      lmoveCommand,
		"lmpop":      lmpopCommand,
		"lpop":       lpopCommand,
		"lpos":       lposCommand,
		"lpush":      lpushCommand,
		"lpushx":     lpushxCommand,
		"lrange":     lrangeCommand,
		"lrem":       lremCommand,
		"lset":       lsetCommand,
		"ltrim":      ltrimCommand,
		"rpop":       rpopCommand,
		"rpoplpush":  rpoplpushCommand,
		"rpush":      rpushCommand,
		"rpushx":     rpushxCommand,
		// memory.go
		"memory":              memoryContainerCommand,
		"memory|doctor":       memoryDoctorCommand,
		"memory|help":         memoryHelpCommand,
		"memory|malloc-stats": memoryMallocStatsCommand,
		"memory|purge":        memoryPurgeCommand,
		"memory|stats":        memoryStatsCommand,
		"memory|usage":        memoryUsageCommand,
		// monitor.go
		"monitor": monitorCommand,
		// multi.go
		"discard": discardCommand,
		"exec":    execCommand,
		"multi":   multiCommand,
		// pause.go
		"client|pause":   clientPauseCommand,
		"client|unpause": clientUnpauseCommand,
		// persist_cmds.go
		"bgrewriteaof": bgrewriteaofCommand,
		"bgsave":       bgsaveCommand,
		"save":         saveCommand,
		// pubsub.go
		"psubscribe":           psubscribeCommand,
		"publish":              publishCommand,
		"pubsub":               pubsubContainerCommand,
		"pubsub|channels":      pubsubChannelsCommand,
		"pubsub|help":          pubsubHelpCommand,
		"pubsub|numpat":        pubsubNumpatCommand,
		"pubsub|numsub":        pubsubNumsubCommand,
		"pubsub|shardchannels": pubsubShardchannelsCommand,
		"pubsub|shardnumsub":   pubsubShardnumsubCommand,
		"punsubscribe":         punsubscribeCommand,
		"spublish":             spublishCommand,
		"ssubscribe":           ssubscribeCommand,
		"subscribe":            subscribeCommand,
		"sunsubscribe":         sunsubscribeCommand,
		"unsubscribe":          unsubscribeCommand,
		// set.go
		"sadd":        saddCommand,
		"scard":       scardCommand,
		"sdiff":       sdiffCommand,
		"sdiffstore":  sdiffstoreCommand,
		"sinter":      sinterCommand,
		"sintercard":  sintercardCommand,
		"sinterstore": sinterstoreCommand,
		"sismember":   sismemberCommand,
		"smembers":    smembersCommand,
		"smismember":  smismemberCommand,
		"smove":       smoveCommand,
		"spop":        spopCommand,
		"srandmember": srandmemberCommand,
		"srem":        sremCommand,
		"sscan":       sscanCommand,
		"sunion":      sunionCommand,
		"sunionstore": sunionstoreCommand,
		// slowlog.go
		"slowlog":       slowlogContainerCommand,
		"slowlog|get":   slowlogGetCommand,
		"slowlog|help":  slowlogHelpCommand,
		"slowlog|len":   slowlogLenCommand,
		"slowlog|reset": slowlogResetCommand,
		// sort.go
		"sort":    sortCommand,
		"sort_ro": sortroCommand,
		// string.go
		"append":      appendCommand,
		"decr":        decrCommand,
		"decrby":      decrbyCommand,
		"get":         getCommand,
		"getdel":      getdelCommand,
		"getex":       getexCommand,
		"getrange":    getrangeCommand,
		"getset":      getsetCommand,
		"incr":        incrCommand,
		"incrby":      incrbyCommand,
		"incrbyfloat": incrbyfloatCommand,
		"lcs":         lcsCommand,
		"mget":        mgetCommand,
		"mset":        msetCommand,
		"msetnx":      msetnxCommand,
		"psetex":      psetexCommand,
		"set":         setCommand,
		"setex":       setexCommand,
		"setnx":       setnxCommand,
		"setrange":    setrangeCommand,
		"strlen":      strlenCommand,
		"substr":      getrangeCommand,
		// tracking.go
		"client|caching":      clientCachingCommand,
		"client|getredir":     clientGetRedirCommand,
		"client|tracking":     clientTrackingCommand,
		"client|trackinginfo": clientTrackingInfoCommand,
		// geo.go
		"geoadd":               geoaddCommand,
		"geodist":              geodistCommand,
		"geohash":              geohashCommand,
		"geopos":               geoposCommand,
		"georadius":            georadiusCommand,
		"georadius_ro":         georadiusroCommand,
		"georadiusbymember":    georadiusbymemberCommand,
		"georadiusbymember_ro": georadiusbymemberroCommand,
		"geosearch":            geosearchCommand,
		"geosearchstore":       geosearchstoreCommand,
		// hll.go
		"pfadd":      pfaddCommand,
		"pfcount":    pfcountCommand,
		"pfdebug":    pfdebugCommand,
		"pfmerge":    pfmergeCommand,
		"pfselftest": pfselftestCommand,
		// watch.go
		"unwatch": unwatchCommand,
		"watch":   watchCommand,
		// zset.go
		"bzmpop":           bzmpopCommand,
		"bzpopmax":         bzpopmaxCommand,
		"bzpopmin":         bzpopminCommand,
		"zadd":             zaddCommand,
		"zcard":            zcardCommand,
		"zcount":           zcountCommand,
		"zdiff":            zdiffCommand,
		"zdiffstore":       zdiffstoreCommand,
		"zincrby":          zincrbyCommand,
		"zinter":           zinterCommand,
		"zintercard":       zintercardCommand,
		"zinterstore":      zinterstoreCommand,
		"zlexcount":        zlexcountCommand,
		"zmpop":            zmpopCommand,
		"zmscore":          zmscoreCommand,
		"zpopmax":          zpopmaxCommand,
		"zpopmin":          zpopminCommand,
		"zrandmember":      zrandmemberCommand,
		"zrange":           zrangeCommand,
		"zrangebylex":      zrangebylexCommand,
		"zrangebyscore":    zrangebyscoreCommand,
		"zrangestore":      zrangestoreCommand,
		"zrank":            zrankCommand,
		"zrem":             zremCommand,
		"zremrangebylex":   zremrangebylexCommand,
		"zremrangebyrank":  zremrangebyrankCommand,
		"zremrangebyscore": zremrangebyscoreCommand,
		"zrevrange":        zrevrangeCommand,
		"zrevrangebylex":   zrevrangebylexCommand,
		"zrevrangebyscore": zrevrangebyscoreCommand,
		"zrevrank":         zrevrankCommand,
		"zscan":            zscanCommand,
		"zscore":           zscoreCommand,
		"zunion":           zunionCommand,
		"zunionstore":      zunionstoreCommand,
		// stream.go
		"xack":                  xackCommand,
		"xadd":                  xaddCommand,
		"xautoclaim":            xautoclaimCommand,
		"xclaim":                xclaimCommand,
		"xdel":                  xdelCommand,
		"xgroup|create":         xgroupCommand,
		"xgroup|createconsumer": xgroupCommand,
		"xgroup|delconsumer":    xgroupCommand,
		"xgroup|destroy":        xgroupCommand,
		"xgroup|help":           xgroupCommand,
		"xgroup|setid":          xgroupCommand,
		"xinfo|consumers":       xinfoCommand,
		"xinfo|groups":          xinfoCommand,
		"xinfo|help":            xinfoCommand,
		"xinfo|stream":          xinfoCommand,
		"xlen":                  xlenCommand,
		"xpending":              xpendingCommand,
		"xrange":                xrangeCommand,
		"xread":                 xreadCommand,
		"xreadgroup":            xreadCommand,
		"xrevrange":             xrevrangeCommand,
		"xsetid":                xsetidCommand,
		"xtrim":                 xtrimCommand,
		// script.go
		"eval":          evalCommand,
		"eval_ro":       evalCommand,
		"evalsha":       evalshaCommand,
		"evalsha_ro":    evalshaCommand,
		"script":        scriptContainerCommand,
		"script|debug":  scriptDebugCommand,
		"script|exists": scriptExistsCommand,
		"script|flush":  scriptFlushCommand,
		"script|help":   scriptHelpCommand,
		"script|kill":   scriptKillCommand,
		"script|load":   scriptLoadCommand,
		// function.go
		"fcall":            fcallCommand,
		"fcall_ro":         fcallCommand,
		"function":         functionContainerCommand,
		"function|delete":  functionDeleteCommand,
		"function|dump":    functionDumpCommand,
		"function|flush":   functionFlushCommand,
		"function|help":    functionHelpCommand,
		"function|kill":    functionKillCommand,
		"function|list":    functionListCommand,
		"function|load":    functionLoadCommand,
		"function|restore": functionRestoreCommand,
		"function|stats":   functionStatsCommand,
	}
}

// hiddenCommandFlags are flags Redis's commands/*.json give that COMMAND
// INFO does not show (so redis_commands.resp cannot carry them) and that
// our code acts on. Only the commands we implement are listed; a family
// that implements another (EVAL, PFCOUNT, FCALL …) adds its own.
var hiddenCommandFlags = map[string]uint64{
	// MAY_REPLICATE: CLIENT PAUSE WRITE holds them back (pause.go), and
	// MONITOR does not show them to a MONITOR client (acl.go).
	"publish":  cmdMayReplicate,
	"spublish": cmdMayReplicate,
	// Scripts may write whatever their flags say.
	"eval":    cmdMayReplicate,
	"evalsha": cmdMayReplicate,
	"fcall":   cmdMayReplicate,
	// PROTECTED: refused unless enable-debug-command or
	// enable-module-command allows the client (server.go).
	"debug":         cmdProtected,
	"module|load":   cmdProtected,
	"module|loadex": cmdProtected,
	"module|unload": cmdProtected,
}

// buildCommandTable joins redisCommands with the implementations: every
// Redis command and subcommand that has one becomes a table entry, a copy
// of Redis's data with Proc, getKeys, Parent and the statistics index
// filled in. It returns the top-level commands by name and the number of
// entries (commands and subcommands). An implementation whose name Redis
// does not know is a programming error: it panics.
func buildCommandTable() (table map[string]*command, entries int) {
	procs, keyFuncs := commandProcs(), commandKeyFuncs()
	used := 0
	implement := func(meta *command) *command {
		cmd := *meta
		cmd.proc = procs[cmd.fullName]
		cmd.getKeys = keyFuncs[cmd.fullName]
		cmd.flags |= hiddenCommandFlags[cmd.fullName]
		cmd.Subs = nil
		if cmd.proc != nil {
			used++
		}
		return &cmd
	}
	table = map[string]*command{}
	for _, meta := range redisCommands {
		cmd := implement(meta)
		for _, subMeta := range meta.Subs {
			if procs[subMeta.fullName] == nil {
				continue
			}
			sub := implement(subMeta)
			sub.parent = cmd
			cmd.Subs = append(cmd.Subs, sub)
		}
		if cmd.proc == nil && len(cmd.Subs) == 0 {
			continue
		}
		cmd.id = entries
		entries++
		if len(cmd.Subs) > 0 {
			cmd.subs = make(map[string]*command, len(cmd.Subs))
			for _, sub := range cmd.Subs {
				sub.id = entries
				entries++
				cmd.subs[sub.name] = sub
			}
		}
		table[cmd.name] = cmd
	}
	if used != len(procs) {
		for name := range procs {
			if lookupMeta(name) == nil {
				panic("cmds: commandProcs: " + name + " is not a Redis 7.0 command")
			}
		}
	}
	for name := range keyFuncs {
		if lookupMeta(name) == nil {
			panic("cmds: commandKeyFuncs: " + name + " is not a Redis 7.0 command")
		}
	}
	return table, entries
}

// lookupMeta returns Redis's data of a command or subcommand by full name,
// implemented or not, or nil.
func lookupMeta(fullName string) *command {
	for _, cmd := range redisCommands {
		if cmd.fullName == fullName {
			return cmd
		}
		for _, sub := range cmd.Subs {
			if sub.fullName == fullName {
				return sub
			}
		}
	}
	return nil
}
