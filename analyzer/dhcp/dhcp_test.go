package dhcp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/packet"
)

// opt is one DHCPv4 option (code, data) or DHCPv6 option.
type opt struct {
	code int
	data []byte
}

// msg4 lays out a DHCPv4 message as RFC 2131 §2 draws it: op, htype 1, hlen, hops, xid, secs, flags, ciaddr,
// yiaddr, siaddr, giaddr, chaddr (16), sname (64), file (128), the magic cookie 99.130.83.99, options, end.
func msg4(op byte, xid uint32, chaddr []byte, ciaddr, yiaddr, giaddr string, opts ...opt) []byte {
	b := make([]byte, 236)
	b[0], b[1], b[2] = op, 1, byte(len(chaddr))
	binary.BigEndian.PutUint32(b[4:], xid)
	for i, s := range []string{ciaddr, yiaddr, "0.0.0.0", giaddr} {
		a := netip.MustParseAddr(s).As4()
		copy(b[12+4*i:], a[:])
	}
	copy(b[28:], chaddr)
	b = append(b, 99, 130, 83, 99)
	for _, o := range opts {
		b = append(b, byte(o.code), byte(len(o.data)))
		b = append(b, o.data...)
	}
	return append(b, 255)
}

// msg6 lays out a DHCPv6 client/server message (RFC 8415 §8): type, transaction id, options (code, length).
func msg6(typ byte, xid uint32, opts ...opt) []byte {
	b := []byte{typ, byte(xid >> 16), byte(xid >> 8), byte(xid)}
	return append(b, opts6(opts...)...)
}

func opts6(opts ...opt) []byte {
	var b []byte
	for _, o := range opts {
		b = binary.BigEndian.AppendUint16(b, uint16(o.code))
		b = binary.BigEndian.AppendUint16(b, uint16(len(o.data)))
		b = append(b, o.data...)
	}
	return b
}

func ip4(s string) []byte { a := netip.MustParseAddr(s).As4(); return a[:] }
func ip6(s string) []byte { a := netip.MustParseAddr(s).As16(); return a[:] }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// udpFrame builds an Ethernet/IP/UDP frame around payload.
func udpFrame(src, dst netip.AddrPort, payload []byte) []byte {
	if src.Addr().Is6() {
		b := make([]byte, 14+40+8, 14+40+8+len(payload))
		binary.BigEndian.PutUint16(b[12:], 0x86dd)
		ip := b[14:]
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(8+len(payload)))
		ip[6], ip[7] = 17, 64
		s, d := src.Addr().As16(), dst.Addr().As16()
		copy(ip[8:], s[:])
		copy(ip[24:], d[:])
		u := b[54:]
		binary.BigEndian.PutUint16(u[0:], src.Port())
		binary.BigEndian.PutUint16(u[2:], dst.Port())
		binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
		return append(b, payload...)
	}
	b := make([]byte, 14+20+8, 14+20+8+len(payload))
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	ip[8], ip[9] = 64, 17
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	u := b[34:]
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	return append(b, payload...)
}

// dgram is one datagram sent at a time (seconds).
type dgram struct {
	src, dst string
	t        int64
	payload  []byte
}

// feeder decodes frames and gives them to an analyzer, one flow per address pair.
type feeder struct {
	a     *Analyzer
	dec   *packet.Decoder
	p     packet.Packet
	frame int64
}

func newFeeder(emit func(*Row) error) *feeder {
	return &feeder{a: New(emit), dec: packet.NewDecoder()}
}

func (f *feeder) send(t testing.TB, d dgram) {
	t.Helper()
	src, dst := netip.MustParseAddrPort(d.src), netip.MustParseAddrPort(d.dst)
	fr := udpFrame(src, dst, d.payload)
	f.frame++
	f.dec.Decode(&f.p, packet.Meta{Frame: f.frame, Time: d.t * 1e9, CapLen: int32(len(fr)), WireLen: int32(len(fr)), LinkType: 1}, fr)
	fl := analyzer.Flow{UID: "C" + d.src + "-" + d.dst, Proto: 17, Orig: src, Resp: dst}
	if err := f.a.Packet(&analyzer.Packet{Packet: &f.p, Flow: &fl, FromOrig: true}); err != nil {
		t.Fatal(err)
	}
}

