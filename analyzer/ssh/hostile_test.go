package ssh

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestHostile feeds inputs that lie or never end: each must give its note, keep its buffers bounded and never
// panic.
func TestHostile(t *testing.T) {
	ident := []chunk{{false, []byte("SSH-2.0-S\r\n")}, {true, []byte("SSH-2.0-C\r\n")}}
	huge := binary.BigEndian.AppendUint32(nil, 1<<31)
	tests := []struct {
		name   string
		chunks []chunk
		note   string
	}{
		{"10 MB identification line", []chunk{{false, []byte("SSH-2.0-S\r\n")}, {true, append([]byte("SSH-2.0-"), bytes.Repeat([]byte("a"), 10<<20)...)}},
			"identification line of the client longer than 1024 bytes"},
		{"10 MB server line", []chunk{{true, []byte("SSH-2.0-C\r\n")}, {false, bytes.Repeat([]byte("b"), 10<<20)}},
			"identification line of the server longer than 1024 bytes"},
		{"packet length 2^31", append(ident, chunk{true, huge}), "the client's packet length 2147483648 is out of bounds"},
		{"packet length 1", append(ident, chunk{true, []byte{0, 0, 0, 1, 0}}), "the client's packet length 1 is out of bounds"},
		{"padding past the packet", append(ident, chunk{true, []byte{0, 0, 0, 8, 200, 20, 0, 0, 0, 0, 0, 0}}), "the client's padding length 200 exceeds its packet"},
		{"KEXINIT list lies", append(ident, chunk{true, binaryPacket(append(append([]byte{msgKexInit}, make([]byte, 16)...), 0xff, 0xff, 0xff, 0xff, 'a'))}),
			"malformed KEXINIT from the client"},
		{"KEXINIT truncated", append(ident, chunk{false, binaryPacket([]byte{msgKexInit, 1, 2})}), "malformed KEXINIT from the server"},
		{"packet cut by the end", append(ident, chunk{true, binaryPacket(kexInit(clientLists))[:30]}), ""},
		{"one KEXINIT only", append(ident, chunk{true, binaryPacket(kexInit(clientLists))}), ""},
		{"no common algorithm", append(ident, chunk{true, binaryPacket(kexInit([nLists]string{"a", "b", "c", "c", "d", "d", "e", "e"}))},
			chunk{false, binaryPacket(kexInit([nLists]string{"x", "b", "c", "c", "d", "d", "e", "e"}))}), "no common kex algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _ := run(t, tt.chunks)
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			if !strings.Contains(rows[0].Note, tt.note) || (tt.note == "" && rows[0].Note != "") {
				t.Errorf("note %q, want %q", rows[0].Note, tt.note)
			}
		})
	}
}

// TestBounded checks that a side never holds more than MaxPacket bytes, whatever it is fed.
func TestBounded(t *testing.T) {
	a := New(func(*Row) error { return nil })
	f := testFlow
	h := a.Stream(&f)
	_ = h.Data(false, []byte("SSH-2.0-S\r\n"), 1, 1)
	_ = h.Data(true, []byte("SSH-2.0-C\r\n"), 2, 2)
	// A packet of the largest accepted length, fed 1 KiB at a time, never completed.
	p := binary.BigEndian.AppendUint32(nil, MaxPacket-4)
	_ = h.Data(true, p, 3, 3)
	for i := range 200 {
		_ = h.Data(true, make([]byte, 1024), int64(4+i), 0)
		if n := len(a.conns[f.UID].s[client].buf); n > MaxPacket {
			t.Fatalf("buffer of %d bytes", n)
		}
	}
	// A gap ends the parsing of that side.
	_ = h.Gap(true, 10, 300, 0)
	if c := a.conns[f.UID]; c.s[client].buf != nil || c.s[client].phase != phaseDead {
		t.Errorf("after a gap: buffer %d bytes, phase %d", len(c.s[client].buf), c.s[client].phase)
	}
}
