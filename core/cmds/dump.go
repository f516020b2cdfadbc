package cmds

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/rdb"
)

// DUMP and RESTORE (Redis 7.0's cluster.c) and the RDB value codec they
// share with RDB files (rdb.c). A DUMP payload is
//
//	type byte | value, RDB-serialized | RDB version (2 bytes LE) | CRC64 (8 bytes LE)
//
// where the CRC64 covers everything before it.
//
// The codec is one switch per direction on the value's type: strings here,
// collections in rdb_codec.go (rdbCollectionType, rdbSaveCollection,
// rdbLoadCollection), all built on the encodings of core/rdb. A value
// neither knows makes DUMP reply an error saying so, and RESTORE reply
// "Bad data format" with the reason in the log.

// rdbReader reads the RDB encodings of a payload or file.
type rdbReader = rdb.Reader

// rdbCompression is rdbcompression (not configurable yet): whether strings
// longer than 20 bytes are LZF-compressed when that saves space.
const rdbCompression = true

// rdbSaveObjectType returns the RDB type byte o is saved as (rdbSaveObjectType),
// or an error for a value the codec cannot save yet.
func rdbSaveObjectType(o *Object) (byte, error) {
	switch o.typ {
	case TypeString:
		return rdb.TypeString, nil
	}
	if t, ok := rdbCollectionType(o); ok {
		return t, nil
	}
	return 0, fmt.Errorf("RDB serialization of %s values (%s encoding) is not supported yet",
		o.typeName(), o.EncodingName())
}

// rdbSaveObject appends the RDB serialization of o's value, without its
// type byte (rdbSaveObject). The caller checks with rdbSaveObjectType that
// the value can be saved; for one that cannot, dst comes back unchanged.
func rdbSaveObject(dst []byte, o *Object) []byte {
	switch o.typ {
	case TypeString:
		if o.isInt() {
			return rdb.AppendInt(dst, o.int())
		}
		return rdb.AppendString(dst, o.Bytes(), rdbCompression)
	}
	if _, ok := rdbCollectionType(o); ok {
		return rdbSaveCollection(dst, o)
	}
	return dst
}

// rdbLoadObject reads a value of RDB type rdbType (rdbLoadObject) and
// returns it as an object encoded the way Redis would encode it with the
// configuration cfg (nil: the defaults). The object owns its memory:
// nothing aliases r's input.
func rdbLoadObject(rdbType byte, r *rdbReader, cfg *Config) (Object, error) {
	switch rdbType {
	case rdb.TypeString:
		s, v, isInt, err := r.LoadString()
		if err != nil {
			return Object{}, err
		}
		if isInt {
			return newIntObject(v), nil
		}
		// tryObjectEncoding: int, embstr or raw, as a new string.
		return newStringObject(s), nil
	}
	return rdbLoadCollection(rdbType, r, cfg)
}

// createDumpPayload appends the DUMP payload of o to dst.
func createDumpPayload(dst []byte, o *Object) ([]byte, error) {
	t, err := rdbSaveObjectType(o)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, t)
	dst = rdbSaveObject(dst, o)
	dst = append(dst, byte(rdb.Version&0xff), byte(rdb.Version>>8))
	return binary.LittleEndian.AppendUint64(dst, rdb.CRC64(0, dst[start:])), nil
}

// verifyDumpPayload checks the footer of a DUMP payload: an RDB version
// this server can read and a matching CRC64.
func verifyDumpPayload(p []byte) bool {
	if len(p) < 10 {
		return false
	}
	footer := p[len(p)-10:]
	if ver := uint16(footer[1])<<8 | uint16(footer[0]); ver > rdb.Version {
		return false
	}
	return rdb.CRC64(0, p[:len(p)-8]) == binary.LittleEndian.Uint64(footer[2:])
}

// DUMP key
func dumpCommand(c *Client) {
	o := c.lookupKeyRead(c.argv[1])
	if o == nil {
		c.addReplyNull()
		return
	}
	payload, err := createDumpPayload(nil, o)
	if err != nil {
		c.addReplyError(err.Error())
		return
	}
	c.addReplyBulk(payload)
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
func restoreCommand(c *Client) {
	srv, db := c.srv, c.db
	var lfuFreq, lruIdle int64 = -1, -1
	var lruClock uint32
	replace, absttl := false, false
	argv := c.argv
	for j := 4; j < len(argv); j++ {
		more := len(argv) - j - 1
		switch {
		case equalFoldC(argv[j], "replace"):
			replace = true
		case equalFoldC(argv[j], "absttl"):
			absttl = true
		case equalFoldC(argv[j], "idletime") && more >= 1 && lfuFreq == -1:
			v, ok := proto.ParseInt(argv[j+1])
			if !ok {
				c.addReplyError(errNotInteger)
				return
			}
			if v < 0 {
				c.addReplyError("Invalid IDLETIME value, must be >= 0")
				return
			}
			lruIdle = v
			lruClock = srv.lruClock
			j++
		case equalFoldC(argv[j], "freq") && more >= 1 && lruIdle == -1:
			v, ok := proto.ParseInt(argv[j+1])
			if !ok {
				c.addReplyError(errNotInteger)
				return
			}
			if v < 0 || v > 255 {
				c.addReplyError("Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			lfuFreq = v
			j++
		default:
			c.addReplySyntaxError()
			return
		}
	}

	key := argv[1]
	if !replace && c.lookupKeyWrite(key) != nil {
		c.addReplyError("-BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := proto.ParseInt(argv[2])
	if !ok {
		c.addReplyError(errNotInteger)
		return
	}
	if ttl < 0 {
		c.addReplyError("Invalid TTL value, must be >= 0")
		return
	}
	payload := argv[3]
	if !verifyDumpPayload(payload) {
		c.addReplyError("DUMP payload version or checksum are wrong")
		return
	}
	// The reader sees the footer too: Redis reads the value from the
	// whole buffer, so a value that runs into the footer still loads.
	r := rdb.NewReader(payload)
	typ, err := r.ReadByte()
	if err == nil && !rdb.IsObjectType(typ) {
		err = fmt.Errorf("unknown RDB type %d", typ)
	}
	var obj Object
	if err == nil {
		obj, err = rdbLoadObject(typ, r, &srv.Config)
	}
	if err != nil {
		srv.Logf(LogVerbose, "RESTORE of a bad payload: %v", err)
		c.addReplyError("Bad data format")
		return
	}

	deleted := false
	if replace {
		deleted = srv.dbDelete(db, key)
	}
	if ttl != 0 && !absttl {
		ttl += srv.mstime()
	}
	if ttl != 0 && srv.checkAlreadyExpired(ttl) {
		if deleted {
			c.rewriteArgv(delArg, key)
			srv.signalModifiedKey(c, db, key)
			srv.notifyKeyspaceEvent(notifyGeneric, "del", key, db.id)
			srv.Dirty++
		}
		c.addReplyOK()
		return
	}
	p := srv.DBAdd(db, key, obj)
	if ttl != 0 {
		srv.setExpire(c, db, key, ttl)
		// Propagated with the absolute time.
		if !absttl && srv.propagating() {
			var buf [24]byte
			args := append([][]byte{}, argv...)
			args[2] = strconv.AppendInt(buf[:0], ttl, 10)
			c.rewriteArgv(append(args, absttlArg)...)
		}
	}
	srv.objectSetLRUOrLFU(p, lfuFreq, lruIdle, lruClock)
	srv.signalModifiedKey(c, db, key)
	srv.notifyKeyspaceEvent(notifyGeneric, "restore", key, db.id)
	c.addReplyOK()
	srv.Dirty++
}
