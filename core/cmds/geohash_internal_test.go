package cmds

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// Tests of the correctly rounded sin, cos and asin of geohash.go against
// 200-bit references computed with math/big.

const bigPrec = 200

// bigSinCos returns sin and cos of x by their Taylor series at bigPrec
// bits (|x| <= 2 here, where the series converge quickly).
func bigSinCos(x *big.Float) (s, c *big.Float) {
	x2 := new(big.Float).SetPrec(bigPrec).Mul(x, x)
	s = new(big.Float).SetPrec(bigPrec).Set(x)
	c = new(big.Float).SetPrec(bigPrec).SetInt64(1)
	ts := new(big.Float).SetPrec(bigPrec).Set(x)
	tc := new(big.Float).SetPrec(bigPrec).SetInt64(1)
	for n := int64(1); n < 60; n++ {
		ts.Mul(ts, x2).Quo(ts, big.NewFloat(float64(-(2*n)*(2*n+1))))
		tc.Mul(tc, x2).Quo(tc, big.NewFloat(float64(-(2*n-1)*(2*n))))
		s.Add(s, ts)
		c.Add(c, tc)
	}
	return s, c
}

func bigF(x float64) *big.Float { return new(big.Float).SetPrec(bigPrec).SetFloat64(x) }

func TestGeoTrigCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i := 0; i < 3000; i++ {
		x := (r.Float64()*2 - 1) * 1.9
		if i%3 == 0 {
			x *= 1e-4
		}
		s, c := bigSinCos(bigF(x))
		if want, _ := s.Float64(); geoSin(x) != want {
			t.Errorf("sin(%v) = %v, want %v", x, geoSin(x), want)
		}
		if want, _ := c.Float64(); geoCos(x) != want {
			t.Errorf("cos(%v) = %v, want %v", x, geoCos(x), want)
		}
	}
	// asin(x) = y is correctly rounded when the true value lies between
	// the midpoints around y: sin(lo) <= x <= sin(hi).
	for i := 0; i < 3000; i++ {
		x := math.Sqrt(r.Float64())
		if i%3 == 0 {
			x = 1 - r.Float64()*1e-9
		}
		y := geoAsin(x)
		half := new(big.Float).SetPrec(bigPrec).SetFloat64(0.5)
		lo := new(big.Float).SetPrec(bigPrec).Add(bigF(y), bigF(math.Nextafter(y, 0)))
		hi := new(big.Float).SetPrec(bigPrec).Add(bigF(y), bigF(math.Nextafter(y, 2)))
		lo.Mul(lo, half)
		hi.Mul(hi, half)
		slo, _ := bigSinCos(lo)
		shi, _ := bigSinCos(hi)
		if slo.Cmp(bigF(x)) > 0 || shi.Cmp(bigF(x)) < 0 {
			t.Errorf("asin(%v) = %v is not the nearest double", x, y)
		}
	}
}
