//go:build !linux

package hugepage

// Without huge page advice, Make need not align.
func addr(b []byte) uintptr { return 0 }

func advise(b []byte) {}
