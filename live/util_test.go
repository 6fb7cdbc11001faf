package live

import (
	"os"
	"strconv"
	"testing"
)

func fmtInt(v int) string { return strconv.Itoa(v) }

// needRoot skips tests that open packet sockets when the process may not.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (or CAP_NET_RAW); CI runs these tests as root")
	}
}
