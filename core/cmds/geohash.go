package cmds

import "math"

// Geohashes for the geo family, after Redis 7.0's geohash.c and
// geohash_helper.c. A position is stored as the score of a sorted set
// member: the 52-bit interleave of 26 bits of latitude (even bits) and 26
// of longitude (odd bits), each the offset in the range [-85.05112878,
// 85.05112878] or [-180, 180]. A search covers the box of the centre's
// hash at a step chosen from the radius plus its eight neighbours, each
// box a range of scores.
//
// Every arithmetic step is a float64 operation in Redis's order; products
// that feed a sum are converted explicitly so that the compiler cannot fuse
// them into an FMA, which would round differently from Redis.

const (
	geoStepMax  = 26 // 26*2 = 52 bits
	geoLatMin   = -85.05112878
	geoLatMax   = 85.05112878
	geoLongMin  = -180
	geoLongMax  = 180
	earthRadius = 6372797.560856 // EARTH_RADIUS_IN_METERS
	mercatorMax = 20037726.37
)

// geoDegToRad is Redis's D_R, M_PI/180.0 rounded as a double division.
var geoDegToRad = func() float64 {
	pi := math.Pi
	return pi / 180.0
}()

func degRad(ang float64) float64 { return ang * geoDegToRad }
func radDeg(ang float64) float64 { return ang / geoDegToRad }

// geoHashBits is a hash of step*2 bits (GeoHashBits); the zero value is
// an empty neighbour.
type geoHashBits struct {
	bits uint64
	step uint8
}

func (h geoHashBits) isZero() bool { return h.bits == 0 && h.step == 0 }

type geoHashRange struct{ min, max float64 }

// geoHashArea is a hash with the box it covers.
type geoHashArea struct {
	hash     geoHashBits
	lon, lat geoHashRange
}

var (
	geoLongRange = geoHashRange{geoLongMin, geoLongMax}
	geoLatRange  = geoHashRange{geoLatMin, geoLatMax}
)

// interleave64 interleaves the bits of x (even positions) and y (odd).
func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

