package persist_test

import (
	"testing"

	"github.com/redisfs/redisfs/core/redistest"
)

// TestMain removes the executables redistest.Build made for the tests.
func TestMain(m *testing.M) {
	redistest.Main(m)
}
