package cmds_test

import (
	"os"
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestMain removes the executables redistest.Build made for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	redistest.RemoveBuilds()
	os.Exit(code)
}
