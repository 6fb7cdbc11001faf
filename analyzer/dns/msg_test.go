package dns

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
)

// msgBuilder writes DNS messages by hand, as RFC 1035 §4.1 lays them out.
type msgBuilder struct{ b []byte }

func newMsg(id, flags uint16, qd, an, ns, ar uint16) *msgBuilder {
	m := &msgBuilder{}
	m.b = binary.BigEndian.AppendUint16(m.b, id)
	m.b = binary.BigEndian.AppendUint16(m.b, flags)
	for _, c := range []uint16{qd, an, ns, ar} {
		m.b = binary.BigEndian.AppendUint16(m.b, c)
	}
	return m
}

// name appends labels and the root label.
func (m *msgBuilder) name(labels ...string) *msgBuilder {
	for _, l := range labels {
		m.b = append(m.b, byte(len(l)))
		m.b = append(m.b, l...)
	}
	m.b = append(m.b, 0)
	return m
}

func (m *msgBuilder) raw(b ...byte) *msgBuilder { m.b = append(m.b, b...); return m }

func (m *msgBuilder) u16(v uint16) *msgBuilder { m.b = binary.BigEndian.AppendUint16(m.b, v); return m }

func (m *msgBuilder) u32(v uint32) *msgBuilder { m.b = binary.BigEndian.AppendUint32(m.b, v); return m }

// question appends a question's type and class (after its name).
func (m *msgBuilder) question(typ, class uint16) *msgBuilder { return m.u16(typ).u16(class) }

// rr appends a record's fixed fields and data (after its owner name).
func (m *msgBuilder) rr(typ, class uint16, ttl uint32, data []byte) *msgBuilder {
	m.u16(typ).u16(class).u32(ttl).u16(uint16(len(data)))
	m.b = append(m.b, data...)
	return m
}

// ptr is a compression pointer to offset off.
func ptr(off int) []byte { return []byte{0xc0 | byte(off>>8), byte(off)} }

func wireName(labels ...string) []byte { return (&msgBuilder{}).name(labels...).b }

