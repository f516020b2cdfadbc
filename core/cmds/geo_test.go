package cmds_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redisfs/redisfs/core/cmds"
	"github.com/redisfs/redisfs/core/proto"
	"github.com/redisfs/redisfs/core/redistest"
	"github.com/redisfs/redisfs/core/server"
)

// Tests of the geo family against a real Redis: the transcript, and random
// points searched with random centres, radii, boxes and options, compared
// byte for byte (unsorted results included: their order is the order in
// which Redis scans the nine boxes).

func TestGeoTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "geo.txt"), nil)
}

func geoCoord(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// geoRandCenter returns a centre: anywhere, near a pole or near the
// antimeridian.
func geoRandCenter(r *rand.Rand) (lon, lat float64) {
	switch r.IntN(5) {
	case 0:
		return r.Float64()*360 - 180, 60 + r.Float64()*25*geoSign(r)
	case 1:
		return 179 + r.Float64()*geoSign(r), r.Float64()*160 - 80
	}
	return r.Float64()*360 - 180, r.Float64()*160 - 80
}

func geoSign(r *rand.Rand) float64 {
	if r.IntN(2) == 0 {
		return -1
	}
	return 1
}

// geoRandPoint returns a point around the centre, spread by up to spread
// degrees, clamped to what GEOADD accepts.
func geoRandPoint(r *rand.Rand, lon, lat, spread float64) (float64, float64) {
	lon += (r.Float64()*2 - 1) * spread
	lat += (r.Float64()*2 - 1) * spread
	for lon > 180 {
		lon -= 360
	}
	for lon < -180 {
		lon += 360
	}
	lat = max(min(lat, 85.05), -85.05)
	return lon, lat
}

var geoUnits = []string{"m", "km", "ft", "mi", "KM"}

// geoUnitRadius returns a radius in a random unit, from meters to
// thousands of kilometers.
func geoUnitRadius(r *rand.Rand) (string, string) {
	unit := geoUnits[r.IntN(len(geoUnits))]
	meters := []float64{0, 50, 5000, 100e3, 1000e3, 6000e3}[r.IntN(6)] * (0.5 + r.Float64())
	conv := map[string]float64{"m": 1, "km": 1000, "KM": 1000, "ft": 0.3048, "mi": 1609.34}[unit]
	return strconv.FormatFloat(meters/conv, 'f', 3, 64), unit
}

// geoRandOptions returns a random set of search options.
func geoRandOptions(r *rand.Rand, store bool) []string {
	var o []string
	if !store {
		for _, w := range []string{"WITHDIST", "WITHCOORD", "WITHHASH"} {
			if r.IntN(2) == 0 {
				o = append(o, w)
			}
		}
	}
	switch r.IntN(3) {
	case 0:
		o = append(o, "ASC")
	case 1:
		o = append(o, "DESC")
	}
	if r.IntN(2) == 0 {
		o = append(o, "COUNT", strconv.Itoa(1+r.IntN(20)))
		if r.IntN(3) == 0 {
			o = append(o, "ANY")
		}
	}
	return o
}

// storeMode is how the scores a search stored compare: geohashes exactly,
// distances (STOREDIST) within 1e-9. Our sin, cos and asin round
// correctly; glibc's miss in about one call in a thousand, and the
// distance's last bit then differs.
func storeMode(opts []string) redistest.Mode {
	for _, o := range opts {
		if o == "STOREDIST" {
			return redistest.Approx
		}
	}
	return redistest.Exact
}

func TestGeoRandomSearch(t *testing.T) {
	p := newRefPair(t)
	r := rand.New(rand.NewPCG(11, 12))
	for round := 0; round < 40; round++ {
		p.Do("FLUSHALL")
		if round%2 == 1 {
			p.DoMode(redistest.Any, "HELLO", "3")
		} else {
			p.DoMode(redistest.Any, "HELLO", "2")
		}
		clon, clat := geoRandCenter(r)
		n := []int{5, 60, 400}[round%3]
		spread := []float64{0.01, 0.5, 5, 60}[r.IntN(4)]
		var members []string
		args := []string{"GEOADD", "g"}
		for i := 0; i < n; i++ {
			lon, lat := geoRandPoint(r, clon, clat, spread)
			m := "m" + strconv.Itoa(i)
			if i%7 == 0 {
				m = strconv.Itoa(i) // integer members in a listpack
			}
			members = append(members, m)
			args = append(args, geoCoord(lon), geoCoord(lat), m)
		}
		p.Do(args...)
		p.Do("OBJECT", "ENCODING", "g")
		for q := 0; q < 40; q++ {
			lon, lat := geoRandPoint(r, clon, clat, spread)
			radius, unit := geoUnitRadius(r)
			member := members[r.IntN(len(members))]
			switch r.IntN(8) {
			case 0:
				p.Do(append([]string{"GEORADIUS", "g", geoCoord(lon), geoCoord(lat), radius, unit}, geoRandOptions(r, false)...)...)
			case 1:
				p.Do(append([]string{"GEORADIUSBYMEMBER_RO", "g", member, radius, unit}, geoRandOptions(r, false)...)...)
			case 2:
				w, _ := geoUnitRadius(r)
				p.Do(append([]string{"GEOSEARCH", "g", "FROMLONLAT", geoCoord(lon), geoCoord(lat), "BYBOX", radius, w, unit}, geoRandOptions(r, false)...)...)
			case 3:
				p.Do(append([]string{"GEOSEARCH", "g", "FROMMEMBER", member, "BYRADIUS", radius, unit}, geoRandOptions(r, false)...)...)
			case 4:
				opts := geoRandOptions(r, true)
				if r.IntN(2) == 0 {
					opts = append(opts, "STOREDIST")
				}
				p.Do(append([]string{"GEOSEARCHSTORE", "dst", "g", "FROMMEMBER", member, "BYBOX", radius, radius, unit}, opts...)...)
				p.DoMode(storeMode(opts), "ZRANGE", "dst", "0", "-1", "WITHSCORES")
				p.Do("OBJECT", "ENCODING", "dst")
			case 5:
				store := []string{"STORE", "STOREDIST"}[r.IntN(2)]
				p.Do(append([]string{"GEORADIUS", "g", geoCoord(lon), geoCoord(lat), radius, unit, store, "dst"}, geoRandOptions(r, true)...)...)
				p.DoMode(storeMode([]string{store}), "ZRANGE", "dst", "0", "-1", "WITHSCORES")
			case 6:
				p.Do("GEODIST", "g", member, members[r.IntN(len(members))], unit)
				p.Do("GEOPOS", "g", member, "nosuch", members[r.IntN(len(members))])
				p.Do("GEOHASH", "g", member, "nosuch", members[r.IntN(len(members))])
			case 7:
				p.Do(append([]string{"GEORADIUSBYMEMBER", "g", member, radius, unit}, geoRandOptions(r, false)...)...)
			}
		}
	}
}

// TestGeoAddOptions compares GEOADD's options, replies and what ends up
// stored, with both encodings.
func TestGeoAddOptions(t *testing.T) {
	p := newRefPair(t)
	r := rand.New(rand.NewPCG(13, 14))
	opts := [][]string{nil, {"NX"}, {"XX"}, {"CH"}, {"NX", "CH"}, {"CH", "XX"}, {"nx", "xx"}, {"GT"}}
	for i := 0; i < 200; i++ {
		args := []string{"GEOADD", "g"}
		args = append(args, opts[r.IntN(len(opts))]...)
		for j := 0; j < 1+r.IntN(5); j++ {
			lon, lat := geoRandPoint(r, 0, 0, 180)
			args = append(args, geoCoord(lon), geoCoord(lat), "m"+strconv.Itoa(r.IntN(200)))
		}
		p.Do(args...)
	}
	p.Do("ZRANGE", "g", "0", "-1", "WITHSCORES")
	p.Do("OBJECT", "ENCODING", "g")
}

// TestGeoHLLPropagation compares what the geo and HyperLogLog commands
// propagate with Redis's replication stream: GEOADD as the ZADD it runs,
// the STORE forms as themselves, PFCOUNT only when it caches a count.
func TestGeoHLLPropagation(t *testing.T) {
	refAddr := redistest.StartRedis(t)
	refStream := replStream(t, refAddr)

	cfg := cmds.DefaultConfig()
	cfg.Port, cfg.Bind, cfg.Save, cfg.AppendOnly, cfg.Dir = 0, []string{"127.0.0.1"}, "", false, t.TempDir()
	srv := cmds.NewServer(cfg)
	srv.LogOut = nil
	var mu sync.Mutex
	var ours [][]string
	srv.SetPropagationFeed(func(dbid int, cmd []byte) {
		r, _, err := proto.ReadReply(cmd)
		if err != nil {
			t.Errorf("feed: %v", err)
			return
		}
		var args []string
		for _, e := range r.Elems {
			args = append(args, string(e.Str))
		}
		mu.Lock()
		ours = append(ours, args)
		mu.Unlock()
	})
	s, err := server.New(srv)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.Run() }()
	defer func() { s.Stop(); <-done }()

	p := redistest.NewPair(t, refAddr, s.Addr())
	steps := [][]string{
		{"GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
		{"GEOADD", "g", "NX", "CH", "13", "38", "Palermo", "14", "37", "Gela"},
		{"GEOADD", "g", "XX", "13", "38", "Palermo"},
		{"GEOADD", "g", "200", "38", "bad"},
		{"GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d1"},
		{"GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STOREDIST", "d2"},
		{"GEOSEARCHSTORE", "d3", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"},
		{"GEOSEARCHSTORE", "d3", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"},
		{"GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"},
		{"PFADD", "h", "a", "b", "c"},
		{"PFADD", "h", "a"},
		{"PFCOUNT", "h"},
		{"PFCOUNT", "h"},
		{"PFCOUNT", "h", "nokey"},
		{"PFMERGE", "h2", "h"},
		{"PFDEBUG", "TODENSE", "h2"},
		{"PFDEBUG", "GETREG", "h"},
	}
	for i, step := range steps {
		p.Do(step...)
		marker := strconv.Itoa(i)
		p.Do("SET", "__end__", marker)
		want := refStream(marker)
		var got [][]string
		for deadline := time.Now().Add(redistest.WaitTime); time.Now().Before(deadline); {
			mu.Lock()
			n := len(ours)
			done := n > 0 && len(ours[n-1]) == 3 && ours[n-1][1] == "__end__" && ours[n-1][2] == marker
			mu.Unlock()
			if done {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		got, ours = ours, nil
		mu.Unlock()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s propagated\n    redis: %q\n    ours:  %q", redistest.QuoteArgs(step), want, got)
		}
	}
}
