package dhcp

import (
	"bytes"
	"strings"
	"testing"
)

// TestHostile feeds messages that are cut, lie about lengths or nest without end: no panic, a note where a
// message was kept, nothing past the data read.
func TestHostile(t *testing.T) {
	full := msg4(1, 7, mac, "0.0.0.0", "0.0.0.0", "0.0.0.0", opt{53, []byte{1}}, opt{12, []byte("host")})
	lying := append(msg4(1, 8, mac, "0.0.0.0", "0.0.0.0", "0.0.0.0", opt{53, []byte{1}})[:241], 12, 200, 'x') // hostname of 200 bytes, 1 there
	longHlen := bytes.Clone(full)
	longHlen[2] = 200
	relayLoop := msg6(1, 5, opt{1, []byte{1, 2}})
	for range 20 {
		relayLoop = append(append([]byte{12, 0}, make([]byte, 32)...), opts6(opt{9, relayLoop})...)
	}
	pads := append(msg4(1, 9, mac, "0.0.0.0", "0.0.0.0", "0.0.0.0")[:240], bytes.Repeat([]byte{0}, 60000)...)
	tests := []struct {
		name string
		d    dgram
		rows int
		note string
	}{
		{"cut at 27 bytes", dgram{"0.0.0.0:68", "255.255.255.255:67", 0, full[:27]}, 0, ""},
		{"cut inside chaddr", dgram{"0.0.0.0:68", "255.255.255.255:67", 0, full[:30]}, 0, ""},
		{"cut after chaddr", dgram{"0.0.0.0:68", "255.255.255.255:67", 0, full[:34]}, 1, "message cut at 34 bytes (the fixed part is 240)"},
		{"option longer than the message", dgram{"0.0.0.0:68", "255.255.255.255:67", 0, lying}, 1, "damaged options"},
		{"chaddr length 200", dgram{"0.0.0.0:68", "255.255.255.255:67", 0, longHlen}, 0, ""},
		{"no magic cookie", dgram{"0.0.0.0:68", "255.255.255.255:67", 0, append(full[:236], 1, 2, 3, 4)}, 1, "no DHCP magic cookie: BOOTP"},
		{"60000 pad bytes", dgram{"0.0.0.0:68", "255.255.255.255:67", 0, pads}, 1, ""},
		{"op 3", dgram{"0.0.0.0:68", "255.255.255.255:67", 0, append([]byte{3}, full[1:]...)}, 0, ""},
		{"DHCPv6 of 3 bytes", dgram{"[fe80::1]:546", "[ff02::1:2]:547", 0, []byte{1, 2, 3}}, 0, ""},
		{"DHCPv6 option past the end", dgram{"[fe80::1]:546", "[ff02::1:2]:547", 0, append(msg6(1, 5), 0, 1, 0xff, 0xff, 1)}, 1, "damaged options"},
		{"DHCPv6 relays 20 deep", dgram{"[fe80::1]:547", "[ff02::1:2]:547", 0, relayLoop}, 0, ""},
		{"DHCPv6 IA_NA short", dgram{"[fe80::2]:547", "[fe80::1]:546", 0, msg6(7, 5, opt{3, []byte{1, 2}})}, 1, "IA_NA shorter than 12 bytes"},
		{"DHCPv6 IAADDR past IA_NA", dgram{"[fe80::2]:547", "[fe80::1]:546", 0, msg6(7, 5, opt{3, append(make([]byte, 12), 0, 5, 0xff, 0)})}, 1, "IA_NA option past its end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := runDgrams(t, []dgram{tt.d})
			if len(rows) != tt.rows {
				t.Fatalf("%d rows, want %d", len(rows), tt.rows)
			}
			if tt.rows > 0 && (!strings.Contains(rows[0].Note, tt.note) || tt.note == "" && rows[0].Note != "") {
				t.Errorf("note %q, want %q", rows[0].Note, tt.note)
			}
		})
	}
}

// TestBounds checks the caps: a flood of one xid is cut into rows of MaxMessages, and no more than MaxPending
// transactions wait at once.
func TestBounds(t *testing.T) {
	var ds []dgram
	for range 3*MaxMessages + 1 {
		ds = append(ds, dgram{"10.0.0.5:68", "10.0.0.1:67", 0, msg4(1, 42, mac, "10.0.0.5", "0.0.0.0", "0.0.0.0", opt{53, []byte{8}})})
	}
	rows := runDgrams(t, ds)
	if len(rows) != 4 || len(rows[0].MsgTypes) != MaxMessages || len(rows[3].MsgTypes) != 1 || !strings.Contains(rows[0].Note, "next row") {
		t.Errorf("%d rows (first of %d messages, note %q)", len(rows), len(rows[0].MsgTypes), rows[0].Note)
	}

	n := 0
	f := newFeeder(func(*Row) error { n++; return nil })
	for i := range MaxPending + 10 {
		f.send(t, dgram{"0.0.0.0:68", "255.255.255.255:67", 0, msg4(1, uint32(i), mac, "0.0.0.0", "0.0.0.0", "0.0.0.0", opt{53, []byte{1}})})
		if len(f.a.pending) > MaxPending {
			t.Fatalf("%d transactions pending", len(f.a.pending))
		}
	}
	if n != 10 {
		t.Errorf("%d rows emitted early, want 10", n)
	}
}
