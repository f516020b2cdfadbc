package cmds

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/types"
)

// DEBUG DIGEST and DIGEST-VALUE: Redis's dataset digest (debug.c), byte
// for byte, so that two servers holding the same data give the same hex,
// whatever their encodings. Unordered collections (the keyspace, sets,
// hashes, sorted sets) xor the SHA1s of their elements, so the order does
// not count; ordered data (a list's elements, a key's type, name and value)
// is mixed in with feedback, so it does.

// digest is a running 20-byte digest.
type digest [sha1.Size]byte

// xor folds SHA1(b) into d (xorDigest).
func (d *digest) xor(b []byte) {
	h := sha1.Sum(b)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix folds b into d in order: d = SHA1(d xor SHA1(b)) (mixDigest).
func (d *digest) mix(b []byte) {
	d.xor(b)
	*d = sha1.Sum(d[:])
}

// mixInt mixes a 32-bit big-endian integer, as Redis mixes htonl(x).
func (d *digest) mixInt(v uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	d.mix(b[:])
}

func (d *digest) hex() string { return hex.EncodeToString(d[:]) }

// xorObjectDigest mixes the value o of key (in db) into d: its type, its
// contents as Redis serializes them for the digest, and whether it has a
// TTL (the time itself is not part of it).
func xorObjectDigest(db *DB, key []byte, d *digest, o *Object) {
	d.mixInt(uint32(o.Type()))
	var buf [32]byte
	switch o.Type() {
	case TypeString:
		d.mix(o.appendString(buf[:0]))
	case TypeList:
		it := listQL(o).Iterator(true)
		for it.Next() {
			d.mix(it.AppendValue(buf[:0]))
		}
	case TypeSet:
		setTypeRange(o, func(e setElem) bool {
			if e.isInt {
				d.xor(strconv.AppendInt(buf[:0], e.v, 10))
			} else {
				d.xor(stringBytes(e.s))
			}
			return true
		})
	case TypeZSet:
		zsetRangeByRank(o, 0, zsetLength(o)-1, false, func(e zsetElem, score float64) {
			var ele digest
			var eb [24]byte
			ele.mix(e.bytes(&eb))
			ele.mix(proto.FormatDouble(buf[:0], score))
			d.xor(ele[:])
		})
	case TypeHash:
		hashRange(o, func(field, value types.ListpackEntry) bool {
			var ele digest
			ele.mix(field.Append(buf[:0]))
			ele.mix(value.Append(buf[:0]))
			d.xor(ele[:])
			return true
		})
	case TypeStream:
		streamDigest(o, d) // stream.go
	}
	if db.GetExpire(key) != -1 {
		d.xor([]byte("!!expire!!"))
	}
}

// datasetDigest is computeDatasetDigest: for each non-empty database its
// id is mixed in, then the xor of every key's digest (its name mixed with
// its value's digest).
func (srv *Server) datasetDigest() digest {
	var final digest
	for _, db := range srv.DBs {
		if db.Len() == 0 {
			continue
		}
		final.mixInt(uint32(db.id))
		db.Dict.Range(func(k string, o *Object) bool {
			var d digest
			key := stringBytes(k)
			d.mix(key)
			xorObjectDigest(db, key, &d, o)
			final.xor(d[:])
			return true
		})
	}
	return final
}

// DEBUG DIGEST
func debugDigest(c *Client) {
	d := c.srv.datasetDigest()
	c.addReplyStatus(d.hex())
}

// DEBUG DIGEST-VALUE [key ...]: logically expired keys count, as in Redis
// (no lookup, no expiry); a missing key is twenty zero bytes.
func debugDigestValue(c *Client) {
	c.addReplyArrayLen(len(c.argv) - 2)
	for _, key := range c.argv[2:] {
		var d digest
		if o := c.db.Dict.Find(bstr(key)); o != nil {
			xorObjectDigest(c.db, key, &d, o)
		}
		c.addReplyStatus(d.hex())
	}
}
