package tls

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/packet"
)

// FuzzStream feeds arbitrary bytes to the TLS record and handshake parser as the two sides of a connection: the
// first byte of each piece gives its side and length. No panic, no hang; the row stays bounded.
func FuzzStream(f *testing.F) {
	hello := record(recHandshake, ch12)
	f.Add(append([]byte{byte(len(hello) & 0x7f)}, hello...))
	full := []byte{}
	for _, p := range [][]byte{record(recHandshake, ch12), record(recHandshake, cat(sh12, ske, shd)), cat(ccs, fin), cat(ccs, fin), app} {
		full = append(full, 0xff)
		full = append(full, p...)
	}
	f.Add(full)
	f.Add([]byte{0x80, 0x80, 0x2b, 0x01, 0x03, 0x01, 0x00, 0x12})
	f.Fuzz(func(t *testing.T, b []byte) {
		var rows int
		a := New(func(r *Row) error {
			rows++
			if len(r.Note) > 4096 || len(r.ClientCiphers) > MaxListItems || len(r.ClientExts) > MaxListItems {
				t.Fatalf("unbounded row: note %d bytes, %d ciphers", len(r.Note), len(r.ClientCiphers))
			}
			return nil
		})
		fl := testFlowID
		h := a.Stream(&fl)
		frame := int64(0)
		for len(b) > 0 {
			ctl := b[0]
			b = b[1:]
			n := int(ctl & 0x7f)
			if ctl == 0xff {
				n = len(b)
			}
			n = min(n, len(b))
			frame++
			if n == 0 && ctl&0x7f == 0 {
				_ = h.Gap(ctl&0x80 != 0, 10, frame, frame)
				continue
			}
			_ = h.Data(ctl&0x80 == 0, b[:n], frame, frame)
			b = b[n:]
		}
		_ = h.End()
		_ = a.Service(fl.UID)
		if err := a.FlowEnd(&fl); err != nil {
			t.Fatal(err)
		}
		if rows > 1 {
			t.Fatalf("%d rows for one connection", rows)
		}
	})
}

// FuzzHello parses arbitrary ClientHello, ServerHello and Certificate bodies and fingerprints them.
func FuzzHello(f *testing.F) {
	f.Add(ch12[4:])
	f.Add(sh12[4:])
	f.Add([]byte{0, 0, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if ch, err := parseClientHello(b); err == nil {
			ja3String(ch)
			ja4(ch, false)
			ch.maxVersion()
		}
		if sh, err := parseServerHello(b); err == nil {
			ja3sString(sh)
		}
		_, _ = parseCertificateList(b)
		_, _ = parseSSLv2ClientHello(b)
	})
}

// udpFrame builds an Ethernet/IPv4/UDP frame carrying payload.
func udpFrame(src, dst netip.AddrPort, payload []byte) []byte {
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

// FuzzQUIC feeds arbitrary datagrams to the analyzer's QUIC path (the first byte of each gives its side and
// length): long headers, coalesced packets, keys derived from whatever connection id the datagram names.
func FuzzQUIC(f *testing.F) {
	f.Add(append([]byte{0xff}, []byte{0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x41, 0x00}...))
	f.Add([]byte{0x10, 0xc0, 0, 0, 0, 1, 0, 0, 0, 0x40, 0x20, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		a := New(func(r *Row) error { return nil })
		fl := testFlowID
		fl.Proto = 17
		dec := packet.NewDecoder()
		var p packet.Packet
		frame := int64(0)
		for len(b) > 0 {
			ctl := b[0]
			b = b[1:]
			n := min(int(ctl&0x7f)*16, len(b))
			if ctl == 0xff {
				n = len(b)
			}
			frame++
			fromOrig := ctl&0x80 == 0 || ctl == 0xff
			src, dst := fl.Orig, fl.Resp
			if !fromOrig {
				src, dst = dst, src
			}
			data := udpFrame(src, dst, b[:n])
			dec.Decode(&p, packet.Meta{Frame: frame, Time: frame, CapLen: int32(len(data)), WireLen: int32(len(data)), LinkType: 1}, data)
			if err := a.Packet(&analyzer.Packet{Packet: &p, Flow: &fl, FromOrig: fromOrig}); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
		}
		_ = a.Service(fl.UID)
		if err := a.FlowEnd(&fl); err != nil {
			t.Fatal(err)
		}
	})
}
