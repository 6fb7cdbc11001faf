package dns

import (
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/packet"
)

// udpPacket decodes a synthetic Ethernet/IPv4/UDP frame carrying payload.
func udpPacket(t testing.TB, src, dst netip.AddrPort, payload []byte, frame, time int64) *packet.Packet {
	t.Helper()
	l4 := make([]byte, 8)
	binary.BigEndian.PutUint16(l4[0:], src.Port())
	binary.BigEndian.PutUint16(l4[2:], dst.Port())
	binary.BigEndian.PutUint16(l4[4:], uint16(8+len(payload)))
	l4 = append(l4, payload...)
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
	ip[8], ip[9] = 64, 17
	a, b := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:], a[:])
	copy(ip[16:], b[:])
	f := append(append([]byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0}, ip...), l4...)
	p := &packet.Packet{}
	packet.NewDecoder().Decode(p, packet.Meta{Frame: frame, Time: time, CapLen: int32(len(f)), WireLen: int32(len(f)), LinkType: 1}, f)
	if !p.Has(packet.HasUDP) {
		t.Fatal("synthetic frame did not decode as UDP")
	}
	return p
}

var (
	client = netip.MustParseAddrPort("10.0.0.1:40000")
	server = netip.MustParseAddrPort("10.0.0.2:53")
)

// udpFlow is a flow from client to server with the given responder port.
func udpFlow(uid string, port uint16) analyzer.Flow {
	return analyzer.Flow{UID: uid, CommunityID: "1:x", Proto: 17, Orig: client, Resp: netip.AddrPortFrom(server.Addr(), port), Stream: 0}
}

// exchange sends one message of flow f (from the originator when fromOrig).
func exchange(t testing.TB, a *Analyzer, f *analyzer.Flow, fromOrig bool, msg []byte, frame, time int64) {
	t.Helper()
	src, dst := f.Orig, f.Resp
	if !fromOrig {
		src, dst = dst, src
	}
	p := udpPacket(t, src, dst, msg, frame, time)
	if err := a.Packet(&analyzer.Packet{Packet: p, Flow: f, FromOrig: fromOrig}); err != nil {
		t.Fatal(err)
	}
}

func collect() (*Analyzer, *[]testRow) {
	var rows []testRow
	a := New(func(r *Row) error { rows = append(rows, keep(r)); return nil })
	return a, &rows
}

func query(id uint16, labels ...string) []byte {
	return newMsg(id, flagsQuery, 1, 0, 0, 1).name(labels...).question(1, 1).raw(0).rr(41, 1232, 0x8000, nil).b
}

func answerMsg(id uint16, rcode uint16, addrs [][4]byte, labels ...string) []byte {
	m := newMsg(id, flagsResponse|rcode|0x0400, 1, uint16(len(addrs)), 0, 0).name(labels...).question(1, 1)
	for _, a := range addrs {
		m.raw(ptr(12)...).rr(1, 1, 30, a[:])
	}
	return m.b
}

