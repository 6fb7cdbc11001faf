package ssh

import (
	"testing"
)

// FuzzConn feeds a connection with the input cut into chunks of both sides (the first byte of each piece picks
// the side and the length): no panic, buffers bounded, a row only for a connection that sent an identification.
func FuzzConn(f *testing.F) {
	var seed []byte
	for _, c := range handshake() {
		b := byte(len(c.data) & 0x7f)
		if c.fromOrig {
			b |= 0x80
		}
		seed = append(seed, b)
		seed = append(seed, c.data...)
	}
	f.Add(seed)
	f.Add([]byte("\x8bSSH-2.0-C\r\n\x0bSSH-2.0-S\r\n"))
	f.Add([]byte("\x05\x00\x00\x00\x09\x04"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var rows []Row
		a := New(func(r *Row) error { rows = append(rows, *r); return nil })
		fl := testFlow
		h := a.Stream(&fl)
		for i := 0; len(in) > 0 && i < 1000; i++ {
			fromOrig := in[0]&0x80 != 0
			n := min(int(in[0]&0x7f), len(in)-1)
			_ = h.Data(fromOrig, in[1:1+n], int64(i+1), 0)
			in = in[1+n:]
			c := a.conns[fl.UID]
			if len(c.s[0].buf) > MaxPacket || len(c.s[1].buf) > MaxPacket {
				t.Fatalf("buffers of %d and %d bytes", len(c.s[0].buf), len(c.s[1].buf))
			}
		}
		_ = h.End()
		_ = a.FlowEnd(&fl)
		for _, r := range rows {
			if r.Client == "" && r.Server == "" {
				t.Fatalf("row without identification: %+v", r)
			}
		}
	})
}
