package server_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestTranscripts replays every testdata/*.txt of the module against a real
// redis-server and our server, each transcript on fresh instances of both,
// and compares the replies byte for byte (see redistest.ParseTranscript
// for the format).
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(redistest.RepoRoot(t), "testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.txt transcripts found")
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			redistest.RunTranscriptFile(t, path, nil)
		})
	}
}