func TestTransactions(t *testing.T) {
	a, rows := collect()
	f := udpFlow("C1", 53)
	exchange(t, a, &f, true, query(7, "www", "Example", "com"), 1, 1_000_000_000)
	exchange(t, a, &f, true, query(8, "unanswered", "org"), 2, 1_100_000_000)
	exchange(t, a, &f, false, answerMsg(7, 0, [][4]byte{{192, 0, 2, 1}, {192, 0, 2, 2}}, "www", "example", "com"), 3, 1_250_000_000)
	exchange(t, a, &f, false, answerMsg(9, 3, nil, "nobody", "asked"), 4, 1_300_000_000)
	exchange(t, a, &f, false, answerMsg(8, 0, nil, "other", "question"), 5, 1_400_000_000)
	if got := a.Service("C1"); got != "dns" {
		t.Errorf("service %q, want dns", got)
	}
	if err := a.FlowEnd(&f); err != nil {
		t.Fatal(err)
	}
	if got := a.Service("C1"); got != "" {
		t.Errorf("service after FlowEnd %q, want \"\"", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if len(*rows) != 4 {
		t.Fatalf("%d rows, want 4: %+v", len(*rows), *rows)
	}
	r := (*rows)[0]
	if r.QueryFrame != 1 || r.ResponseFrame != 3 || r.TransID != 7 || r.query != "www.Example.com" || !r.AA || !r.RD || !r.RA || r.Rejected ||
		!slices.Equal(r.answers, []string{"192.0.2.1", "192.0.2.2"}) || !slices.Equal(r.ttls, []float64{30, 30}) ||
		!slices.Equal(r.types, []string{"A", "A"}) || !r.EDNS || r.EDNSUDPSize != 1232 || !r.EDNSDO || r.base != "example.com" || r.sub != "www" {
		t.Errorf("answered row: %+v", r)
	}
	if v, ok := Table.Column("rtt").Float(&r.Row); !ok || math.Abs(v-0.25) > 1e-9 {
		t.Errorf("rtt %v %v, want 0.25", v, ok)
	}
	// A response to another id, then one whose question differs: rows of their own.
	r = (*rows)[1]
	if r.QueryFrame != 0 || r.ResponseFrame != 4 || r.TransID != 9 || r.Rcode != 3 || !r.Rejected || r.query != "nobody.asked" {
		t.Errorf("response-only row: %+v", r)
	}
	r = (*rows)[2]
	if r.QueryFrame != 0 || r.ResponseFrame != 5 || r.TransID != 8 || r.query != "other.question" {
		t.Errorf("response with another question: %+v", r)
	}
	r = (*rows)[3]
	if r.QueryFrame != 2 || r.ResponseFrame != 0 || r.HasResponse || r.query != "unanswered.org" {
		t.Errorf("unanswered row: %+v", r)
	}
	if _, ok := Table.Column("rcode").Int(&r.Row); ok {
		t.Error("rcode of an unanswered query is not null")
	}
	st := a.Stats()
	if st.Answered != 1 || st.Unanswered != 1 || st.Unsolicited != 2 || st.Rows != 4 || st.Queries != 2 || st.Responses != 3 {
		t.Errorf("stats %+v", st)
	}
}

// TestRetransmission checks tshark's rule: a repeat within 5 s is a retransmission; the response goes to the
// first query.
func TestRetransmission(t *testing.T) {
	a, rows := collect()
	f := udpFlow("C1", 53)
	exchange(t, a, &f, true, query(7, "a", "com"), 1, 0)
	exchange(t, a, &f, true, query(7, "a", "com"), 2, 1e9)
	exchange(t, a, &f, false, answerMsg(7, 0, nil, "a", "com"), 3, 2e9)
	exchange(t, a, &f, true, query(7, "a", "com"), 4, 10e9) // a new query: the others are answered or repeats
	exchange(t, a, &f, false, answerMsg(7, 0, nil, "a", "com"), 5, 11e9)
	if err := a.FlowEnd(&f); err != nil {
		t.Fatal(err)
	}
	var pairs [][2]int64
	for _, r := range *rows {
		pairs = append(pairs, [2]int64{r.QueryFrame, r.ResponseFrame})
	}
	if want := [][2]int64{{1, 3}, {4, 5}, {2, 0}}; !slices.Equal(pairs, want) {
		t.Errorf("pairs %v, want %v", pairs, want)
	}
}

// TestPendingCaps checks that pending queries are bounded per flow and overall, the oldest flushed first.
func TestPendingCaps(t *testing.T) {
	a, rows := collect()
	a.SetLimits(3, 2)
	f1, f2 := udpFlow("C1", 53), udpFlow("C2", 5353)
	f2.Orig = netip.MustParseAddrPort("10.0.0.3:5353")
	exchange(t, a, &f1, true, query(1, "a"), 1, 1)
	exchange(t, a, &f1, true, query(2, "a"), 2, 2)
	exchange(t, a, &f1, true, query(3, "a"), 3, 3) // flow cap: query 1 flushed
	exchange(t, a, &f2, true, query(4, "a"), 4, 4)
	exchange(t, a, &f2, true, query(5, "a"), 5, 5) // overall cap: query 2 flushed
	var flushed []int64
	for _, r := range *rows {
		flushed = append(flushed, r.QueryFrame)
	}
	if !slices.Equal(flushed, []int64{1, 2}) || a.Stats().Evicted != 2 {
		t.Errorf("flushed %v, evicted %d; want [1 2], 2", flushed, a.Stats().Evicted)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if len(*rows) != 5 {
		t.Errorf("%d rows after Close, want 5", len(*rows))
	}
}

// TestWhichFlows checks the choice of flows: DNS ports, a plausible message elsewhere, never 853.
func TestWhichFlows(t *testing.T) {
	tests := []struct {
		name    string
		port    uint16
		msg     []byte
		rows    int
		service string
	}{
		{"port 53", 53, query(1, "a", "com"), 1, "dns"},
		{"mDNS", 5353, query(1, "a", "local"), 1, "dns"},
		{"LLMNR", 5355, query(1, "host"), 1, "dns"},
		{"port 53, not DNS", 53, []byte("GET / HTTP/1.1\r\n\r\n"), 1, ""},
		{"other port, DNS", 5300, query(1, "a", "com"), 1, "dns"},
		{"other port, not DNS", 5300, []byte("GET / HTTP/1.1\r\n\r\n"), 0, ""},
		{"other port, DNS header but bad name", 5300, newMsg(1, flagsQuery, 1, 0, 0, 0).raw(ptr(12)...).question(1, 1).b, 0, ""},
		{"DNS over QUIC port", 853, query(1, "a", "com"), 0, ""},
		{"NetBIOS", 137, query(1, "a", "com"), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, rows := collect()
			f := udpFlow("C1", tt.port)
			exchange(t, a, &f, true, tt.msg, 1, 1)
			if got := a.Service("C1"); got != tt.service {
				t.Errorf("service %q, want %q", got, tt.service)
			}
			if err := a.FlowEnd(&f); err != nil {
				t.Fatal(err)
			}
			if len(*rows) != tt.rows {
				t.Errorf("%d rows, want %d", len(*rows), tt.rows)
			}
		})
	}
	a, _ := collect()
	for _, port := range []uint16{853, 80} {
		f := analyzer.Flow{UID: "C1", Proto: 6, Orig: client, Resp: netip.AddrPortFrom(server.Addr(), port)}
		if a.Stream(&f) != nil {
			t.Errorf("TCP port %d: a stream handler", port)
		}
	}
}

// TestTCP checks the framing: two messages in one run, a message split over runs, and a gap.
func TestTCP(t *testing.T) {
	a, rows := collect()
	f := analyzer.Flow{UID: "C1", Proto: 6, Orig: client, Resp: server}
	h := a.Stream(&f)
	frame := func(m []byte) []byte { return append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...) }
	q1, q2 := frame(query(1, "a", "com")), frame(query(2, "b", "com"))
	r1 := frame(answerMsg(1, 0, [][4]byte{{1, 2, 3, 4}}, "a", "com"))
	steps := []error{
		h.Data(true, append(append([]byte{}, q1...), q2...), 4, 4),
		h.Data(false, r1[:1], 5, 5),
		h.Data(false, r1[1:7], 6, 6),
		h.Data(false, r1[7:], 7, 7),
		h.Data(false, frame(answerMsg(2, 0, nil, "b", "com"))[:10], 8, 8),
		h.Gap(false, 100, 9, 9),
		h.Data(false, frame(answerMsg(3, 0, nil, "c", "com")), 10, 10), // after the gap: not parsed
		h.End(),
		a.FlowEnd(&f),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	type pair struct {
		q, r int64
		note string
	}
	var got []pair
	for _, r := range *rows {
		got = append(got, pair{r.QueryFrame, r.ResponseFrame, r.note})
	}
	want := []pair{{4, 7, ""}, {4, 9, "response: gap in TCP stream"}}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if st := a.Stats(); st.DeadStreams != 1 {
		t.Errorf("dead streams %d, want 1", st.DeadStreams)
	}
}

// TestHunting checks base domain, subdomain and entropy against values computed by hand.
func TestHunting(t *testing.T) {
	tests := []struct {
		labels  []string
		hasBase bool
		base    string
		sub     string
		entropy float64
	}{
		{[]string{"a", "b", "example", "co", "uk"}, true, "example.co.uk", "a.b", 1},     // "ab": two bytes, one bit
		{[]string{"WWW", "Example", "COM"}, true, "example.com", "WWW", 0},               // one distinct byte
		{[]string{"abcd", "example", "com"}, true, "example.com", "abcd", 2},             // four distinct bytes
		{[]string{"a.b", "example", "com"}, true, "example.com", `a\x2eb`, math.Log2(3)}, // raw bytes a . b
		{[]string{"example", "com"}, true, "example.com", "", 0},
		{[]string{"co", "uk"}, false, "", "", 0},
		{[]string{"localhost"}, false, "", "", 0},
		{[]string{"x", "_tcp", "local"}, true, "_tcp.local", "x", 0},
	}
	for _, tt := range tests {
		a, rows := collect()
		f := udpFlow("C1", 53)
		exchange(t, a, &f, true, query(1, tt.labels...), 1, 1)
		if err := a.FlowEnd(&f); err != nil {
			t.Fatal(err)
		}
		r := (*rows)[0]
		if r.HasBase != tt.hasBase || r.base != tt.base || r.sub != tt.sub || math.Abs(r.SubdomainEntropy-tt.entropy) > 1e-9 {
			t.Errorf("%q: base %v %q sub %q entropy %v; want %v %q %q %v", tt.labels, r.HasBase, r.base, r.sub, r.SubdomainEntropy, tt.hasBase, tt.base, tt.sub, tt.entropy)
		}
		if r.LabelCount != len(tt.labels) {
			t.Errorf("%q: %d labels", tt.labels, r.LabelCount)
		}
	}
}

// TestAnalyzerNoAlloc checks that a query and its response cost one allocation (the row's text), none per packet.
func TestAnalyzerNoAlloc(t *testing.T) {
	a := New(func(r *Row) error { return nil })
	f := udpFlow("C1", 53)
	q := udpPacket(t, client, server, query(1, "www", "example", "com"), 1, 1)
	r := udpPacket(t, server, client, answerMsg(1, 0, [][4]byte{{1, 2, 3, 4}}, "www", "example", "com"), 2, 2)
	nx := udpPacket(t, server, client, answerMsg(1, 3, nil, "www", "example", "com"), 2, 2)
	pq := &analyzer.Packet{Packet: q, Flow: &f, FromOrig: true}
	pr := &analyzer.Packet{Packet: r, Flow: &f}
	pn := &analyzer.Packet{Packet: nx, Flow: &f}
	run := func(resp *analyzer.Packet) func() {
		return func() {
			if a.Packet(pq) != nil || a.Packet(resp) != nil {
				t.Fatal("error")
			}
		}
	}
	run(pr)()
	// One allocation per row: the string that holds its texts (the lists come from shared chunks).
	if n := testing.AllocsPerRun(1000, run(pn)); n > 1.01 {
		t.Errorf("%v allocations per transaction without answers, want 1", n)
	}
	if n := testing.AllocsPerRun(1000, run(pr)); n > 1.01 {
		t.Errorf("%v allocations per transaction with answers, want 1", n)
	}
}

// TestTCPBudget checks that split TCP messages are bounded over all connections: a direction that would exceed
// the budget is dropped, and the budget is given back when messages complete or connections end.
func TestTCPBudget(t *testing.T) {
	a, rows := collect()
	a.maxTCPBuffered = 99
	f := analyzer.Flow{UID: "C1", Proto: 6, Orig: client, Resp: server}
	h1, h2 := a.Stream(&f), a.Stream(&f)
	big := []byte{0x10, 0x00, 1, 2, 3} // announces 4 KiB
	if h1.Data(true, big, 1, 1) != nil || h1.Data(true, make([]byte, 90), 2, 2) != nil {
		t.Fatal("error")
	}
	if a.tcpBuffered != 95 {
		t.Errorf("%d bytes held, want 95", a.tcpBuffered)
	}
	if h2.Data(true, big, 3, 3) != nil { // 5 more: over the budget
		t.Fatal("error")
	}
	if st := a.Stats(); st.DeadStreams != 1 || st.Notes[noteTCPBudget] != 1 || a.tcpBuffered != 95 {
		t.Errorf("dead %d, budget notes %d, held %d; want 1, 1, 95", st.DeadStreams, st.Notes[noteTCPBudget], a.tcpBuffered)
	}
	if h1.End() != nil || a.tcpBuffered != 0 {
		t.Errorf("%d bytes held after End, want 0", a.tcpBuffered)
	}
	q := query(1, "a", "com")
	msg := append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)
	h3 := a.Stream(&f)
	if h3.Data(true, msg[:3], 4, 4) != nil || h3.Data(true, msg[3:], 5, 5) != nil || a.tcpBuffered != 0 {
		t.Errorf("%d bytes held after a complete message, want 0", a.tcpBuffered)
	}
	if err := a.FlowEnd(&f); err != nil || len(*rows) != 1 {
		t.Errorf("%d rows (%v), want 1", len(*rows), err)
	}
}

// TestTCPShortMessage checks a length prefix shorter than a DNS header: a row with a note, and the direction is
// no longer parsed.
func TestTCPShortMessage(t *testing.T) {
	a, rows := collect()
	f := analyzer.Flow{UID: "C1", Proto: 6, Orig: client, Resp: server}
	h := a.Stream(&f)
	q := query(1, "a", "com")
	data := append([]byte{0, 4, 0, 9, 1, 0}, binary.BigEndian.AppendUint16(nil, uint16(len(q)))...)
	data = append(data, q...)
	if h.Data(true, data, 1, 1) != nil || h.End() != nil || a.FlowEnd(&f) != nil {
		t.Fatal("error")
	}
	if len(*rows) != 1 || (*rows)[0].note != "query: TCP message shorter than a DNS header" || (*rows)[0].TransID != 9 {
		t.Errorf("rows %+v", *rows)
	}
	if a.Stats().DeadStreams != 1 {
		t.Errorf("dead streams %d, want 1", a.Stats().DeadStreams)
	}
}