// deinterleave64 undoes interleave64: x in the low 32 bits, y in the high.
func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := range s {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// geohashEncode hashes a position at step within the given ranges; false
// when it is outside them or the step is not in 1..32.
func geohashEncode(lonR, latR geoHashRange, lon, lat float64, step uint8) (geoHashBits, bool) {
	if step > 32 || step == 0 {
		return geoHashBits{}, false
	}
	if lon > geoLongMax || lon < geoLongMin || lat > geoLatMax || lat < geoLatMin {
		return geoHashBits{}, false
	}
	h := geoHashBits{step: step}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return h, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	h.bits = interleave64(uint32(latOff), uint32(lonOff))
	return h, true
}

// geohashDecode returns the box a hash covers.
func geohashDecode(lonR, latR geoHashRange, h geoHashBits) (geoHashArea, bool) {
	if h.isZero() {
		return geoHashArea{}, false
	}
	sep := deinterleave64(h.bits)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	a := geoHashArea{hash: h}
	a.lat.min = latR.min + float64(float64(ilato)/div*latScale)
	a.lat.max = latR.min + float64(float64(ilato+1)/div*latScale)
	a.lon.min = lonR.min + float64(float64(ilono)/div*lonScale)
	a.lon.max = lonR.min + float64(float64(ilono+1)/div*lonScale)
	return a, true
}

// geohashAreaCenter returns the centre of a box, clamped to the valid
// ranges.
func geohashAreaCenter(a *geoHashArea) (lon, lat float64) {
	lon = (a.lon.min + a.lon.max) / 2
	lon = min(max(lon, geoLongMin), geoLongMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

// geoScoreBits converts a score to the unsigned integer C's (uint64_t)
// cast gives on x86-64 (negative and huge scores included).
func geoScoreBits(score float64) uint64 {
	const two63 = 1 << 63
	if score >= two63 {
		return uint64(int64(score-two63)) ^ (1 << 63)
	}
	return uint64(int64(score))
}

// decodeGeohash returns the centre of the 52-bit box of a score.
func decodeGeohash(score float64) (lon, lat float64) {
	a, _ := geohashDecode(geoLongRange, geoLatRange, geoHashBits{bits: geoScoreBits(score), step: geoStepMax})
	return geohashAreaCenter(&a)
}

// geohashAlign52Bits shifts a hash to the 52 bits of a score.
func geohashAlign52Bits(h geoHashBits) uint64 {
	return h.bits << (52 - uint(h.step)*2)
}

func geohashMoveX(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= 0xaaaaaaaaaaaaaaaa >> (64 - uint(h.step)*2)
	h.bits = x | y
}

func geohashMoveY(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= 0x5555555555555555 >> (64 - uint(h.step)*2)
	h.bits = x | y
}

// The eight neighbours, in the order Redis searches them after the
// centre box.
const (
	geoNorth = iota
	geoSouth
	geoEast
	geoWest
	geoNorthEast
	geoNorthWest
	geoSouthEast
	geoSouthWest
)

// geohashNeighbors returns the eight boxes around h.
func geohashNeighbors(h geoHashBits) [8]geoHashBits {
	moves := [8][2]int{
		geoNorth: {0, 1}, geoSouth: {0, -1}, geoEast: {1, 0}, geoWest: {-1, 0},
		geoNorthEast: {1, 1}, geoNorthWest: {-1, 1}, geoSouthEast: {1, -1}, geoSouthWest: {-1, -1},
	}
	var n [8]geoHashBits
	for i, m := range moves {
		n[i] = h
		geohashMoveX(&n[i], m[0])
		geohashMoveY(&n[i], m[1])
	}
	return n
}

// geohashEstimateStepsByRadius picks the step whose boxes are about the
// radius, one or two coarser near the poles.
func geohashEstimateStepsByRadius(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// Search shapes (CIRCULAR_TYPE, RECTANGLE_TYPE).
const (
	geoCircular  = 1
	geoRectangle = 2
)

// geoShape is the area of a search (GeoShape): a centre, a radius or a
// box's width and height in the unit, the unit in meters, and the
// bounding box (min lon, min lat, max lon, max lat) once computed.
type geoShape struct {
	typ           int
	lon, lat      float64
	conversion    float64
	bounds        [4]float64
	radius        float64
	width, height float64
	cosLat        float64 // cos of the centre's latitude, once computed
}

// geohashBoundingBox computes the shape's bounding box.
func geohashBoundingBox(s *geoShape) {
	height, width := s.conversion*s.radius, s.conversion*s.radius
	if s.typ != geoCircular {
		height = s.conversion * (s.height / 2)
		width = s.conversion * (s.width / 2)
	}
	latDelta := radDeg(height / earthRadius)
	lonDeltaTop := radDeg(width / earthRadius / geoCos(degRad(s.lat+latDelta)))
	lonDeltaBottom := radDeg(width / earthRadius / geoCos(degRad(s.lat-latDelta)))
	if s.lat < 0 {
		s.bounds[0] = s.lon - lonDeltaBottom
		s.bounds[2] = s.lon + lonDeltaBottom
	} else {
		s.bounds[0] = s.lon - lonDeltaTop
		s.bounds[2] = s.lon + lonDeltaTop
	}
	s.bounds[1] = s.lat - latDelta
	s.bounds[3] = s.lat + latDelta
}

// geohashCalculateAreas returns the centre box of a search and its
// neighbours (zero where a neighbour lies wholly outside the bounding box).
func geohashCalculateAreas(s *geoShape) (geoHashArea, [8]geoHashBits) {
	s.cosLat = geoCos(degRad(s.lat))
	geohashBoundingBox(s)
	minLon, minLat, maxLon, maxLat := s.bounds[0], s.bounds[1], s.bounds[2], s.bounds[3]
	radius := s.radius
	if s.typ != geoCircular {
		radius = math.Sqrt(float64(s.width/2*(s.width/2)) + float64(s.height/2*(s.height/2)))
	}
	radius *= s.conversion
	steps := geohashEstimateStepsByRadius(radius, s.lat)
	hash, _ := geohashEncode(geoLongRange, geoLatRange, s.lon, s.lat, steps)
	neighbors := geohashNeighbors(hash)
	area, _ := geohashDecode(geoLongRange, geoLatRange, hash)

	// The step may still be too fine: the neighbours must reach the
	// bounding box's edges, or one step coarser is used.
	decrease := false
	north, _ := geohashDecode(geoLongRange, geoLatRange, neighbors[geoNorth])
	south, _ := geohashDecode(geoLongRange, geoLatRange, neighbors[geoSouth])
	east, _ := geohashDecode(geoLongRange, geoLatRange, neighbors[geoEast])
	west, _ := geohashDecode(geoLongRange, geoLatRange, neighbors[geoWest])
	if north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon {
		decrease = true
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = geohashEncode(geoLongRange, geoLatRange, s.lon, s.lat, steps)
		neighbors = geohashNeighbors(hash)
		area, _ = geohashDecode(geoLongRange, geoLatRange, hash)
	}
	// Neighbours wholly outside the bounding box are dropped.
	if steps >= 2 {
		zero := func(dirs ...int) {
			for _, d := range dirs {
				neighbors[d] = geoHashBits{}
			}
		}
		if area.lat.min < minLat {
			zero(geoSouth, geoSouthWest, geoSouthEast)
		}
		if area.lat.max > maxLat {
			zero(geoNorth, geoNorthEast, geoNorthWest)
		}
		if area.lon.min < minLon {
			zero(geoWest, geoSouthWest, geoNorthWest)
		}
		if area.lon.max > maxLon {
			zero(geoEast, geoSouthEast, geoNorthEast)
		}
	}
	area.hash = hash
	return area, neighbors
}

// geohashGetLatDistance is the distance along a meridian.
func geohashGetLatDistance(lat1, lat2 float64) float64 {
	return earthRadius * math.Abs(degRad(lat2)-degRad(lat1))
}

// geohashGetDistance is the haversine distance in meters.
func geohashGetDistance(lon1, lat1, lon2, lat2 float64) float64 {
	return geoDistance(lon1, lat1, geoCos(degRad(lat1)), lon2, lat2)
}

// geoDistance is geohashGetDistance with the cosine of the first
// latitude given (a search computes its centre's once).
func geoDistance(lon1, lat1, cosLat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := geoSin((lon2r - lon1r) / 2)
	if v == 0 {
		return geohashGetLatDistance(lat1, lat2)
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := geoSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(cosLat1*geoCos(lat2r))*v)*v)
	return 2.0 * earthRadius * geoAsin(math.Sqrt(a))
}

// geoDistanceFast is the haversine on the math package's functions: a
// few ULPs off, good enough to tell that a point is clearly outside.
func geoDistanceFast(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0 {
		return geohashGetLatDistance(lat1, lat2)
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := math.Sin((lat2r - lat1r) / 2)
	a := u*u + math.Cos(lat1r)*math.Cos(lat2r)*v*v
	return 2.0 * earthRadius * math.Asin(math.Sqrt(a))
}

// clearlyBeyond reports whether a fast distance d is so far past limit
// that the exact one cannot be within it.
func clearlyBeyond(d, limit float64) bool {
	return d > limit+1e-9*(d+1)
}

// geoWithinShape decodes a score and reports whether the position lies in
// the shape, with its distance from the centre in meters. The exact
// distance (as Redis computes it, which is costly here) is only computed
// for points not clearly outside.
func geoWithinShape(s *geoShape, score float64) (lon, lat, dist float64, ok bool) {
	lon, lat = decodeGeohash(score)
	if s.typ == geoCircular {
		limit := s.radius * s.conversion
		if clearlyBeyond(geoDistanceFast(s.lon, s.lat, lon, lat), limit) {
			return lon, lat, 0, false
		}
		dist = geoDistance(s.lon, s.lat, s.cosLat, lon, lat)
		return lon, lat, dist, dist <= limit
	}
	widthM, heightM := s.width*s.conversion, s.height*s.conversion
	if geohashGetLatDistance(lat, s.lat) > heightM/2 {
		return lon, lat, 0, false
	}
	if clearlyBeyond(geoDistanceFast(lon, lat, s.lon, lat), widthM/2) ||
		geohashGetDistance(lon, lat, s.lon, lat) > widthM/2 {
		return lon, lat, 0, false
	}
	return lon, lat, geoDistance(s.lon, s.lat, s.cosLat, lon, lat), true
}

// ---------------------------------------------------------------------------
// Correctly rounded sin, cos and asin.
//
// Redis calls glibc's sin, cos and asin, which round correctly in all but
// the rarest cases; Go's math package is a few ULPs off, enough to change
// the distances STOREDIST stores with all their digits. These compute in
// double-double arithmetic (about 106 bits) and round once.

// dd is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	p.lo += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p.hi, p.lo)
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

// π/2 in three pieces, the first two with their trailing bits zero so that
// k times them is exact for small k (fdlibm's pio2_1, pio2_2, pio2_3).
const (
	pio2p1 = 1.57079632673412561417e+00
	pio2p2 = 6.07710050630396597660e-11
	pio2p3 = 2.02226624871116645580e-21
	pio2p4 = 8.47842766036889956997e-32
)

// ddReduce returns x - k·π/2 with |result| <= ~π/4, and k mod 4.
func ddReduce(x dd) (dd, int) {
	k := math.Round(x.hi / (math.Pi / 2))
	r := dd{x.hi - k*pio2p1, 0}
	r = ddAdd(r, dd{x.lo, 0})
	r = ddAdd(r, ddNeg(twoProd(k, pio2p2)))
	r = ddAdd(r, ddNeg(twoProd(k, pio2p3)))
	r = ddAdd(r, dd{-k * pio2p4, 0})
	return r, int(int64(k) & 3)
}

// ddRecip returns 1/n in double-double (n an exact double).
func ddRecip(n float64) dd {
	h := 1 / n
	return dd{h, -math.FMA(n, h, -1) / n}
}

func ddMulD(a dd, b float64) dd {
	p := twoProd(a.hi, b)
	p.lo += a.lo * b
	return quickTwoSum(p.hi, p.lo)
}

// The Taylor coefficients 1/k! that must be double-double; the smaller
// ones (below 2^-17 of the result for |r| <= π/4) are plain doubles.
var (
	ddInvFact3 = ddRecip(6)
	ddInvFact5 = ddRecip(120)
	ddInvFact7 = ddRecip(5040)
	ddInvFact2 = ddRecip(2)
	ddInvFact4 = ddRecip(24)
	ddInvFact6 = ddRecip(720)
	ddInvFact8 = ddRecip(40320)
)

// ddSinKernel and ddCosKernel return sin and cos of |r| <= ~π/4 by their
// Taylor series, the leading terms in double-double and the tail in double.
func ddSinKernel(r dd) dd {
	r2 := ddMul(r, r)
	x := r2.hi
	// sin r = r + r·r²·(-1/3! + r²(1/5! + r²(-1/7! + r²·q)))
	q := 1/362880.0 + x*(-1/39916800.0+x*(1/6227020800.0+x*(-1/1307674368000.0+x*(1/355687428096000.0))))
	u := ddAdd(ddNeg(ddInvFact7), dd{x * q, 0})
	u = ddAdd(ddInvFact5, ddMul(r2, u))
	u = ddAdd(ddNeg(ddInvFact3), ddMul(r2, u))
	return ddAdd(r, ddMul(ddMul(r, r2), u))
}

func ddCosKernel(r dd) dd {
	r2 := ddMul(r, r)
	x := r2.hi
	// cos r = 1 + r²·(-1/2! + r²(1/4! + r²(-1/6! + r²(1/8! + r²·q))))
	q := -1/3628800.0 + x*(1/479001600.0+x*(-1/87178291200.0+x*(1/20922789888000.0+x*(-1/6402373705728000.0))))
	u := ddAdd(ddInvFact8, dd{x * q, 0})
	u = ddAdd(ddNeg(ddInvFact6), ddMul(r2, u))
	u = ddAdd(ddInvFact4, ddMul(r2, u))
	u = ddAdd(ddNeg(ddInvFact2), ddMul(r2, u))
	return ddAdd(dd{1, 0}, ddMul(r2, u))
}

// ddSin returns sin x.
func ddSin(x dd) dd {
	r, q := ddReduce(x)
	switch q {
	case 0:
		return ddSinKernel(r)
	case 1:
		return ddCosKernel(r)
	case 2:
		return ddNeg(ddSinKernel(r))
	}
	return ddNeg(ddCosKernel(r))
}

// ddCos returns cos x.
func ddCos(x dd) dd {
	r, q := ddReduce(x)
	switch q {
	case 0:
		return ddCosKernel(r)
	case 1:
		return ddNeg(ddSinKernel(r))
	case 2:
		return ddNeg(ddCosKernel(r))
	}
	return ddSinKernel(r)
}

// The reduction above is exact for arguments up to about 2^20·π/2; beyond
// that (absurd radii only) the math package's functions are used.
const geoTrigMax = 1 << 20

func geoSin(x float64) float64 {
	if math.Abs(x) > geoTrigMax || x == 0 || math.IsNaN(x) {
		return math.Sin(x)
	}
	s := ddSin(dd{x, 0})
	return s.hi + s.lo
}

func geoCos(x float64) float64 {
	if math.Abs(x) > geoTrigMax || math.IsNaN(x) {
		return math.Cos(x)
	}
	c := ddCos(dd{x, 0})
	return c.hi + c.lo
}

// geoAsin refines math.Asin by Newton's method on sin in double-double.
func geoAsin(x float64) float64 {
	if x == 0 || math.IsNaN(x) || x > 1 || x < -1 {
		return math.Asin(x)
	}
	if x == 1 {
		return math.Pi / 2
	}
	if x == -1 {
		return -math.Pi / 2
	}
	// One Newton step from math.Asin's few-ULP error leaves an error of
	// about tan(y)·err², far below what rounding needs; the residual
	// needs double-double, the division by cos y does not.
	y0 := math.Asin(x)
	resid := ddAdd(ddSin(dd{y0, 0}), dd{-x, 0})
	y := twoSum(y0, -resid.hi/math.Cos(y0))
	return y.hi + y.lo
}
