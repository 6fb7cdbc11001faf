package files

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
)

// TestParseDCCSend checks the DCC SEND forms: a decimal IPv4 address (3232235777 is 192.168.1.1:
// 192*2^24 + 168*2^16 + 1*2^8 + 1), a quoted name with spaces, IPv6, no size, and what must be refused.
func TestParseDCCSend(t *testing.T) {
	cases := []struct {
		in   string
		name string
		ap   string
		size int64
		ok   bool
	}{
		{"DCC SEND file.zip 3232235777 5000 1024\x01", "file.zip", "192.168.1.1:5000", 1024, true},
		{"DCC SEND \"my file.txt\" 3232235777 5000 11\x01\r\n", "my file.txt", "192.168.1.1:5000", 11, true},
		{"DCC SEND a.bin 2001:db8::1 6000\x01", "a.bin", "[2001:db8::1]:6000", -1, true},
		{"DCC SEND a.bin 3232235777 0 10 token\x01", "", "", -1, false}, // reverse DCC
		{"DCC SEND a.bin 99999999999 5000\x01", "", "", -1, false},
		{"DCC SEND \"unterminated 1 2\x01", "", "", -1, false},
		{"DCC CHAT chat 3232235777 5000\x01", "", "", -1, false},
	}
	for _, c := range cases {
		name, ap, size, ok := ParseDCCSend(c.in)
		if ok != c.ok || ok && (name != c.name || ap.String() != c.ap || size != c.size) {
			t.Errorf("ParseDCCSend(%q) = %q %v %d %v", c.in, name, ap, size, ok)
		}
	}
}

// TestDCCTransfer plays an IRC connection with a DCC SEND offer and the data connection it announces: the
// file the sender sends is the object, with the offer's name and size; the receiver's acknowledgements are not.
func TestDCCTransfer(t *testing.T) {
	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	ctl := analyzer.Flow{UID: "Circ", Proto: 6, Orig: netip.MustParseAddrPort("192.168.1.1:40000"), Resp: netip.MustParseAddrPort("10.9.9.9:6667"), Start: 1e9}
	h := a.Stream(&ctl)
	h.Data(true, []byte("NICK alice\r\nUSER alice 0 * :A\r\n"), 1, 1e9)
	h.Data(false, []byte(":irc.example NOTICE alice :hi\r\n"), 2, 1e9)
	h.Data(true, []byte("PRIVMSG bob :\x01DCC SEND \"holiday photo.jpg\" 3232235777 5000 11\x01\r\n"), 3, 2e9)
	data := analyzer.Flow{UID: "Cdcc", Proto: 6, Orig: netip.MustParseAddrPort("172.16.0.5:51000"), Resp: netip.MustParseAddrPort("192.168.1.1:5000"), Start: 3e9}
	d := a.Stream(&data)
	d.Data(false, []byte("hello "), 4, 3e9)
	d.Data(true, []byte{0, 0, 0, 6}, 5, 3e9)
	d.Data(false, []byte("world"), 6, 3e9)
	d.Data(true, []byte{0, 0, 0, 11}, 7, 3e9)
	d.End()
	h.End()
	// a second connection to the same endpoint is not a transfer: the offer was used
	other := analyzer.Flow{UID: "Cother", Proto: 6, Orig: netip.MustParseAddrPort("172.16.0.6:51000"), Resp: netip.MustParseAddrPort("192.168.1.1:5000"), Start: 4e9}
	o := a.Stream(&other)
	o.Data(false, []byte("GET / HTTP/1.1\r\n\r\n"), 8, 4e9)
	o.End()
	if err := a.Close(); err != nil { // rows are emitted by Close at the latest
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	r := rows[0]
	sum := sha256.Sum256([]byte("hello world"))
	if r.Source != "IRC_DATA" || r.Filename != "holiday photo.jpg" || r.TotalBytes != 11 || r.SeenBytes != 11 || !r.Complete || r.FromOrig ||
		r.SHA256 != hex.EncodeToString(sum[:]) || r.UID != "Cdcc" {
		t.Errorf("row %+v", r)
	}
}

// TestExpectationsBounded: announcements past MaxExpected forget the oldest; stale ones are not used.
func TestExpectationsBounded(t *testing.T) {
	x := newExpectations()
	for i := 0; i < 3*MaxExpected; i++ {
		x.add(&expectation{key: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 21), at: 0})
	}
	if len(x.m) != MaxExpected || len(x.order) > 2*MaxExpected+1 {
		t.Fatalf("%d expected, %d in order", len(x.m), len(x.order))
	}
	n := 3*MaxExpected - 1
	last := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}), 21)
	if e := x.take(&analyzer.Flow{Resp: last, Start: expectWindow * 2}); e != nil {
		t.Error("a stale announcement was used")
	}
	if !strings.Contains(last.String(), ":21") {
		t.Fatal(last)
	}
}

// FuzzDCCSend: the DCC parser never panics, and what it accepts has a name, an address and a port.
func FuzzDCCSend(f *testing.F) {
	f.Add("DCC SEND \"my file.txt\" 3232235777 5000 11\x01")
	f.Add("DCC SEND a 2001:db8::1 1")
	f.Fuzz(func(t *testing.T, s string) {
		name, ap, _, ok := ParseDCCSend(s)
		if ok && (name == "" || !ap.IsValid() || ap.Port() == 0) {
			t.Fatalf("%q: %q %v", s, name, ap)
		}
	})
}