func runDgrams(t testing.TB, ds []dgram) []Row {
	t.Helper()
	var rows []Row
	f := newFeeder(func(r *Row) error { rows = append(rows, *r); return nil })
	for _, d := range ds {
		f.send(t, d)
	}
	if err := f.a.Close(); err != nil {
		t.Fatal(err)
	}
	return rows
}

var mac = []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}

// dora is the four messages of RFC 2131 §3.1: DISCOVER, OFFER, REQUEST, ACK.
func dora(xid uint32, t0 int64) []dgram {
	return []dgram{
		{"0.0.0.0:68", "255.255.255.255:67", t0, msg4(1, xid, mac, "0.0.0.0", "0.0.0.0", "0.0.0.0",
			opt{53, []byte{1}}, opt{12, []byte("laptop")}, opt{50, ip4("192.0.2.50")}, opt{55, []byte{1, 3, 6, 15}}, opt{60, []byte("MSFT 5.0")})},
		{"192.0.2.1:67", "192.0.2.50:68", t0, msg4(2, xid, mac, "0.0.0.0", "192.0.2.50", "0.0.0.0",
			opt{53, []byte{2}}, opt{54, ip4("192.0.2.1")}, opt{51, u32(3600)}, opt{3, ip4("192.0.2.254")},
			opt{6, cat(ip4("192.0.2.53"), ip4("198.51.100.53"))}, opt{15, []byte("example.org")})},
		{"0.0.0.0:68", "255.255.255.255:67", t0 + 1, msg4(1, xid, mac, "0.0.0.0", "0.0.0.0", "0.0.0.0",
			opt{53, []byte{3}}, opt{50, ip4("192.0.2.50")}, opt{54, ip4("192.0.2.1")}, opt{12, []byte("laptop")},
			opt{81, append([]byte{0x05, 0, 0}, "\x06laptop\x07example\x03org\x00"...)})},
		{"192.0.2.1:67", "192.0.2.50:68", t0 + 1, msg4(2, xid, mac, "0.0.0.0", "192.0.2.50", "0.0.0.0",
			opt{53, []byte{5}}, opt{54, ip4("192.0.2.1")}, opt{51, u32(7200)})},
	}
}

// TestTransaction4 follows RFC 2131's four messages and checks each column.
func TestTransaction4(t *testing.T) {
	rows := runDgrams(t, dora(0xabcdef01, 100))
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	got := fmt.Sprintf("%d %#x %s %v %s %s %s %s %s %d %s %v %v %v %s %v %s", r.Version, r.TransID, r.ClientMAC, r.MsgTypes, r.Hostname, r.ClientFQDN,
		r.RequestedAddr, r.AssignedAddr, r.ServerAddr, r.LeaseTime, r.VendorClass, r.ParamRequestList, r.Routers, r.DNSServers, r.Domain, r.Frames, r.Note)
	want := "4 0xabcdef01 00:11:22:33:44:55 [DISCOVER OFFER REQUEST ACK] laptop laptop.example.org 192.0.2.50 192.0.2.50 192.0.2.1 7200 MSFT 5.0 [1 3 6 15] [192.0.2.254] [192.0.2.53 198.51.100.53] example.org [1 2 3 4] "
	if got != want {
		t.Errorf("row\n got %s\nwant %s", got, want)
	}
	if len(r.UIDs) != 2 || r.LastTS-r.TS != 1e9 || r.ClientAddr.IsValid() || r.Relay.IsValid() {
		t.Errorf("uids %v, duration %d, client_addr %v, relay %v", r.UIDs, r.LastTS-r.TS, r.ClientAddr, r.Relay)
	}
}