func txtData(ss ...string) []byte {
	var b []byte
	for _, s := range ss {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return b
}

const (
	flagsQuery    = 0x0100 // RD
	flagsResponse = 0x8180 // QR RD RA
)

// TestParse checks the parser on hand-built messages, valid and hostile; expected values are read from the
// bytes as RFC 1035 defines them.
func TestParse(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		name     string
		msg      []byte
		note     note
		query    string // escaped
		raw      string
		labels   int
		longest  int
		answers  []string
		ttls     []uint32
		edns     bool
		ednsSize uint16
		ednsDO   bool
		qOK      bool
	}{
		{name: "A response",
			msg: newMsg(1, flagsResponse, 1, 2, 0, 0).name("www", "example", "com").question(1, 1).
				raw(ptr(12)...).rr(1, 1, 300, []byte{192, 0, 2, 1}).
				raw(ptr(12)...).rr(28, 1, 60, []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}).b,
			query: "www.example.com", raw: "www.example.com", labels: 3, longest: 7, qOK: true,
			answers: []string{"192.0.2.1", "2001:db8::1"}, ttls: []uint32{300, 60}},
		{name: "CNAME, MX, NS, PTR, SRV, SOA, TXT, unknown",
			msg: newMsg(2, flagsResponse, 1, 8, 0, 0).name("a", "b").question(255, 1).
				raw(ptr(12)...).rr(5, 1, 1, append([]byte{1, 'c'}, ptr(12)...)).
				raw(ptr(12)...).rr(15, 1, 2, append([]byte{0, 10}, wireName("mx", "b")...)).
				raw(ptr(12)...).rr(2, 1, 3, wireName("ns1", "b")).
				raw(ptr(12)...).rr(12, 1, 4, wireName("host")).
				raw(ptr(12)...).rr(33, 1, 5, append([]byte{0, 1, 0, 2, 0x01, 0xbb}, wireName("srv", "b")...)).
				raw(ptr(12)...).rr(6, 1, 6, append(wireName("ns1", "b"), wireName("admin", "b")...)).
				raw(ptr(12)...).rr(16, 1, 7, txtData("v=spf1 -all", "x\\y\x00")).
				raw(ptr(12)...).rr(99, 1, 8, []byte{1, 2, 3}).b,
			query: "a.b", raw: "a.b", labels: 2, longest: 1, qOK: true,
			answers: []string{"c.a.b", "mx.b", "ns1.b", "host", "srv.b", "ns1.b", `TXT 11 v=spf1 -all TXT 4 x\\y\x00`, "<bad rdata>"},
			ttls:    []uint32{1, 2, 3, 4, 5, 6, 7, 8}, note: noteBadRData},
		{name: "unknown type and DNSSEC records",
			msg: newMsg(3, flagsResponse, 1, 4, 0, 0).name("a").question(1, 1).
				raw(0).rr(999, 1, 9, []byte{1}).
				raw(0).rr(46, 1, 9, append([]byte{0, 1, 8, 2, 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0)).
				raw(0).rr(48, 1, 9, []byte{1, 1, 3, 8, 0xff}).
				raw(0).rr(43, 1, 9, []byte{0, 1, 8, 2, 0xff}).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true,
			answers: []string{"<unknown type=999>", "RRSIG 1 <Root>", "DNSKEY 8", "DS 8 2"}, ttls: []uint32{9, 9, 9, 9}},
		{name: "EDNS with DO",
			msg:   newMsg(4, flagsQuery, 1, 0, 0, 1).name("a").question(1, 1).raw(0).rr(41, 4096, 0x00008000, nil).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true, edns: true, ednsSize: 4096, ednsDO: true},
		{name: "root name",
			msg:   newMsg(5, flagsQuery, 1, 0, 0, 0).name().question(2, 1).b,
			query: ".", raw: "", labels: 0, longest: 0, qOK: true},
		{name: "label bytes: dot, backslash, NUL, high",
			msg:   newMsg(6, flagsQuery, 1, 0, 0, 0).name("a.b", "c\\d", "\x00\xff ").question(16, 1).b,
			query: `a\x2eb.c\\d.\x00\xff `, raw: "a.b.c\\d.\x00\xff ", labels: 3, longest: 3, qOK: true},
		{name: "label of 63 bytes",
			msg:   newMsg(7, flagsQuery, 1, 0, 0, 0).name(long63, "b").question(1, 1).b,
			query: long63 + ".b", raw: long63 + ".b", labels: 2, longest: 63, qOK: true},
		{name: "name of 255 bytes",
			msg:   newMsg(8, flagsQuery, 1, 0, 0, 0).name(long63, long63, long63, strings.Repeat("b", 61)).question(1, 1).b,
			query: long63 + "." + long63 + "." + long63 + "." + strings.Repeat("b", 61), raw: long63 + "." + long63 + "." + long63 + "." + strings.Repeat("b", 61),
			labels: 4, longest: 63, qOK: true},

		// Hostile input.
		{name: "short header", msg: []byte{0, 1, 0, 0, 0, 1}, note: noteShortHeader},
		{name: "empty", msg: nil, note: noteShortHeader},
		{name: "pointer to itself", msg: newMsg(9, flagsQuery, 1, 0, 0, 0).raw(ptr(12)...).question(1, 1).b, note: noteLoop},
		{name: "pointers to each other",
			msg: newMsg(10, flagsQuery, 1, 0, 0, 0).raw(ptr(14)...).raw(ptr(12)...).question(1, 1).b, note: noteLoop},
		{name: "label then pointer back to it (a loop through labels)",
			msg: newMsg(11, flagsQuery, 1, 0, 0, 0).raw(1, 'a').raw(ptr(12)...).question(1, 1).b, note: noteLoop},
		{name: "answer name loops",
			msg:   newMsg(12, flagsResponse, 1, 1, 0, 0).name("a").question(1, 1).raw(ptr(19)...).rr(1, 1, 1, []byte{1, 2, 3, 4}).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true, note: noteLoop},
		{name: "CNAME data loops",
			msg:   newMsg(13, flagsResponse, 1, 1, 0, 0).name("a").question(5, 1).raw(ptr(12)...).rr(5, 1, 1, ptr(31)).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true, note: noteLoop, answers: []string{""}, ttls: []uint32{1}},
		{name: "pointer past end", msg: newMsg(14, flagsQuery, 1, 0, 0, 0).raw(ptr(0x3fff)...).question(1, 1).b, note: notePointerEnd},
		{name: "pointer cut", msg: newMsg(15, flagsQuery, 1, 0, 0, 0).raw(0xc0).b, note: noteTruncated},
		{name: "label of 64 bytes", msg: newMsg(16, flagsQuery, 1, 0, 0, 0).name(strings.Repeat("a", 64)).question(1, 1).b, note: noteBadLabel},
		{name: "reserved label type 10", msg: newMsg(17, flagsQuery, 1, 0, 0, 0).raw(0x80, 0).question(1, 1).b, note: noteBadLabel},
		{name: "name of 256 bytes", msg: newMsg(18, flagsQuery, 1, 0, 0, 0).name(long63, long63, long63, strings.Repeat("b", 62)).question(1, 1).b, note: noteNameLong},
		{name: "name over 255 bytes through pointers",
			// Three names, each a 63-byte label and a pointer to the one before: the fourth is 4*64+1 bytes long.
			msg: func() []byte {
				m := newMsg(19, flagsResponse, 1, 4, 0, 0).name("x").question(1, 1)
				prev := len(m.b)
				m.raw(63).raw([]byte(long63)...).raw(0).rr(1, 1, 1, []byte{1, 2, 3, 4})
				for range 3 {
					at := len(m.b)
					m.raw(63).raw([]byte(long63)...).raw(ptr(prev)...).rr(1, 1, 1, []byte{1, 2, 3, 4})
					prev = at
				}
				return m.b
			}(),
			query: "x", raw: "x", labels: 1, longest: 1, qOK: true, note: noteNameLong,
			answers: []string{"1.2.3.4", "1.2.3.4", "1.2.3.4"}, ttls: []uint32{1, 1, 1}},
		{name: "label past end", msg: newMsg(20, flagsQuery, 1, 0, 0, 0).raw(5, 'a', 'b').b, note: noteTruncated},
		{name: "question without type", msg: newMsg(21, flagsQuery, 1, 0, 0, 0).name("a").raw(0).b, note: noteTruncated},
		{name: "counts that lie: more questions", msg: newMsg(22, flagsQuery, 3, 0, 0, 0).name("a").question(1, 1).b,
			query: "a", raw: "a", labels: 1, longest: 1, note: noteTruncated},
		{name: "counts that lie: more answers",
			msg:   newMsg(23, flagsResponse, 1, 65535, 65535, 65535).name("a").question(1, 1).raw(ptr(12)...).rr(1, 1, 7, []byte{10, 0, 0, 1}).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true, note: noteTruncated, answers: []string{"10.0.0.1"}, ttls: []uint32{7}},
		{name: "counts that lie: fewer records than sent",
			msg:   newMsg(24, flagsResponse, 1, 0, 0, 0).name("a").question(1, 1).raw(ptr(12)...).rr(1, 1, 7, []byte{10, 0, 0, 1}).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true, note: noteTrailing},
		{name: "record data past end",
			msg:   newMsg(25, flagsResponse, 1, 1, 0, 0).name("a").question(1, 1).raw(ptr(12)...).u16(1).u16(1).u32(1).u16(200).raw(1, 2).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true, note: noteRDataEnd},
		{name: "A of 5 bytes",
			msg:   newMsg(26, flagsResponse, 1, 1, 0, 0).name("a").question(1, 1).raw(ptr(12)...).rr(1, 1, 1, []byte{1, 2, 3, 4, 5}).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true, note: noteBadRData, answers: []string{"<bad rdata>"}, ttls: []uint32{1}},
		{name: "TXT string past its record",
			msg:   newMsg(27, flagsResponse, 1, 1, 0, 0).name("a").question(16, 1).raw(ptr(12)...).rr(16, 1, 1, []byte{9, 'a'}).b,
			query: "a", raw: "a", labels: 1, longest: 1, qOK: true, note: noteBadRData, answers: []string{"<bad rdata>"}, ttls: []uint32{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m message
			m.parse(tt.msg)
			if m.note != tt.note {
				t.Errorf("note %q, want %q", m.note, tt.note)
			}
			if m.questionOK != tt.qOK {
				t.Errorf("questionOK %v, want %v", m.questionOK, tt.qOK)
			}
			if tt.qOK || tt.query != "" {
				if got := string(appendNameText(nil, &m.qname)); got != tt.query {
					t.Errorf("query %q, want %q", got, tt.query)
				}
				if string(m.qname.raw) != tt.raw || m.qname.labels != tt.labels || m.qname.longest != tt.longest {
					t.Errorf("raw %q labels %d longest %d, want %q %d %d", m.qname.raw, m.qname.labels, m.qname.longest, tt.raw, tt.labels, tt.longest)
				}
			}
			var got []string
			var ttls []uint32
			for _, a := range m.answers {
				got = append(got, string(m.text[a.off:a.off+a.n]))
				ttls = append(ttls, a.ttl)
			}
			if !slices.Equal(got, tt.answers) || !slices.Equal(ttls, tt.ttls) {
				t.Errorf("answers %q TTLs %v, want %q %v", got, ttls, tt.answers, tt.ttls)
			}
			if m.edns != tt.edns || m.ednsSize != tt.ednsSize || m.ednsDO != tt.ednsDO {
				t.Errorf("EDNS %v %d %v, want %v %d %v", m.edns, m.ednsSize, m.ednsDO, tt.edns, tt.ednsSize, tt.ednsDO)
			}
		})
	}
}

