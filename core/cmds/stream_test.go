package cmds_test

import (
	"path/filepath"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// Tests of the stream family: the transcript (explicit IDs, compared byte
// for byte with Redis), generated IDs compared by shape, blocking XREAD
// and XREADGROUP with several clients, propagation, and DUMP/RESTORE with
// a real redis-server both ways.

func TestStreamsTranscript(t *testing.T) {
	redistest.RunTranscriptFile(t, filepath.Join(redistest.RepoRoot(t), "testdata", "streams.txt"), nil)
}