// TestTransactions checks what makes one transaction: the same xid and chaddr within 30 s.
func TestTransactions(t *testing.T) {
	other := slices.Clone(mac)
	other[5] = 0x99
	tests := []struct {
		name string
		ds   []dgram
		rows int
	}{
		{"one", dora(1, 0), 1},
		{"two xids", append(dora(1, 0), dora(2, 0)...), 2},
		{"same xid 31 s later", append(dora(1, 0), dora(1, 31)...), 2},
		{"same xid, other client", append(dora(1, 0), dgram{"0.0.0.0:68", "255.255.255.255:67", 1, msg4(1, 1, other, "0.0.0.0", "0.0.0.0", "0.0.0.0", opt{53, []byte{1}})}), 2},
		{"not on DHCP ports", []dgram{{"10.0.0.1:1000", "10.0.0.2:2000", 0, msg4(1, 1, mac, "0.0.0.0", "0.0.0.0", "0.0.0.0")}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rows := runDgrams(t, tt.ds); len(rows) != tt.rows {
				t.Errorf("%d rows, want %d", len(rows), tt.rows)
			}
		})
	}
}

// TestTransaction6 follows RFC 8415's SOLICIT/ADVERTISE with the options the table reads, and a relayed SOLICIT.
func TestTransaction6(t *testing.T) {
	duid := []byte{0, 3, 0, 1, 0, 0x11, 0x22, 0x33, 0x44, 0x55}
	sduid := []byte{0, 1, 0, 1, 1, 2, 3, 4, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	iaaddr := opts6(opt{5, cat(ip6("2001:db8::50"), u32(3000), u32(4000))})
	solicit := msg6(1, 0x123456, opt{1, duid}, opt{6, []byte{0, 23, 0, 24}}, opt{16, cat(u32(311), []byte{0, 8}, []byte("MSFT 5.0"))},
		opt{39, append([]byte{0}, "\x04host\x07example\x00"...)}, opt{3, cat(u32(1), u32(0), u32(0))})
	advertise := msg6(2, 0x123456, opt{1, duid}, opt{2, sduid}, opt{3, cat(u32(1), u32(100), u32(200), iaaddr)},
		opt{23, cat(ip6("2001:db8::53"), ip6("2001:db8::54"))}, opt{24, []byte("\x07example\x03org\x00\x03lan\x00")})
	rows := runDgrams(t, []dgram{{"[fe80::1]:546", "[ff02::1:2]:547", 5, solicit}, {"[fe80::2]:547", "[fe80::1]:546", 5, advertise}})
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	got := fmt.Sprintf("%d %#x %s %s %v %s %s %d %s %v %v %s %s %q", r.Version, r.TransID, r.ClientDUID, r.ServerDUID, r.MsgTypes, r.ClientFQDN, r.AssignedAddr,
		r.LeaseTime, r.VendorClass, r.ParamRequestList, r.DNSServers, r.Domain, r.ServerAddr, r.Note)
	want := `6 0x123456 00030001001122334455 0001000101020304aabbccddeeff [SOLICIT ADVERTISE] host.example 2001:db8::50 4000 MSFT 5.0 [23 24] [2001:db8::53 2001:db8::54] example.org,lan fe80::2 ""`
	if got != want {
		t.Errorf("row\n got %s\nwant %s", got, want)
	}

	// The same SOLICIT relayed twice: the relay column is the innermost relay's link-address.
	relay := func(link string, inner []byte) []byte {
		b := append([]byte{12, 0}, ip6(link)...)
		b = append(b, ip6("fe80::1")...)
		return append(b, opts6(opt{9, inner})...)
	}
	rows = runDgrams(t, []dgram{{"[2001:db8:1::1]:547", "[2001:db8:2::1]:547", 5, relay("2001:db8:9::1", relay("2001:db8:8::1", solicit))}})
	if len(rows) != 1 || rows[0].Relay != netip.MustParseAddr("2001:db8:8::1") || rows[0].TransID != 0x123456 || !slices.Equal(rows[0].MsgTypes, []string{"SOLICIT"}) {
		t.Errorf("relayed: %+v", rows)
	}
}
