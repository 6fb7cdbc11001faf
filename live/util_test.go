package live

import (
	"os"
	"strconv"
	"testing"
)

func fmtInt(v int) string { return strconv.Itoa(v) }

// needRoot fails (never skips) a test that opens packet sockets when the process may not.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("live capture needs root (or CAP_NET_RAW): run these tests as root, as CI does")
	}
}
