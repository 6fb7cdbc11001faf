package dns

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapframe/pcapframe/analyzer"
)

// seeds are messages for the fuzz targets' corpus: valid ones and the hostile cases of TestParse.
func seeds() [][]byte {
	return [][]byte{
		newMsg(1, flagsResponse, 1, 2, 0, 1).name("www", "example", "com").question(1, 1).
			raw(ptr(12)...).rr(5, 1, 300, wireName("x", "example", "com")).
			raw(ptr(12)...).rr(16, 1, 60, txtData("hello", "a.b\\")).raw(0).rr(41, 4096, 0x8000, nil).b,
		newMsg(2, flagsQuery, 1, 0, 0, 0).name("a.b", "\x00\xff").question(28, 1).b,
		newMsg(3, flagsQuery, 1, 0, 0, 0).raw(ptr(12)...).question(1, 1).b,
		newMsg(4, flagsQuery, 1, 0, 0, 0).raw(1, 'a').raw(ptr(12)...).question(1, 1).b,
		newMsg(5, flagsQuery, 1, 0, 0, 0).raw(ptr(0x3fff)...).question(1, 1).b,
		newMsg(6, flagsResponse, 1, 65535, 0, 0).name("a").question(1, 1).raw(ptr(12)...).rr(1, 1, 7, []byte{10, 0, 0, 1}).b,
		{0, 1, 2},
	}
}

// FuzzParse checks that the parser never panics and keeps its invariants on any input, and compares it with
// gopacket's layers.DNS: on a message both decode without complaint they must agree on the header, the question
// and the answer section (type, TTL, A and AAAA addresses).
func FuzzParse(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	var m message
	var gp layers.DNS
	f.Fuzz(func(t *testing.T, b []byte) {
		m.parse(b)
		if len(m.answers) > maxAnswers || len(m.qname.raw) > maxNameWire-1 || m.qname.labels > maxLabels {
			t.Fatalf("bounds: %d answers, name of %d bytes and %d labels", len(m.answers), len(m.qname.raw), m.qname.labels)
		}
		if m.hasQuestion {
			back, err := unescape(string(appendNameText(nil, &m.qname)))
			if m.qname.labels == 0 {
				back = nil
			}
			if err != nil || !bytes.Equal(back, m.qname.raw) {
				t.Fatalf("escaped name %q does not give back %q (%v)", appendNameText(nil, &m.qname), m.qname.raw, err)
			}
		}
		compareGopacket(t, b, &m, &gp)
	})
}

// compareGopacket compares our parse m of b with gopacket's, when both decode b without complaint; it reports
// whether they did.
func compareGopacket(t testing.TB, b []byte, m *message, gp *layers.DNS) bool {
	t.Helper()
	if gp.DecodeFromBytes(b, gopacket.NilDecodeFeedback) != nil || m.note != noteNone && m.note != noteTrailing && m.note != noteBadRData {
		return false
	}
	if gp.ID != m.id || gp.QDCount != m.qdcount || gp.ANCount != m.ancount || uint8(gp.ResponseCode)&0xf != m.rcode() {
		t.Fatalf("header: gopacket id %d qd %d an %d rcode %d; ours %d %d %d %d", gp.ID, gp.QDCount, gp.ANCount, gp.ResponseCode, m.id, m.qdcount, m.ancount, m.rcode())
	}
	if len(gp.Questions) > 0 {
		q := gp.Questions[0]
		if !bytes.Equal(q.Name, m.qname.raw) || uint16(q.Type) != m.qtype || uint16(q.Class) != m.qclass {
			t.Fatalf("question: gopacket %q %d %d; ours %q %d %d", q.Name, q.Type, q.Class, m.qname.raw, m.qtype, m.qclass)
		}
	}
	if len(gp.Answers) != len(m.answers) {
		t.Fatalf("%d answers, gopacket %d", len(m.answers), len(gp.Answers))
	}
	for i, a := range gp.Answers {
		o := m.answers[i]
		if uint16(a.Type) != o.typ || a.TTL != o.ttl {
			t.Fatalf("answer %d: gopacket type %d TTL %d; ours %d %d", i, a.Type, a.TTL, o.typ, o.ttl)
		}
		text := string(m.text[o.off : o.off+o.n])
		if (a.Type == layers.DNSTypeA || a.Type == layers.DNSTypeAAAA) && text != "<bad rdata>" {
			if ip, ok := netip.AddrFromSlice(a.IP); !ok || ip.Unmap().String() != text {
				t.Fatalf("answer %d: gopacket %v, ours %q", i, a.IP, text)
			}
		}
	}
	return true
}

// frameRows runs data through a TCP handler, split at the given cut points, and returns the rows as text.
func frameRows(data []byte, cuts []int) []string {
	var out []string
	a := New(func(r *Row) error {
		out = append(out, fmt.Sprintf("%d q=%d r=%d %q %q %q", r.TransID, r.QueryFrame, r.ResponseFrame, r.Query, r.Answers, r.Note))
		return nil
	})
	f := analyzer.Flow{UID: "C1", Proto: 6, Orig: netip.MustParseAddrPort("10.0.0.1:1000"), Resp: netip.MustParseAddrPort("10.0.0.2:53")}
	h := a.Stream(&f)
	prev := 0
	for _, c := range append(cuts, len(data)) {
		c = min(max(c, prev), len(data))
		if err := h.Data(true, data[prev:c], 7, 0); err != nil {
			panic(err)
		}
		prev = c
	}
	_ = h.End()
	_ = a.FlowEnd(&f)
	_ = a.Close()
	return out
}

// FuzzTCPFraming checks that the TCP framing never panics and finds the same messages however the stream is cut
// into Data calls.
func FuzzTCPFraming(f *testing.F) {
	var stream []byte
	for _, s := range seeds() {
		stream = binary.BigEndian.AppendUint16(stream, uint16(len(s)))
		stream = append(stream, s...)
	}
	f.Add(stream, []byte{1, 5, 40, 41, 200})
	f.Add([]byte{0, 0, 0, 1, 0}, []byte{1})
	f.Add([]byte{0xff, 0xff, 1, 2, 3}, []byte{})
	f.Fuzz(func(t *testing.T, data, cutBytes []byte) {
		var cuts []int
		pos := 0
		for _, c := range cutBytes {
			pos += int(c)
			cuts = append(cuts, pos)
		}
		whole := frameRows(data, nil)
		split := frameRows(data, cuts)
		if !slices.Equal(whole, split) {
			t.Fatalf("rows depend on the cuts %v:\nwhole %q\nsplit %q", cuts, whole, split)
		}
	})
}
