package decode

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestParseResponse reads responses built by hand from RFC 1035 §4.1: a TXT of two strings, a CNAME whose target
// points back into the question, an MX, an A; and refuses damaged ones: a query, a pointer loop, a label running
// past the end, a TXT string longer than its record, more answers announced than present.
func TestParseResponse(t *testing.T) {
	q := query(7, [][]byte{[]byte("a\x01b"), []byte("ex"), []byte("test")}, typeTXT)
	m := response(q, []rr{
		{typ: typeTXT, data: []byte("\x03abc\x02de")},
		{typ: typeCNAME, data: append([]byte("\x01x"), 0xc0, 12)},
		{typ: typeMX, pref: 20, data: []byte("\x02mx\x00")},
		{typ: typeA, data: []byte{10, 0, 0, 1}},
	})
	r, err := ParseResponse(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []Answer{{Type: 16, Data: []byte("abcde")}, {Type: 5, Data: []byte(`x.a\x01b.ex.test`)}, {Type: 15, Pref: 20, Data: []byte("mx")}, {Type: 1, Data: []byte{10, 0, 0, 1}}}
	if r.Name != `a\x01b.ex.test` || r.QType != 16 || r.ID != 7 || len(r.Answers) != len(want) {
		t.Fatalf("%+v", r)
	}
	for i := range want {
		if r.Answers[i].Type != want[i].Type || r.Answers[i].Pref != want[i].Pref || !bytes.Equal(r.Answers[i].Data, want[i].Data) {
			t.Errorf("answer %d: %+v, want %+v", i, r.Answers[i], want[i])
		}
	}
	qa := response(q, []rr{{typ: typeTXT, data: []byte("\x02up")}})
	qa[2] = 0x01 // a query carrying an answer record
	if _, err := ParseResponse(qa); err == nil {
		t.Error("ParseResponse took a query")
	}
	if r, err := parseMessage(qa); err != nil || !r.Query || len(r.Answers) != 1 || string(r.Answers[0].Data) != "up" {
		t.Errorf("a query with an answer: %+v %v", r, err)
	}
	loop := response(q, []rr{{typ: typeCNAME, data: []byte{0xc0, byte(len(q) + 12)}}}) // the target points at itself
	overTXT := response(q, []rr{{typ: typeTXT, data: []byte("\x09abc")}})
	more := response(q, []rr{{typ: typeA, data: []byte{1, 2, 3, 4}}})
	binary.BigEndian.PutUint16(more[6:], 3)
	cut := append([]byte{}, q[:14]...)
	cut[2] |= 0x80
	for name, b := range map[string][]byte{"query": q, "pointer loop": loop, "TXT string past its record": overTXT, "more answers announced": more, "label cut": cut, "short": q[:5]} {
		if _, err := ParseResponse(b); err == nil || !errors.Is(err, errDamaged) {
			t.Errorf("%s: error %v, want a damaged message", name, err)
		}
	}
}

// TestDownHostile feeds answers made to exhaust or confuse: an iodine zlib bomb and fragments of a packet that never
// ends, dnscat2 A records whose length byte is longer than the records, a plain gzip bomb over the limit, a name
// with every kind of byte; nothing panics, the limit holds.
func TestDownHostile(t *testing.T) {
	const d = "h.test"
	resp := func(i int, qname string, as ...Answer) Response {
		return Response{Frame: int64(i), Name: qname + "." + d, Answers: as}
	}
	// iodine: a NULL answer with a compressed fragment that inflates past 64 KiB, then 200 fragments of packet 1
	// without the last flag
	var bomb bytes.Buffer
	bomb.Write([]byte{0x80, 0x01}) // C set; packet 0 fragment 0, last
	bomb.Write(compress(t, "zlib", make([]byte, 1<<20)))
	rs := []Response{resp(0, "vaaaakardli", Answer{Type: 10, Data: []byte("VACK")}), resp(1, "0aaab"+strings.Repeat("a", 20), Answer{Type: 10, Data: bomb.Bytes()})}
	for i := 0; i < 200; i++ {
		rs = append(rs, resp(2+i, "0aaba"+strings.Repeat("b", 20), Answer{Type: 10, Data: []byte{0, 0x20 | byte(i%16)<<1, byte(i)}}))
	}
	r, err := DecodeDown(rs, Options{Domain: d, Tool: ToolIodine})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Packets) != 0 || r.Decoded {
		t.Errorf("iodine: %d packets from a bomb and an endless packet (notes %q)", len(r.Packets), r.Notes)
	}
	// dnscat2: A records claiming 255 bytes in 6
	rs = []Response{resp(0, "0102", Answer{Type: 1, Data: []byte{1, 255, 1, 2}}, Answer{Type: 1, Data: []byte{2, 3, 4, 5}})}
	if r, err := DecodeDown(rs, Options{Domain: d, Tool: ToolDNSCat2}); err != nil || len(r.Data) != 0 {
		t.Errorf("dnscat2: %v, %d bytes", err, len(r.Data))
	}
	// plain: a gzip bomb in TXT answers over the limit
	text := EncodeString(Base64, compress(t, "gzip", make([]byte, 4<<20)))
	rs = rs[:0]
	for i := 0; len(text) > 0; i++ {
		c := text[:min(200, len(text))]
		text = text[len(c):]
		rs = append(rs, resp(i, strconv.Itoa(i)+".s", Answer{Type: 16, Data: []byte(c)}))
	}
	if _, err := DecodeDown(rs, Options{Domain: d, Limit: 1 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("plain gzip bomb: %v, want ErrTooLarge", err)
	}
	// every byte in a CNAME target and a TXT answer
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	rs = []Response{resp(0, "1", Answer{Type: 5, Data: []byte(EscapeName([][]byte{all[:63], []byte("h"), []byte("test")}))}, Answer{Type: 16, Data: all})}
	for _, tool := range Tools {
		if _, err := DecodeDown(rs, Options{Domain: d, Tool: tool}); err != nil {
			t.Errorf("%s: %v", tool, err)
		}
	}
}

// FuzzParseResponse parses any message: no panic, no more than 256 answers, question names no longer than the
// escaped form of 255 bytes.
func FuzzParseResponse(f *testing.F) {
	q := query(1, [][]byte{[]byte("abc"), []byte("ex"), []byte("test")}, typeTXT)
	f.Add(response(q, []rr{{typ: typeTXT, data: txt("hello")}, {typ: typeMX, pref: 10, data: []byte("\x01a\xc0\x0c")}}))
	f.Add(response(q, []rr{{typ: typeCNAME, data: []byte{0xc0, byte(len(q) + 12)}}}))
	f.Add(response(q, []rr{{typ: 33, data: []byte("\x00\x01\x00\x00\x00\x35\x01s\x00")}, {typ: 10, data: []byte{0, 1, 2}}}))
	f.Fuzz(func(t *testing.T, m []byte) {
		r, err := ParseResponse(m)
		if r == nil {
			if err == nil {
				t.Fatal("no response and no error")
			}
			return
		}
		if len(r.Answers) > maxRecords || len(r.Name) > 255*4 {
			t.Fatalf("%d answers, name of %d bytes", len(r.Answers), len(r.Name))
		}
	})
}

// FuzzDecodeDown runs DecodeDown and DecodeQueryAnswers over messages whose question names and answers are the fuzzer's bytes, for each
// tool: no panic, no error but the documented ones, the limit kept.
func FuzzDecodeDown(f *testing.F) {
	f.Add("0aaab", []byte{0x80, 0x01, 0x78, 0x9c}, uint16(10), "iodine")
	f.Add("paaaa", []byte("kabc.de"), uint16(5), "iodine")
	f.Add("AAAA.=connect", []byte("AAAAAAAAAAAAA"), uint16(16), "dns2tcp")
	f.Add("0102", []byte{1, 9, 1, 2}, uint16(1), "dnscat2")
	f.Add("1.s", []byte("6869"), uint16(16), "")
	f.Fuzz(func(t *testing.T, qname string, data []byte, typ uint16, tool string) {
		if len(qname) > 300 || len(data) > 2000 {
			return
		}
		ok := tool == ""
		for _, x := range Tools {
			ok = ok || x == tool
		}
		if !ok {
			tool = ""
		}
		rs := []Response{
			{Frame: 1, Name: EscapeName(append(Labels(qname), []byte("ex"), []byte("test"))), Answers: []Answer{{Type: typ, Data: data}}},
			{Frame: 2, Name: qname + ".ex.test", Answers: []Answer{{Type: typ, Data: data}, {Type: 16, Data: data}}},
			{Frame: 3, Name: "dnscat." + qname, Answers: []Answer{{Type: 15, Data: []byte(qname)}, {Type: 1, Data: data}}},
			{Frame: 4, Name: qname + ".ex.test", Answers: []Answer{{Type: 16, Data: data}}, Query: true},
		}
		for _, domain := range []string{"ex.test", ""} {
			opts := Options{Domain: domain, Tool: tool, Limit: 1 << 20}
			if domain == "" {
				opts.Tool = ToolDNSCat2
			}
			for _, f := range []func([]Response, Options) (*Result, error){DecodeDown, DecodeQueryAnswers} {
				r, err := f(rs, opts)
				if err != nil && !errors.Is(err, ErrTooLarge) {
					t.Fatal(err)
				}
				if r != nil && int64(len(r.Data)) > 1<<20 {
					t.Fatalf("%d bytes over the limit", len(r.Data))
				}
			}
		}
	})
}

// TestIodineDownFragments assembles iodine's downstream fragments (doc/proto_00000502.txt: header C|SSS|FFFF,
// DDD|GGGG|L) arriving out of order and repeated: packet 0's fragment 1 before its fragment 0, fragment 1 again,
// then packet 8 of the session, whose 3-bit number is 0 again, uncompressed in one fragment.
func TestIodineDownFragments(t *testing.T) {
	p1, p2 := ipv4UDP([]byte(strings.Repeat("first packet ", 20)), 1), ipv4UDP([]byte("the ninth packet"), 9)
	z := compress(t, "zlib", p1)
	third := len(z) / 3
	frags := [][]byte{z[:third], z[third : 2*third], z[2*third:]}
	hdr := func(comp bool, seq, frag int, last bool) []byte {
		b := []byte{0, byte(seq<<5 | frag<<1)}
		if comp {
			b[0] = 0x80
		}
		if last {
			b[1] |= 1
		}
		return b
	}
	var rs []Response
	add := func(b []byte) {
		rs = append(rs, Response{Frame: int64(len(rs) + 1), Name: fmt.Sprintf("0aaa%c%s.i.test", 'a'+len(rs)%26, strings.Repeat("b", 10)), Answers: []Answer{{Type: 10, Data: b}}})
	}
	add(append(hdr(true, 0, 1, false), frags[1]...))
	add(append(hdr(true, 0, 0, false), frags[0]...))
	add(append(hdr(true, 0, 1, false), frags[1]...))
	add(append(hdr(true, 0, 2, true), frags[2]...))
	add(append(hdr(false, 0, 0, true), p2...))
	r, err := DecodeDown(rs, Options{Domain: "i.test", Tool: ToolIodine})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Packets) != 2 || !bytes.Equal(r.Packets[0].Data, p1) || !bytes.Equal(r.Packets[1].Data, p2) || r.Duplicates != 1 {
		t.Errorf("%d packets, %d duplicates (notes %q)", len(r.Packets), r.Duplicates, r.Notes)
	}
}

