package cmds_test

import (
	"bytes"
	"os"
	"os/exec"
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

// TestCommandsGenUpToDate checks that commands_gen.go is what the
// generator makes of redis_commands.resp, so that neither is edited
// without the other.
func TestCommandsGenUpToDate(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to run the generator")
	}
	out := filepath.Join(t.TempDir(), "commands_gen.go")
	cmd := exec.Command(goTool, "run", "./internal/gencommands", "-in", "redis_commands.resp", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gencommands: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("commands_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("commands_gen.go is stale: run go generate ./core/cmds")
	}
}