// TestTooManyAnswers checks the cap on the answers a row keeps.
func TestTooManyAnswers(t *testing.T) {
	n := maxAnswers + 10
	m := newMsg(1, flagsResponse, 1, uint16(n), 0, 0).name("a").question(1, 1)
	for range n {
		m.raw(ptr(12)...).rr(1, 1, 1, []byte{1, 2, 3, 4})
	}
	var msg message
	msg.parse(m.b)
	if len(msg.answers) != maxAnswers || msg.note != noteManyAnswers {
		t.Errorf("%d answers, note %q; want %d, %q", len(msg.answers), msg.note, maxAnswers, noteManyAnswers)
	}
}

// TestEscapeReversible checks the escaped form against its definition on every byte value.
func TestEscapeReversible(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	esc := string(appendEscaped(nil, all, true))
	if strings.Contains(esc, ".") {
		t.Errorf("a dot inside a label is not escaped: %q", esc)
	}
	back, err := unescape(esc)
	if err != nil || !bytes.Equal(back, all) {
		t.Errorf("unescape(%q) = %q, %v", esc, back, err)
	}
	for _, tc := range []struct{ in, want string }{
		{"abc", "abc"}, {"a b", "a b"}, {"\\", `\\`}, {".", `\x2e`}, {"\x7f\x00\x1f", `\x7f\x00\x1f`}, {"é", `\xc3\xa9`},
	} {
		if got := string(appendEscaped(nil, []byte(tc.in), true)); got != tc.want {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestParseNoAlloc checks that parsing a message again costs no allocation.
func TestParseNoAlloc(t *testing.T) {
	msg := newMsg(2, flagsResponse, 1, 3, 0, 1).name("www", "example", "com").question(16, 1).
		raw(ptr(12)...).rr(16, 1, 7, txtData("hello", "world")).
		raw(ptr(12)...).rr(5, 1, 1, wireName("x", "example", "com")).
		raw(ptr(12)...).rr(28, 1, 60, make([]byte, 16)).
		raw(0).rr(41, 1232, 0, nil).b
	var m message
	m.parse(msg)
	if n := testing.AllocsPerRun(100, func() { m.parse(msg) }); n != 0 {
		t.Errorf("%v allocations per parse", n)
	}
}
