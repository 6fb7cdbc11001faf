package decode

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DNS record types the loopback server answers with.
const (
	typeA     = 1
	typeCNAME = 5
	typeMX    = 15
	typeTXT   = 16
	typeAAAA  = 28
)

// query builds a DNS query message (RFC 1035 §4.1) for the labels and type.
func query(id uint16, labels [][]byte, qtype uint16) []byte {
	m := dnsQuery(id, labels)
	binary.BigEndian.PutUint16(m[len(m)-4:], qtype)
	return m
}

// encodeName writes labels in the wire form of a name (no compression).
func encodeName(labels [][]byte) []byte {
	var b []byte
	for _, l := range labels {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

// rr is one answer record the loopback server writes: its type, its MX preference and its RDATA.
type rr struct {
	typ  uint16
	pref uint16
	data []byte
}

// response builds the response to query q (one question, nothing after it) with the answers, each owning the
// question's name through a compression pointer (RFC 1035 §4.1.4).
func response(q []byte, answers []rr) []byte {
	m := append([]byte{}, q...)
	binary.BigEndian.PutUint16(m[2:], 0x8580) // QR, AA, RD, RA
	binary.BigEndian.PutUint16(m[6:], uint16(len(answers)))
	for _, a := range answers {
		m = append(m, 0xc0, 12)
		m = binary.BigEndian.AppendUint16(m, a.typ)
		m = append(m, 0, 1, 0, 0, 0, 60)
		rd := a.data
		if a.typ == typeMX {
			rd = append(binary.BigEndian.AppendUint16(nil, a.pref), rd...)
		}
		m = binary.BigEndian.AppendUint16(m, uint16(len(rd)))
		m = append(m, rd...)
	}
	return m
}

// txt is a TXT record's RDATA holding s in strings of at most 255 bytes.
func txt(s string) []byte {
	var b []byte
	for len(s) > 0 {
		n := min(255, len(s))
		b = append(b, byte(n))
		b = append(b, s[:n]...)
		s = s[n:]
	}
	return b
}

// dnscat2Wrap writes a dnscat2 packet as a name the way its client and server do (doc/protocol.md, "Encoding" and
// "Send / receive"): hex, in labels of at most 63 characters, then the domain, or after the "dnscat" tag when
// there is no domain.
func dnscat2Wrap(pkt []byte, domain string) [][]byte {
	ls := splitLabels(EncodeString(Hex, pkt), 63)
	if domain == "" {
		return append([][]byte{[]byte("dnscat")}, ls...)
	}
	return name(domain, ls...)
}

// dnscat2Answers encodes a dnscat2 server's packet as the answers of a response of type typ, as the dnscat2 server
// does (server/tunnel_drivers/driver_dns.rb, RECORD_TYPES): TXT the hex; CNAME and MX the hex as a name with the
// domain (or the tag); A and AAAA the length byte and the packet, cut in pieces of 3 (15) bytes padded with 0xff,
// each behind its 1-based order number. The records are shuffled, as resolvers do (doc/protocol.md).
func dnscat2Answers(pkt []byte, typ uint16, domain string, rng *rand.Rand) []rr {
	switch typ {
	case typeTXT:
		return []rr{{typ: typ, data: txt(EncodeString(Hex, pkt))}}
	case typeCNAME, typeMX:
		return []rr{{typ: typ, pref: uint16(rng.IntN(100)), data: encodeName(dnscat2Wrap(pkt, domain))}}
	}
	per := 3
	if typ == typeAAAA {
		per = 15
	}
	b := append([]byte{byte(len(pkt))}, pkt...)
	var out []rr
	for i := 0; len(b) > 0; i++ {
		c := append([]byte{}, b[:min(per, len(b))]...)
		b = b[len(c):]
		for len(c) < per {
			c = append(c, 0xff)
		}
		out = append(out, rr{typ: typ, data: append([]byte{byte(i + 1)}, c...)})
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// dnscat2MaxPacket is the longest packet the dnscat2 server puts in an answer of type typ (driver_dns.rb:
// max_length, halved for hex, less the domain for names).
func dnscat2MaxPacket(typ uint16, domain string) int {
	dl := len(domain) + 1
	if domain == "" {
		dl = len("dnscat.")
	}
	switch typ {
	case typeTXT:
		return 241 / 2
	case typeCNAME, typeMX:
		return 241/2 - dl
	case typeA:
		return 20*4 - 1
	}
	return 5*16 - 1
}

// downScenario is one downstream transfer: a client that asks and a server that answers, over loopback.
type downScenario struct {
	name, domain string
	tool         string
	enc          Encoding
	comp         string
	want, up     []byte // the server's data, and the client's (dnscat2)
	sequenced    bool
	// run sends the client's queries with ask, which returns the server's response.
	run func(t *testing.T, ask func(q []byte) []byte)
}

// dnscat2Down is a dnscat2 session in which the server sends file and the client up: the client's SYN, the
// server's SYN, then the client's MSGs (its data, then polls acknowledging what it got) and the server's MSGs
// carrying the file from the offset the client acknowledges; one poll is sent twice (its response lost), so one
// of the server's MSGs comes twice. The server's sequence number wraps.
func dnscat2Down(file, up []byte, typ uint16, domain string, sid uint16) func(t *testing.T, ask func([]byte) []byte) {
	return func(t *testing.T, ask func([]byte) []byte) {
		const cisn, sisn = 0x0100, 0xff80
		pid := uint16(0x2000)
		max := dnscat2MaxPacket(typ, domain)
		exchange := func(pkt []byte, _ []byte) {
			pid++
			binary.BigEndian.PutUint16(pkt, pid)
			ask(query(pid, dnscat2Wrap(pkt, domain), typ))
		}
		hdr := func(typ byte, seq, ack uint16) []byte {
			b := []byte{0, 0, typ, byte(sid >> 8), byte(sid)}
			b = binary.BigEndian.AppendUint16(b, seq)
			return binary.BigEndian.AppendUint16(b, ack)
		}
		syn := []byte{0, 0, 0, byte(sid >> 8), byte(sid), cisn >> 8, cisn & 0xff, 0, 0}
		exchange(syn, nil)
		cseq, got := uint16(cisn), 0
		for i := 0; len(up) > 0 || got < len(file); i++ {
			c := up[:min(len(up), max-9)]
			up = up[len(c):]
			pkt := append(hdr(1, cseq, uint16(sisn+got)), c...)
			cseq += uint16(len(c))
			exchange(slices.Clone(pkt), nil)
			if i == 2 {
				exchange(slices.Clone(pkt), nil) // the response was lost: the same poll again
			}
			got = min(len(file), got+max-9)
		}
		fin := append([]byte{0, 0, 2, byte(sid >> 8), byte(sid)}, "done\x00"...)
		exchange(fin, nil)
	}
}

// dnscat2Server answers dnscat2's packets: a SYN with its own SYN, a MSG with the bytes of file from the offset
// the MSG acknowledges, a FIN with a FIN.
func dnscat2Server(file []byte, typ uint16, domain string) func(q []byte) []byte {
	rng := rand.New(rand.NewPCG(uint64(typ), 4))
	const sisn = 0xff80
	max := dnscat2MaxPacket(typ, domain)
	return func(q []byte) []byte {
		ls := Labels(nameOf(q))
		if domain == "" {
			ls = ls[1:]
		} else {
			ls = ls[:len(ls)-len(Labels(domain))]
		}
		pkt, err := DecodeString(Hex, dataText(ls))
		if err != nil || len(pkt) < 5 {
			return response(q, nil)
		}
		out := []byte{byte(rng.IntN(256)), byte(rng.IntN(256)), pkt[2], pkt[3], pkt[4]}
		switch pkt[2] {
		case 0:
			out = append(out, sisn>>8, sisn&0xff, 0, 0)
		case 1:
			cseq, ack := binary.BigEndian.Uint16(pkt[5:]), binary.BigEndian.Uint16(pkt[7:])
			off := int(ack - sisn)
			c := file[min(off, len(file)):min(len(file), off+max-9)]
			out = binary.BigEndian.AppendUint16(out, ack)
			out = binary.BigEndian.AppendUint16(out, cseq+uint16(len(pkt)-9))
			out = append(out, c...)
		case 2:
			out = append(out, "bye\x00"...)
		}
		return response(q, dnscat2Answers(out, typ, domain, rng))
	}
}

// nameOf reads the question name of a query built by query (no compression) in the escaped text form.
func nameOf(q []byte) string {
	var ls [][]byte
	for i := 12; i < len(q) && q[i] != 0; i += 1 + int(q[i]) {
		ls = append(ls, q[i+1:i+1+int(q[i])])
	}
	return EscapeName(ls)
}

// plainServer answers a TXT query for chunk <n> (the first label) with the n-th piece of text, or, when seq is
// false, each query with the next piece.
func plainServer(text string, per int, seq bool) func(q []byte) []byte {
	next := 0
	return func(q []byte) []byte {
		n := next
		if seq {
			v, err := strconv.Atoi(string(Labels(nameOf(q))[0]))
			if err != nil {
				return response(q, nil)
			}
			n = v
		}
		next++
		lo := min(len(text), n*per)
		return response(q, []rr{{typ: typeTXT, data: txt(text[lo:min(len(text), lo+per)])}})
	}
}

// plainClient asks for the chunks of a text of n chunks: <n>.<session>.<domain> in the order given by order, or
// <random>.<domain> n times.
func plainClient(n int, domain string, seq bool) func(t *testing.T, ask func([]byte) []byte) {
	return func(t *testing.T, ask func([]byte) []byte) {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		if seq && n > 8 {
			order[5], order[6] = order[6], order[5]
			order = slices.Insert(order, 3, 3) // chunk 3 asked for twice
		}
		rng := rand.New(rand.NewPCG(9, 9))
		for i, c := range order {
			l := []byte(strconv.Itoa(c))
			if !seq {
				l = []byte(fmt.Sprintf("%08x", rng.Uint32()))
			}
			ask(query(uint16(i), name(domain, l, []byte("k9x")), typeTXT))
		}
	}
}

// TestDownLoopback transfers a known file DOWN over DNS on the loopback interface: a Go client asks, a Go server of
// the test answers as dnscat2's server does (doc/protocol.md and server/tunnel_drivers/driver_dns.rb: hex in TXT,
// hex names in CNAME and MX, length-prefixed bytes behind order numbers in shuffled A and AAAA records; with a
// domain, and without one, where the names begin with the "dnscat" tag) and as a plain script does (base64,
// base32, gzip+hex in TXT answers, chunks named by a sequence label or taken in capture order). Both directions
// are captured on lo, read back with ReadResponses, and DecodeDown must give the file the server sent (and Decode
// the bytes dnscat2's client sent). No real dnscat2 runs: it is not packaged in Debian.
func TestDownLoopback(t *testing.T) {
	file := secretFile(t)
	up := []byte("the client's own data, upstream in the same session")
	var all []downScenario
	servers := map[string]func([]byte) []byte{}
	for _, c := range []struct {
		typ    uint16
		tname  string
		domain string
	}{
		{typeTXT, "txt", "cat.down.test"}, {typeCNAME, "cname", "cat.down.test"}, {typeMX, "mx", "cat.down.test"},
		{typeA, "a", "cat.down.test"}, {typeAAAA, "aaaa", "cat.down.test"},
		{typeTXT, "txt", ""}, {typeMX, "mx", ""}, {typeA, "a", ""},
	} {
		d := c.domain
		if d != "" {
			d = c.tname + "." + d
		}
		n := "dnscat2-" + c.tname
		if d == "" {
			n += "-direct"
		}
		s := downScenario{name: n, domain: d, tool: ToolDNSCat2, enc: Hex, want: file, up: up, sequenced: true,
			run: dnscat2Down(file, up, c.typ, d, uint16(0x5100+len(all)))}
		all = append(all, s)
	}
	for _, c := range []struct {
		e    Encoding
		comp string
		seq  bool
	}{{Base64, "", true}, {Base32, "", false}, {Hex, "gzip", true}} {
		data := file
		if c.comp != "" {
			data = compress(t, c.comp, file)
		}
		text := EncodeString(c.e, data)
		const per = 180
		n := (len(text) + per - 1) / per
		d := fmt.Sprintf("%s%s%v.plain.down.test", c.e, c.comp, c.seq)
		all = append(all, downScenario{name: "plain-" + string(c.e) + c.comp + map[bool]string{true: "-seq", false: "-noseq"}[c.seq],
			domain: d, tool: ToolPlain, enc: c.e, comp: c.comp, want: file, sequenced: c.seq, run: plainClient(n, d, c.seq)})
		servers[d] = plainServer(text, per, c.seq)
	}
	// the scenarios with a domain in one capture; each without a domain in its own, as they all share the tag
	var direct []downScenario
	withDomain := slices.DeleteFunc(slices.Clone(all), func(s downScenario) bool { return s.domain == "" })
	for _, s := range all {
		if s.domain == "" {
			direct = append(direct, s)
		}
	}
	checkDown(t, withDomain, runDown(t, withDomain, servers))
	for _, s := range direct {
		checkDown(t, []downScenario{s}, runDown(t, []downScenario{s}, servers))
	}
}

// runDown runs the scenarios against a server of the test on its own loopback address, captures both directions
// and returns the capture.
func runDown(t *testing.T, all []downScenario, servers map[string]func([]byte) []byte) string {
	addr := loopAddr()
	pc, err := net.ListenPacket("udp4", addr+":53")
	if err != nil {
		t.Fatalf("listen on %s:53 (the test needs root): %v", addr, err)
	}
	defer pc.Close()
	var mu sync.Mutex
	var serve func([]byte) []byte
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			s := serve
			mu.Unlock()
			if s != nil {
				pc.WriteTo(s(append([]byte{}, buf[:n]...)), from)
			}
		}
	}()
	stop := captureLo(t, "udp and host "+addr+" and port 53")
	c, err := net.Dial("udp4", addr+":53")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exchanged := 0
	ask := func(q []byte) []byte {
		if _, err := c.Write(q); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no response: %v", err)
		}
		exchanged++
		return buf[:n]
	}
	for _, s := range all {
		srv := servers[s.domain]
		if s.tool == ToolDNSCat2 {
			typ := map[string]uint16{"txt": typeTXT, "cname": typeCNAME, "mx": typeMX, "a": typeA, "aaaa": typeAAAA}[strings.Split(strings.TrimPrefix(s.name, "dnscat2-"), "-")[0]]
			srv = dnscat2Server(s.want, typ, s.domain)
		}
		mu.Lock()
		serve = srv
		mu.Unlock()
		s.run(t, ask)
	}
	path, captured := stop()
	if captured != 2*exchanged {
		t.Fatalf("captured %d frames, %d queries and responses were exchanged", captured, 2*exchanged)
	}
	t.Logf("%d queries and responses in %d scenarios captured on lo", exchanged, len(all))
	return path
}

// checkDown decodes each scenario from the capture at path: DecodeDown must give the server's file, Decode the
// client's data (dnscat2).
func checkDown(t *testing.T, all []downScenario, path string) {
	qs, err := ReadQueries(context.Background(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		t.Run(s.name, func(t *testing.T) {
			opts := Options{Domain: s.domain}
			if s.domain == "" {
				opts.Tool = ToolDNSCat2
			}
			rs, err := ReadResponses(context.Background(), []string{path}, s.domain)
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeDown(rs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Tool != s.tool || r.Encoding != s.enc || r.Compression != s.comp || !r.Decoded || r.Sequenced != s.sequenced || r.Direction != Down {
				t.Errorf("tool %q encoding %q compression %q decoded %v sequenced %v direction %s, want %q %q %q true %v down (notes %q)",
					r.Tool, r.Encoding, r.Compression, r.Decoded, r.Sequenced, r.Direction, s.tool, s.enc, s.comp, s.sequenced, r.Notes)
			}
			if !bytes.Equal(r.Data, s.want) || r.MIME != "image/png" {
				t.Errorf("%d bytes of %s decoded, want the %d bytes of the PNG sent (notes %q)", len(r.Data), r.MIME, len(s.want), r.Notes)
			}
			if s.sequenced && (r.Duplicates != 1 || r.Missing != 0) {
				t.Errorf("%d duplicates, %d missing: want the one chunk asked for twice dropped", r.Duplicates, r.Missing)
			}
			if s.up == nil {
				return
			}
			u, err := Decode(qs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if u.Tool != ToolDNSCat2 || u.Direction != Up || !bytes.Equal(u.Data, s.up) {
				t.Errorf("upstream: tool %s direction %s: %q decoded, want %q (notes %q)", u.Tool, u.Direction, u.Data, s.up, u.Notes)
			}
		})
	}
}

// TestQueryAnswersLoopback sends a known file UP in the answer section of the client's own queries (a query
// message whose ANCOUNT is not zero, RFC 1035 §4.1.1, carrying a TXT record of base32 per chunk, the question
// <n>.<session>.<domain>, chunk 2 sent twice and 4 before 3) to a loopback server of the test that answers each with
// no records; captured on lo, ReadResponses keeps those queries, and DecodeQueryAnswers must give the file, while
// DecodeDown finds nothing in the server's empty answers.
func TestQueryAnswersLoopback(t *testing.T) {
	file := secretFile(t)
	const d = "qa.up.test"
	text := EncodeString(Base32, file)
	const per = 200
	var chunks []string
	for i := 0; i < len(text); i += per {
		chunks = append(chunks, text[i:min(len(text), i+per)])
	}
	order := []int{0, 1, 2, 2, 4, 3}
	for i := 5; i < len(chunks); i++ {
		order = append(order, i)
	}
	s := downScenario{name: "query-answers", domain: d, run: func(t *testing.T, ask func([]byte) []byte) {
		for i, n := range order {
			q := query(uint16(i), name(d, []byte(strconv.Itoa(n)), []byte("z7")), typeTXT)
			q = response(q, []rr{{typ: typeTXT, data: txt(chunks[n])}})
			q[2], q[3] = 0x01, 0x00 // a query (QR clear, RD) with one answer record
			ask(q)
		}
	}}
	servers := map[string]func([]byte) []byte{d: func(q []byte) []byte {
		end := 12
		for end < len(q) && q[end] != 0 {
			end += 1 + int(q[end])
		}
		m := append([]byte{}, q[:end+5]...)
		m[2], m[3] = 0x85, 0x80
		m[6], m[7] = 0, 0
		return m
	}}
	path := runDown(t, []downScenario{s}, servers)
	rs, err := ReadResponses(context.Background(), []string{path}, d)
	if err != nil {
		t.Fatal(err)
	}
	nq := 0
	for _, r := range rs {
		if r.Query {
			nq++
		}
	}
	if nq != len(order) || len(rs) != 2*len(order) {
		t.Fatalf("%d queries with answers and %d messages read, want %d and %d", nq, len(rs), len(order), 2*len(order))
	}
	r, err := DecodeQueryAnswers(rs, Options{Domain: d})
	if err != nil {
		t.Fatal(err)
	}
	if r.Direction != Up || r.Encoding != Base32 || !r.Sequenced || r.Duplicates != 1 || !bytes.Equal(r.Data, file) || r.MIME != "image/png" {
		t.Errorf("direction %s encoding %s sequenced %v duplicates %d: %d bytes of %s, want the %d of the PNG (notes %q)",
			r.Direction, r.Encoding, r.Sequenced, r.Duplicates, len(r.Data), r.MIME, len(file), r.Notes)
	}
	if down, err := DecodeDown(rs, Options{Domain: d}); err != nil || down.Decoded || down.Queries != len(order) {
		t.Errorf("down: %v decoded %v from %d responses", err, down.Decoded, down.Queries)
	}
}