// BenchmarkDecodeDown reads the responses of ndpi's iodine capture and puts the server's packets back together.
func BenchmarkDecodeDown(b *testing.B) {
	path := pcapPath(b, "ndpi__dns-tunnel-iodine.pcap")
	for b.Loop() {
		rs, err := ReadResponses(context.Background(), []string{path}, "pirate.sea")
		if err != nil {
			b.Fatal(err)
		}
		r, err := DecodeDown(rs, Options{Domain: "pirate.sea"})
		if err != nil || len(r.Packets) == 0 {
			b.Fatal(err, r.Notes)
		}
	}
}

// TestPaddedChunks decodes chunks that were each encoded on their own with their padding (a script that base64s
// every piece it sends), in TXT answers and in names; and an encoding that decodes to zero bytes is no result.
func TestPaddedChunks(t *testing.T) {
	pieces := []string{"a secret ", "sent in pie", "ces of uneven length", "!"}
	var rs []Response
	var qs []Query
	for i, p := range pieces {
		b64 := base64.StdEncoding.EncodeToString([]byte(p))
		rs = append(rs, Response{Frame: int64(i), Name: fmt.Sprintf("%d.pad.test", i), Answers: []Answer{{Type: 16, Data: []byte(b64)}}})
		qs = append(qs, Query{Frame: int64(i), Name: fmt.Sprintf("%d.%s.pad.test", i, b64)})
	}
	want := strings.Join(pieces, "")
	r, err := DecodeDown(rs, Options{Domain: "pad.test"})
	if err != nil || !r.Decoded || string(r.Data) != want || r.Encoding != Base64 {
		t.Errorf("down: %v %s %q (notes %q)", err, r.Encoding, r.Data, r.Notes)
	}
	u, err := Decode(qs, Options{Domain: "pad.test"})
	if err != nil || !u.Decoded || string(u.Data) != want || u.Encoding != Base64 {
		t.Errorf("up: %v %s %q (notes %q)", err, u.Encoding, u.Data, u.Notes)
	}
	// "0", "1", "2" as base32hex are zero bytes: not a result (base36 gives them, a big number each, next)
	n, err := Decode([]Query{{Frame: 1, Name: "0.pad.test"}, {Frame: 2, Name: "1.pad.test"}, {Frame: 3, Name: "2.pad.test"}}, Options{Domain: "pad.test"})
	if err != nil || n.Encoding == Base32Hex || len(n.Data) == 0 && n.Decoded {
		t.Errorf("sequence numbers alone: %v %s decoded %v %q", err, n.Encoding, n.Decoded, n.Data)
	}
}

