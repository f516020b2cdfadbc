package fs

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestKeyNames(t *testing.T) {
	cases := []struct{ key, name string }{
		{"foo", "foo"},
		{"", "%"},
		{".", "%2E"},
		{"..", "%2E."},
		{".hidden", "%2Ehidden"},
		{"a.b", "a.b"},
		{"a/b", "a%2Fb"},
		{"100%", "100%25"},
		{"%", "%25"},
		{"tab\there", "tab%09here"},
		{"nul\x00", "nul%00"},
		{"del\x7f", "del%7F"},
		{"sp ace", "sp ace"},
		{"héllo", "héllo"},
		{"bad\xffutf8", "bad%FFutf8"},
		{"user:1000", "user:1000"},
	}
	for _, c := range cases {
		if got := keyName([]byte(c.key)); got != c.name {
			t.Errorf("keyName(%q) = %q, want %q", c.key, got, c.name)
		}
		key, ok := decodeName(c.name)
		if !ok || string(key) != c.key {
			t.Errorf("decodeName(%q) = %q, %v; want %q", c.name, key, ok, c.key)
		}
	}
	for _, bad := range []string{"", ".", "..", ".swp", "%41", "%2e", "%zz", "a%", "a%2", "\x01", "bad\xff"} {
		if key, ok := decodeName(bad); ok {
			t.Errorf("decodeName(%q) = %q, want a refusal", bad, key)
		}
	}
	// Every byte string round-trips, and no name escapes its directory.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		key := make([]byte, rng.IntN(12))
		for j := range key {
			key[j] = byte(rng.IntN(256))
			if rng.IntN(3) == 0 {
				key[j] = "./%a\x00\xc3\xa9"[rng.IntN(7)]
			}
		}
		name := keyName(key)
		if name == "." || name == ".." || bytes.ContainsAny([]byte(name), "/\x00") || isScratchName(name) {
			t.Fatalf("key %q has the bad name %q", key, name)
		}
		back, ok := decodeName(name)
		if !ok || !bytes.Equal(back, key) {
			t.Fatalf("key %q: name %q decodes to %q, %v", key, name, back, ok)
		}
	}
}
