package cmds

import (
	"testing"
	"unsafe"
)

// TestObjectSize holds Object to the 24 bytes its doc comment promises:
// every key of the keyspace pays for each byte more.
func TestObjectSize(t *testing.T) {
	if n := unsafe.Sizeof(Object{}); n != 24 {
		t.Fatalf("Object is %d bytes, want 24", n)
	}
}
