package dhcp

import (
	"testing"
)

// BenchmarkTransaction4 decodes the four messages of a DHCPv4 transaction and emits its row.
func BenchmarkTransaction4(b *testing.B) {
	ds := dora(1, 0)
	f := newFeeder(func(*Row) error { return nil })
	for i := range ds {
		ds[i].t = 0
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range ds {
			f.send(b, d)
		}
		if err := f.a.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
