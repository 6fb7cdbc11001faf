package ssh

import (
	"testing"
)

// BenchmarkConnection parses a whole connection: identifications, KEXINITs, NEWKEYS and 100 encrypted segments.
func BenchmarkConnection(b *testing.B) {
	chunks := handshake()
	for range 50 {
		chunks = append(chunks, chunk{true, make([]byte, 100)}, chunk{false, make([]byte, 1400)})
	}
	n := 0
	for _, c := range chunks {
		n += len(c.data)
	}
	a := New(func(*Row) error { return nil })
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		f := testFlow
		h := a.Stream(&f)
		for i, c := range chunks {
			_ = h.Data(c.fromOrig, c.data, int64(i+1), 0)
		}
		_ = h.End()
		_ = a.FlowEnd(&f)
	}
}
