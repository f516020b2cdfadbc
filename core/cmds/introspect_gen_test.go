package cmds_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestGenerateCommandData rewrites redis_commands.resp, the COMMAND INFO
// and COMMAND DOCS replies (RESP3) of the installed redis-server: the one
// source of the command table's metadata, which go generate turns into
// commands_gen.go. It runs only when asked:
//
//	REDISFS_GEN_COMMAND_DATA=1 go test ./core/cmds -run TestGenerateCommandData
//	go generate ./core/cmds
func TestGenerateCommandData(t *testing.T) {
	if os.Getenv("REDISFS_GEN_COMMAND_DATA") == "" {
		t.Skip("set REDISFS_GEN_COMMAND_DATA=1 to regenerate redis_commands.resp")
	}
	conn := redistest.Dial(t, redistest.StartRedis(t))
	if r := conn.Do("HELLO", "3"); len(r) == 0 || r[0] != '%' {
		t.Fatalf("HELLO 3: %s", redistest.Quote(r))
	}
	var out []byte
	out = append(out, conn.Do("COMMAND", "INFO")...)
	out = append(out, conn.Do("COMMAND", "DOCS")...)
	path := filepath.Join(redistest.RepoRoot(t), "core", "cmds", "redis_commands.resp")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(out))
}
