package dhcp

import (
	"testing"
)

// FuzzMessage feeds one datagram to the DHCPv4 port pair and the same to the DHCPv6 pair: no panic, at most one
// row each, every row with one message type per frame.
func FuzzMessage(f *testing.F) {
	for _, d := range dora(1, 0) {
		f.Add(d.payload)
	}
	f.Add(msg6(1, 5, opt{1, []byte{1, 2}}, opt{3, make([]byte, 40)}))
	f.Add(append([]byte{12, 0}, make([]byte, 40)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1400 {
			return
		}
		rows := runDgrams(t, []dgram{{"0.0.0.0:68", "255.255.255.255:67", 0, b}, {"[fe80::1]:546", "[ff02::1:2]:547", 0, b}})
		if len(rows) > 2 {
			t.Fatalf("%d rows", len(rows))
		}
		for _, r := range rows {
			if len(r.MsgTypes) != len(r.Frames) || len(r.MsgTypes) == 0 {
				t.Fatalf("%d types, %d frames", len(r.MsgTypes), len(r.Frames))
			}
		}
	})
}