// TestDNS2TCPSessions keeps two TCP connections through one dns2tcp tunnel apart (its packet.h: session id,
// ack, sequence, type; 0x08 with data): their packets interleaved, each session's data comes out whole and in
// its own sequence order, the first session seen first.
func TestDNS2TCPSessions(t *testing.T) {
	pkt := func(sid, seq uint16, data string) []byte {
		b := []byte{byte(sid >> 8), byte(sid), 0, 0, byte(seq >> 8), byte(seq), 0x08}
		return append(b, data...)
	}
	var rs []Response
	for i, p := range [][]byte{pkt(0xa1, 1, "first "), pkt(0xb2, 7, "other "), pkt(0xa1, 3, "three"), pkt(0xb2, 8, "connection"), pkt(0xa1, 2, "session in ")} {
		rs = append(rs, Response{Frame: int64(i), Name: fmt.Sprintf("q%d.t.test", i), Answers: []Answer{{Type: 16, Data: append([]byte{'A'}, base64.RawStdEncoding.EncodeToString(p)...)}}})
	}
	r, err := DecodeDown(rs, Options{Domain: "t.test", Tool: ToolDNS2TCP})
	if err != nil || string(r.Data) != "first session in threeother connection" || len(r.Notes) < 2 {
		t.Errorf("%v %q %q", err, r.Data, r.Notes)
	}
}
