// Package difftest holds the randomized differential test of redisfs: a
// seeded generator of command sequences over every command family the
// server implements, run against a real redis-server and ours side by
// side, comparing every reply byte for byte and, every few commands, the
// whole keyspace (type, encoding, TTL, contents, DUMP payload). A mismatch
// is shrunk to a short sequence and printed in the transcript format of
// testdata/*.txt, ready to replay.
//
// The package has tests only. `go test ./core/difftest` runs a few fixed
// seeds on a small budget; scripts/fuzz-diff.sh SEED COUNT runs longer.
package difftest
