package cmds

import (
	"math"
	"slices"
	"strconv"
	"unsafe"

	"github.com/redisfs/redisfs/core/types"
)

// The geo family, after Redis 7.0's geo.c. A geo key is a sorted set whose
// scores are 52-bit geohashes (geohash.go); GEOADD is ZADD with the
// positions turned into scores, and it propagates as that ZADD.

// geoPoint is one search result (geoPoint).
type geoPoint struct {
	lon, lat float64
	dist     float64
	score    float64
	member   string
}

// extractLongLatOrReply parses a longitude and a latitude; out of the
// ranges Redis can hash, it replies an error.
func extractLongLatOrReply(c *Client, args [][]byte) (lon, lat float64, ok bool) {
	if lon, ok = getDoubleFromArgOrReply(c, args[0], ""); !ok {
		return
	}
	if lat, ok = getDoubleFromArgOrReply(c, args[1], ""); !ok {
		return
	}
	if lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		c.addReplyError("-ERR invalid longitude,latitude pair " + cFormatF(lon) + "," + cFormatF(lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// cFormatF formats as C's "%f".
func cFormatF(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// extractUnitOrReply returns the meters in a unit, or -1 after replying.
func extractUnitOrReply(c *Client, unit []byte) float64 {
	switch {
	case optIs(unit, "m"):
		return 1
	case optIs(unit, "km"):
		return 1000
	case optIs(unit, "ft"):
		return 0.3048
	case optIs(unit, "mi"):
		return 1609.34
	}
	c.addReplyError("unsupported unit provided. please use M, KM, FT, MI")
	return -1
}

// extractDistanceOrReply parses "radius unit" into the shape.
func extractDistanceOrReply(c *Client, args [][]byte, s *geoShape) bool {
	d, ok := getDoubleFromArgOrReply(c, args[0], "need numeric radius")
	if !ok {
		return false
	}
	if d < 0 {
		c.addReplyError("radius cannot be negative")
		return false
	}
	s.radius = d
	conv := extractUnitOrReply(c, args[1])
	if conv < 0 {
		return false
	}
	s.conversion = conv
	return true
}

// extractBoxOrReply parses "width height unit" into the shape.
func extractBoxOrReply(c *Client, args [][]byte, s *geoShape) bool {
	w, ok := getDoubleFromArgOrReply(c, args[0], "need numeric width")
	if !ok {
		return false
	}
	h, ok := getDoubleFromArgOrReply(c, args[1], "need numeric height")
	if !ok {
		return false
	}
	if h < 0 || w < 0 {
		c.addReplyError("height or width cannot be negative")
		return false
	}
	s.width, s.height = w, h
	conv := extractUnitOrReply(c, args[2])
	if conv < 0 {
		return false
	}
	s.conversion = conv
	return true
}

// addReplyDoubleDistance replies a distance with four decimals, rounded
// as Redis's fixedpoint_d2string (llrint of the value times 10^4).
func (c *Client) addReplyDoubleDistance(d float64) {
	var buf [32]byte
	c.addReplyBulk(appendFixedPoint4(buf[:0], d))
}

func appendFixedPoint4(dst []byte, d float64) []byte {
	if d == 0 {
		return append(dst, "0.0000"...)
	}
	v := int64(math.RoundToEven(d * 10000))
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var digits [24]byte
	s := strconv.AppendInt(digits[:0], v, 10)
	for len(s) < 5 {
		s = append([]byte{'0'}, s...)
	}
	dst = append(dst, s[:len(s)-4]...)
	dst = append(dst, '.')
	return append(dst, s[len(s)-4:]...)
}

// addReplyHumanLongDouble replies a coordinate as Redis's function of
// that name: "%.17Lf" of the value without trailing zeroes, a bulk string
// in RESP2 and a double in RESP3.
func (c *Client) addReplyHumanLongDouble(d float64) {
	var buf [64]byte
	b := strconv.AppendFloat(buf[:0], d, 'f', 17, 64)
	for b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b) == "-0" {
		b = b[1:]
	}
	if c.resp == 2 {
		c.addReplyBulk(b)
		return
	}
	if c.replying() {
		c.Reply = append(c.Reply, ',')
		c.Reply = append(c.Reply, b...)
		c.Reply = append(c.Reply, '\r', '\n')
	}
}

// geoGetPointsInRange appends the members with scores in [min, max) that
// lie in the shape, stopping at limit results (0: no limit).
func geoGetPointsInRange(zobj *Object, min, max float64, s *geoShape, ga []geoPoint, limit int64) []geoPoint {
	r := types.ZRange{ByScore: types.RangeSpec{Min: min, Max: max, MaxEx: true}}
	it := newZsetCursor(zobj)
	it.seekRange(&r, false)
	var buf [24]byte
	for ; it.valid(); it.next() {
		score := it.score()
		if !r.ByScore.LteMax(score) {
			break
		}
		if lon, lat, dist, ok := geoWithinShape(s, score); ok {
			e := it.elem()
			ga = append(ga, geoPoint{lon: lon, lat: lat, dist: dist, score: score, member: string(e.bytes(&buf))})
		}
		if len(ga) > 0 && limit > 0 && int64(len(ga)) >= limit {
			break
		}
	}
	return ga
}

// membersOfAllNeighbors searches the centre box and then its neighbours,
// in Redis's order, skipping a box equal to the one searched just before.
func membersOfAllNeighbors(zobj *Object, area *geoHashArea, neighbors *[8]geoHashBits, s *geoShape, limit int64) []geoPoint {
	var boxes [9]geoHashBits
	boxes[0] = area.hash
	copy(boxes[1:], neighbors[:])
	var ga []geoPoint
	last := 0
	for i, box := range boxes {
		if box.isZero() {
			continue
		}
		// As in Redis, "the one before" is only remembered once it is
		// not the centre box.
		if last != 0 && box == boxes[last] {
			continue
		}
		if len(ga) > 0 && limit > 0 && int64(len(ga)) >= limit {
			break
		}
		lo := geohashAlign52Bits(box)
		box.bits++
		hi := geohashAlign52Bits(box)
		ga = geoGetPointsInRange(zobj, float64(lo), float64(hi), s, ga, limit)
		last = i
	}
	return ga
}

// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
func geoaddCommand(c *Client) {
	argv := c.argv
	xx, nx := false, false
	longidx := 2
	for ; longidx < len(argv); longidx++ {
		opt := argv[longidx]
		if optIs(opt, "nx") {
			nx = true
		} else if optIs(opt, "xx") {
			xx = true
		} else if !optIs(opt, "ch") { // CH is ZADD's
			break
		}
	}
	if (len(argv)-longidx)%3 != 0 || xx && nx {
		c.addReplySyntaxError()
		return
	}
	elements := (len(argv) - longidx) / 3
	zargv := make([][]byte, 0, longidx+elements*2)
	zargv = append(zargv, []byte("zadd"))
	zargv = append(zargv, argv[1:longidx]...)
	for i := 0; i < elements; i++ {
		lon, lat, ok := extractLongLatOrReply(c, argv[longidx+i*3:])
		if !ok {
			return
		}
		hash, _ := geohashEncode(geoLongRange, geoLatRange, lon, lat, geoStepMax)
		score := strconv.AppendUint(nil, geohashAlign52Bits(hash), 10)
		zargv = append(zargv, score, argv[longidx+i*3+2])
	}
	// Redis replaces the command with ZADD: that is what runs and what
	// is propagated, while the slow log and MONITOR keep GEOADD.
	c.argv = zargv
	zaddGenericCommand(c, 0)
	c.argv = argv
	c.rewriteArgv(zargv...)
}

// The variants of georadiusGeneric (RADIUS_*, GEOSEARCH*).
const (
	radiusCoords = 1 << iota
	radiusMember
	radiusNoStore
	geoSearch
	geoSearchStore
)

// Sort orders of the results.
const (
	geoSortNone = iota
	geoSortAsc
	geoSortDesc
)

// georadiusGeneric implements GEORADIUS, GEORADIUSBYMEMBER, their _RO
// forms, GEOSEARCH and GEOSEARCHSTORE; srcKeyIndex is the position of the
// source key.
func georadiusGeneric(c *Client, srcKeyIndex int, flags int) {
	srv, argv := c.srv, c.argv
	var storekey []byte
	storedist := false
	zobj := c.lookupKeyRead(argv[srcKeyIndex])
	if zobj != nil && c.checkType(zobj, TypeZSet) {
		return
	}
	var s geoShape
	var baseArgs int
	switch {
	case flags&radiusCoords != 0:
		baseArgs = 6
		s.typ = geoCircular
		var ok bool
		if s.lon, s.lat, ok = extractLongLatOrReply(c, argv[2:]); !ok {
			return
		}
		if !extractDistanceOrReply(c, argv[baseArgs-2:], &s) {
			return
		}
	case flags&radiusMember != 0 && zobj == nil:
		// Nothing to search, but the options still decide the reply.
		baseArgs = 5
	case flags&radiusMember != 0:
		baseArgs = 5
		s.typ = geoCircular
		score, ok := zsetScore(zobj, argv[2])
		if !ok {
			c.addReplyError("could not decode requested zset member")
			return
		}
		s.lon, s.lat = decodeGeohash(score)
		if !extractDistanceOrReply(c, argv[baseArgs-2:], &s) {
			return
		}
	default: // GEOSEARCH
		baseArgs = 2
		if flags&geoSearchStore != 0 {
			baseArgs = 3
			storekey = argv[1]
		}
	}

	withdist, withhash, withcoords := false, false, false
	frommember, fromloc, byradius, bybox := false, false, false, false
	sort := geoSortNone
	anyFlag := false
	var count int64
	rest := argv[baseArgs:]
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		left := len(rest) - i - 1
		switch {
		case optIs(arg, "withdist"):
			withdist = true
		case optIs(arg, "withhash"):
			withhash = true
		case optIs(arg, "withcoord"):
			withcoords = true
		case optIs(arg, "any"):
			anyFlag = true
		case optIs(arg, "asc"):
			sort = geoSortAsc
		case optIs(arg, "desc"):
			sort = geoSortDesc
		case optIs(arg, "count") && left >= 1:
			var ok bool
			if count, ok = argLongLongOrReply(c, rest[i+1], ""); !ok {
				return
			}
			if count <= 0 {
				c.addReplyError("COUNT must be > 0")
				return
			}
			i++
		case (optIs(arg, "store") || optIs(arg, "storedist")) && left >= 1 &&
			flags&radiusNoStore == 0 && flags&geoSearch == 0:
			storekey = rest[i+1]
			storedist = optIs(arg, "storedist")
			i++
		case optIs(arg, "storedist") && flags&geoSearch != 0 && flags&geoSearchStore != 0:
			storedist = true
		case optIs(arg, "frommember") && left >= 1 && flags&geoSearch != 0 && !fromloc:
			if zobj != nil {
				score, ok := zsetScore(zobj, rest[i+1])
				if !ok {
					c.addReplyError("could not decode requested zset member")
					return
				}
				s.lon, s.lat = decodeGeohash(score)
			}
			frommember = true
			i++
		case optIs(arg, "fromlonlat") && left >= 2 && flags&geoSearch != 0 && !frommember:
			var ok bool
			if s.lon, s.lat, ok = extractLongLatOrReply(c, rest[i+1:]); !ok {
				return
			}
			fromloc = true
			i += 2
		case optIs(arg, "byradius") && left >= 2 && flags&geoSearch != 0 && !bybox:
			if !extractDistanceOrReply(c, rest[i+1:], &s) {
				return
			}
			s.typ = geoCircular
			byradius = true
			i += 2
		case optIs(arg, "bybox") && left >= 3 && flags&geoSearch != 0 && !byradius:
			if !extractBoxOrReply(c, rest[i+1:], &s) {
				return
			}
			s.typ = geoRectangle
			bybox = true
			i += 3
		default:
			c.addReplySyntaxError()
			return
		}
	}

	if storekey != nil && (withdist || withhash || withcoords) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.addReplyError(what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if flags&geoSearch != 0 && !frommember && !fromloc {
		c.addReplyError("exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(argv[0]))
		return
	}
	if flags&geoSearch != 0 && !byradius && !bybox {
		c.addReplyError("exactly one of BYRADIUS and BYBOX can be specified for " + string(argv[0]))
		return
	}
	if anyFlag && count == 0 {
		c.addReplyError("the ANY argument requires COUNT argument")
		return
	}

	if zobj == nil {
		if storekey != nil {
			if srv.dbDelete(c.db, storekey) {
				srv.signalModifiedKey(c, c.db, storekey)
				srv.notifyKeyspaceEvent(notifyGeneric, "del", storekey, c.db.id)
				srv.Dirty++
			}
			c.addReplyProto(sharedCZero)
		} else {
			c.addReplyProto(sharedEmptyArray)
		}
		return
	}

	// COUNT without an order means the nearest ones (unless ANY).
	if count != 0 && sort == geoSortNone && !anyFlag {
		sort = geoSortAsc
	}
	area, neighbors := geohashCalculateAreas(&s)
	limit := int64(0)
	if anyFlag {
		limit = count
	}
	ga := membersOfAllNeighbors(zobj, &area, &neighbors, &s, limit)
	if len(ga) == 0 && storekey == nil {
		c.addReplyProto(sharedEmptyArray)
		return
	}
	returned := len(ga)
	if count != 0 && int64(returned) > count {
		returned = int(count)
	}
	// glibc's qsort is a merge sort: equal distances keep their order.
	switch sort {
	case geoSortAsc:
		slices.SortStableFunc(ga, func(a, b geoPoint) int { return cmpFloat(a.dist, b.dist) })
	case geoSortDesc:
		slices.SortStableFunc(ga, func(a, b geoPoint) int { return cmpFloat(b.dist, a.dist) })
	}
	ga = ga[:returned]

	if storekey == nil {
		options := 0
		for _, w := range []bool{withdist, withcoords, withhash} {
			if w {
				options++
			}
		}
		c.addReplyArrayLen(returned)
		for i := range ga {
			gp := &ga[i]
			gp.dist /= s.conversion
			if options > 0 {
				c.addReplyArrayLen(options + 1)
			}
			c.addReplyBulkString(gp.member)
			if withdist {
				c.addReplyDoubleDistance(gp.dist)
			}
			if withhash {
				c.addReplyInt(int64(gp.score))
			}
			if withcoords {
				c.addReplyArrayLen(2)
				c.addReplyHumanLongDouble(gp.lon)
				c.addReplyHumanLongDouble(gp.lat)
			}
		}
		return
	}

	if returned > 0 {
		zs := types.NewZset()
		maxelelen, totelelen := 0, 0
		for i := range ga {
			gp := &ga[i]
			gp.dist /= s.conversion
			score := gp.score
			if storedist {
				score = gp.dist
			}
			maxelelen = max(maxelelen, len(gp.member))
			totelelen += len(gp.member)
			zs.Insert(gp.member, score)
		}
		var o Object
		o.SetPtr(TypeZSet, encSkiplist, unsafe.Pointer(zs))
		zsetConvertToListpackIfNeeded(srv, &o, maxelelen, totelelen)
		srv.setKey(c, c.db, storekey, o, 0)
		event := "georadiusstore"
		if flags&geoSearch != 0 {
			event = "geosearchstore"
		}
		srv.notifyKeyspaceEvent(notifyZSet, event, storekey, c.db.id)
		srv.Dirty += int64(returned)
	} else if srv.dbDelete(c.db, storekey) {
		srv.signalModifiedKey(c, c.db, storekey)
		srv.notifyKeyspaceEvent(notifyGeneric, "del", storekey, c.db.id)
		srv.Dirty++
	}
	c.addReplyInt(int64(returned))
}

// cmpFloat orders two distances (which are never NaN).
func cmpFloat(a, b float64) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}

// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]
func georadiusCommand(c *Client) { georadiusGeneric(c, 1, radiusCoords) }

// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]
func georadiusbymemberCommand(c *Client) { georadiusGeneric(c, 1, radiusMember) }

// GEORADIUS_RO key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]
func georadiusroCommand(c *Client) { georadiusGeneric(c, 1, radiusCoords|radiusNoStore) }

// GEORADIUSBYMEMBER_RO key member radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]
func georadiusbymemberroCommand(c *Client) { georadiusGeneric(c, 1, radiusMember|radiusNoStore) }

// GEOSEARCH key FROMMEMBER member|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
func geosearchCommand(c *Client) { georadiusGeneric(c, 1, geoSearch) }

// GEOSEARCHSTORE destination source FROMMEMBER member|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [ASC|DESC] [COUNT count [ANY]] [STOREDIST]
func geosearchstoreCommand(c *Client) { georadiusGeneric(c, 2, geoSearch|geoSearchStore) }

// geoAlphabet is the base-32 alphabet of standard geohashes.
const geoAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// GEOHASH key [member [member ...]]
func geohashCommand(c *Client) {
	zobj := c.lookupKeyRead(c.argv[1])
	if zobj != nil && c.checkType(zobj, TypeZSet) {
		return
	}
	c.addReplyArrayLen(len(c.argv) - 2)
	for _, m := range c.argv[2:] {
		var score float64
		ok := false
		if zobj != nil {
			score, ok = zsetScore(zobj, m)
		}
		if !ok {
			c.addReplyNull()
			continue
		}
		// Our latitude range is ±85.05…; a standard geohash uses ±90,
		// so the position is hashed again.
		lon, lat := decodeGeohash(score)
		hash, _ := geohashEncode(geoHashRange{-180, 180}, geoHashRange{-90, 90}, lon, lat, 26)
		var buf [11]byte
		for i := 0; i < 11; i++ {
			idx := 0
			if i < 10 {
				idx = int(hash.bits>>(52-(i+1)*5)) & 0x1f
			}
			buf[i] = geoAlphabet[idx]
		}
		c.addReplyBulk(buf[:])
	}
}

// GEOPOS key [member [member ...]]
func geoposCommand(c *Client) {
	zobj := c.lookupKeyRead(c.argv[1])
	if zobj != nil && c.checkType(zobj, TypeZSet) {
		return
	}
	c.addReplyArrayLen(len(c.argv) - 2)
	for _, m := range c.argv[2:] {
		var score float64
		ok := false
		if zobj != nil {
			score, ok = zsetScore(zobj, m)
		}
		if !ok {
			c.addReplyNullArray()
			continue
		}
		lon, lat := decodeGeohash(score)
		c.addReplyArrayLen(2)
		c.addReplyHumanLongDouble(lon)
		c.addReplyHumanLongDouble(lat)
	}
}

// GEODIST key member1 member2 [M|KM|FT|MI]
func geodistCommand(c *Client) {
	toMeter := 1.0
	if len(c.argv) == 5 {
		if toMeter = extractUnitOrReply(c, c.argv[4]); toMeter < 0 {
			return
		}
	} else if len(c.argv) > 5 {
		c.addReplySyntaxError()
		return
	}
	zobj := c.lookupKeyRead(c.argv[1])
	if zobj == nil {
		c.addReplyNull()
		return
	}
	if c.checkType(zobj, TypeZSet) {
		return
	}
	s1, ok1 := zsetScore(zobj, c.argv[2])
	s2, ok2 := zsetScore(zobj, c.argv[3])
	if !ok1 || !ok2 {
		c.addReplyNull()
		return
	}
	lon1, lat1 := decodeGeohash(s1)
	lon2, lat2 := decodeGeohash(s2)
	c.addReplyDoubleDistance(geohashGetDistance(lon1, lat1, lon2, lat2) / toMeter)
}
