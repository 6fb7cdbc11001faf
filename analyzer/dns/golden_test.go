package dns

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// goldenCaptures are the captures scripts/golden-dns.sh dissects with tshark, with the frames tshark dissects
// as DNS that pcapframe does not, and why (docs/DESIGN.md, "Differences from tshark").
var goldenCaptures = []struct {
	name   string
	absent map[int64]string // frames in no row → why
	extra  map[int64]string // frames of rows that tshark does not dissect as DNS → why
}{
	{name: "tcpdump__dns_udp.pcap"},
	{name: "tcpdump__dns_tcp.pcap"},
	{name: "tcpdump__dnssec.pcap"},
	{name: "tcpdump__edns-opts.pcap"},
	{name: "chrissanders__dns_axfr.pcapng"},
	{name: "chrissanders__http_espn.pcapng"},
	{name: "dmachard__dns2tcp.pcap"},
	{name: "dmachard__dnscat2.pcap"},
	{name: "ndpi__dns-exf.pcap"},
	{name: "ndpi__dns-tunnel-iodine.pcap"},
	{name: "ndpi__bad-dns-traffic.pcap"},
	{name: "pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap"},
	{name: "zeek__dns_mdns.pcap"},
	{name: "zeek__dns_dns-corrupt.pcap"},
	{name: "zeek__ticks-dns-1hr.pcap"},
	{name: "zeek__ipv6-fragmented-dns.pcap",
		absent: map[int64]string{8: "the last fragment of a fragmented response: pcapframe does not reassemble IP (the flows table's view), so the response is parsed from its first fragment, frame 6, truncated"},
		extra:  map[int64]string{6: "the first fragment of a fragmented response, parsed as far as it goes (note: truncated); tshark dissects the response at the last fragment, frame 8"}},
	{name: "zeek__nmap-vsn.pcap"},
	{name: "zeek__tunnels_Teredo.pcap"},
	{name: "arkime__6-4-gre-ppp-udp-4-dns.pcap", absent: map[int64]string{
		1: "DNS inside GRE/PPP inside IPv6: flows follow the outermost header only (a GRE flow), so the analyzer sees no UDP",
		2: "DNS inside GRE/PPP inside IPv6 (see frame 1)"}},
}

// tsharkMsg is one line of a golden file: what tshark dissected in one frame.
type tsharkMsg struct {
	frame                  int64
	response               []string
	id, qname, qtype       []string
	rcode, count           []string
	types, ttls            []string
	a, aaaa, cname, txt    []string
	responseIn, responseTo []string
	opcode                 []string
}

func readGolden(t *testing.T, name string) map[int64]*tsharkMsg {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file missing: %v (run scripts/golden-dns.sh from the repository root)", err)
	}
	defer f.Close()
	out := map[int64]*tsharkMsg{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 16 {
			t.Fatalf("%s: %d columns in %q", path, len(c), sc.Text())
		}
		v := func(i int) []string {
			if c[i] == "" {
				return nil
			}
			return strings.Split(c[i], "\x1f")
		}
		fr, err := strconv.ParseInt(c[0], 10, 64)
		if err != nil {
			t.Fatalf("%s: frame %q", path, c[0])
		}
		out[fr] = &tsharkMsg{frame: fr, response: v(1), id: v(2), qname: v(3), qtype: v(4), rcode: v(5), count: v(6),
			types: v(7), ttls: v(8), a: v(9), aaaa: v(10), cname: v(11), txt: v(12), responseIn: v(13), responseTo: v(14), opcode: v(15)}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tsharkText is how tshark 4.0 prints name and TXT bytes: valid UTF-8 as is, and each invalid sequence as one
// U+FFFD, where Wireshark (epan/charsets.c) reads a sequence as its lead byte announces (C0-DF two bytes, E0-EF
// three, F0-F7 four, F8-FB five, FC-FD six) and stops at the first byte that is no continuation byte (80-BF):
// "\xed\xbfd" is one U+FFFD and "d", where the Unicode standard's maximal subparts would give two.
func tsharkText(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			sb.WriteRune(r)
			b = b[n:]
			continue
		}
		sb.WriteRune(utf8.RuneError)
		b = b[invalidLen(b):]
	}
	return sb.String()
}

// invalidLen is the length of the invalid sequence at the start of b, as Wireshark delimits it (at least 1).
func invalidLen(b []byte) int {
	c := b[0]
	var need int
	switch {
	case c >= 0xc0 && c <= 0xdf:
		need = 1
	case c >= 0xe0 && c <= 0xef:
		need = 2
	case c >= 0xf0 && c <= 0xf7:
		need = 3
	case c >= 0xf8 && c <= 0xfb:
		need = 4
	case c == 0xfc, c == 0xfd:
		need = 5
	default:
		return 1
	}
	n := 1
	for i := 1; i <= need && i < len(b) && b[i] >= 0x80 && b[i] <= 0xbf; i++ {
		n++
	}
	return n
}

// unescape reverses the escaped text form of names and TXT strings.
func unescape(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && s[i+1] == 'x':
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("bad escape in %q", s)
			}
			out = append(out, byte(v))
			i += 3
		default:
			return nil, fmt.Errorf("bad escape in %q", s)
		}
	}
	return out, nil
}

// txtStrings splits an answer written "TXT <n> <text> TXT <n> <text>..." into its strings' bytes.
func txtStrings(ans string) ([][]byte, error) {
	var out [][]byte
	for ans != "" {
		if !strings.HasPrefix(ans, "TXT ") {
			return nil, fmt.Errorf("not a TXT answer: %q", ans)
		}
		ans = ans[4:]
		sp := strings.IndexByte(ans, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("no length in %q", ans)
		}
		n, err := strconv.Atoi(ans[:sp])
		if err != nil {
			return nil, err
		}
		ans = ans[sp+1:]
		// Read escaped text until n bytes are decoded.
		var b []byte
		i := 0
		for len(b) < n && i < len(ans) {
			switch {
			case ans[i] == '\\' && i+1 < len(ans) && ans[i+1] == '\\':
				b, i = append(b, '\\'), i+2
			case ans[i] == '\\' && i+3 < len(ans) && ans[i+1] == 'x':
				v, err := strconv.ParseUint(ans[i+2:i+4], 16, 8)
				if err != nil {
					return nil, err
				}
				b, i = append(b, byte(v)), i+4
			default:
				b, i = append(b, ans[i]), i+1
			}
		}
		if len(b) != n {
			return nil, fmt.Errorf("TXT string shorter than %d: %q", n, ans)
		}
		out = append(out, b)
		ans = strings.TrimPrefix(ans[i:], " ")
	}
	return out, nil
}

func hexID(id uint16) string { return fmt.Sprintf("0x%04x", id) }

// TestGoldenTshark compares every transaction with tshark's dissection of its query and response frames: id,
// question name and type, rcode, the answer section (types, TTLs, A, AAAA, CNAME, TXT), tshark's own matching of
// queries to responses; and checks that every frame tshark dissects as DNS is in a row.
func TestGoldenTshark(t *testing.T) {
	total, frames := 0, 0
	defer func() { t.Logf("%d rows compared, %d frames tshark dissects as DNS", total, frames) }()
	for _, gc := range goldenCaptures {
		t.Run(gc.name, func(t *testing.T) {
			golden := readGolden(t, gc.name)
			rows, _, _ := runCapture(t, gc.name)
			total += len(rows)
			frames += len(golden)
			seen := map[int64]bool{}
			for _, r := range rows {
				label := fmt.Sprintf("row (query frame %d, response frame %d, id %d)", r.QueryFrame, r.ResponseFrame, r.TransID)
				for _, fr := range []int64{r.QueryFrame, r.ResponseFrame} {
					if fr == 0 {
						continue
					}
					seen[fr] = true
					g := golden[fr]
					if why, ok := gc.extra[fr]; ok && g == nil {
						t.Logf("frame %d in a row, not DNS for tshark, as expected: %s (note %q)", fr, why, r.note)
						continue
					}
					if g == nil {
						t.Errorf("%s: tshark dissects no DNS in frame %d", label, fr)
						continue
					}
					if len(g.id) != 1 {
						// Several messages in one TCP frame: the id must be one of them.
						if !slices.Contains(g.id, hexID(r.TransID)) {
							t.Errorf("%s: id not among tshark's %v", label, g.id)
						}
						continue
					}
					if g.id[0] != hexID(r.TransID) {
						t.Errorf("%s: frame %d: id, tshark %s", label, fr, g.id[0])
					}
					checkQuestion(t, label, fr, &r, g)
				}
				if r.QueryFrame != 0 && r.ResponseFrame != 0 {
					if g := golden[r.ResponseFrame]; g != nil && len(g.id) == 1 && len(g.responseTo) == 1 && g.responseTo[0] != strconv.FormatInt(r.QueryFrame, 10) {
						t.Errorf("%s: tshark matches the response to frame %s", label, g.responseTo[0])
					}
				}
				if r.QueryFrame != 0 && r.ResponseFrame == 0 {
					if g := golden[r.QueryFrame]; g != nil && len(g.id) == 1 && len(g.responseIn) > 0 {
						t.Errorf("%s: unanswered, but tshark matches the query to frame %v", label, g.responseIn)
					}
				}
				if r.ResponseFrame != 0 {
					if g := golden[r.ResponseFrame]; g != nil && len(g.id) == 1 {
						checkResponse(t, label, &r, g)
					}
				}
			}
			for fr := range golden {
				if !seen[fr] {
					if why, ok := gc.absent[fr]; ok {
						t.Logf("frame %d not in a row, as expected: %s", fr, why)
						continue
					}
					t.Errorf("frame %d: tshark dissects DNS (id %v, %v), no row has it", fr, golden[fr].id, golden[fr].qname)
				}
			}
		})
	}
}

func checkQuestion(t *testing.T, label string, fr int64, r *testRow, g *tsharkMsg) {
	t.Helper()
	// The row's question is the query's; a response-only row's is the response's.
	if fr == r.ResponseFrame && r.QueryFrame != 0 {
		return
	}
	if !r.HasQuestion {
		if len(g.qname) > 0 {
			t.Errorf("%s: no question, tshark has %q", label, g.qname)
		}
		return
	}
	if len(g.qname) == 0 {
		t.Errorf("%s: question %q, tshark has none", label, r.query)
		return
	}
	want := tsharkText([]byte(r.raw))
	if r.LabelCount == 0 {
		want = "<Root>"
	}
	if g.qname[0] != want {
		t.Errorf("%s: query %q (tshark form %q), tshark %q", label, r.query, want, g.qname[0])
	}
	raw, err := unescape(r.query)
	if err != nil {
		t.Errorf("%s: %v", label, err)
	} else if r.LabelCount > 0 && !slices.Equal(raw, []byte(r.raw)) {
		t.Errorf("%s: query %q does not unescape to query_raw %q", label, r.query, r.raw)
	}
	if len(g.qtype) == 0 || g.qtype[0] != strconv.Itoa(int(r.QType)) {
		t.Errorf("%s: qtype %d, tshark %v", label, r.QType, g.qtype)
	}
}

func checkResponse(t *testing.T, label string, r *testRow, g *tsharkMsg) {
	t.Helper()
	if len(g.rcode) != 1 || g.rcode[0] != strconv.Itoa(int(r.Rcode)) {
		t.Errorf("%s: rcode %d, tshark %v", label, r.Rcode, g.rcode)
	}
	n := 0
	if len(g.count) == 1 {
		n, _ = strconv.Atoi(g.count[0])
	}
	if len(r.answers) != n {
		if strings.Contains(r.note, "response:") {
			t.Logf("%s: %d answers of %d (note %q)", label, len(r.answers), n, r.note)
		} else {
			t.Errorf("%s: %d answers, tshark counts %d", label, len(r.answers), n)
		}
	}
	n = min(n, len(r.answers), len(g.types))
	var a, aaaa, cname, txt []string
	for i := range n {
		if g.types[i] != strconv.Itoa(typeNumber(r.types[i])) {
			t.Errorf("%s: answer %d type %s, tshark %s", label, i, r.types[i], g.types[i])
			return
		}
		if i < len(g.ttls) && g.ttls[i] != strconv.FormatFloat(r.ttls[i], 'f', -1, 64) {
			t.Errorf("%s: answer %d TTL %v, tshark %s", label, i, r.ttls[i], g.ttls[i])
		}
		switch r.types[i] {
		case "A":
			a = append(a, r.answers[i])
		case "AAAA":
			aaaa = append(aaaa, r.answers[i])
		case "CNAME":
			s, err := unescape(r.answers[i])
			if err != nil {
				t.Errorf("%s: %v", label, err)
			}
			if r.answers[i] == "." {
				cname = append(cname, "<Root>")
			} else {
				cname = append(cname, tsharkText(s))
			}
		case "TXT":
			ss, err := txtStrings(r.answers[i])
			if err != nil {
				t.Errorf("%s: %v", label, err)
			}
			for _, s := range ss {
				txt = append(txt, tsharkText(s))
			}
		}
	}
	cmp := func(what string, ours, theirs []string) {
		theirs = theirs[:min(len(ours), len(theirs))]
		if !slices.Equal(ours, theirs) {
			t.Errorf("%s: %s %q, tshark %q", label, what, ours, theirs)
		}
	}
	cmp("A", a, g.a)
	cmp("AAAA", aaaa, g.aaaa)
	cmp("CNAME", cname, g.cname)
	cmp("TXT", txt, g.txt)
}

func typeNumber(name string) int {
	for k, v := range qtypeNames {
		if v == name {
			return int(k)
		}
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(name, "query-"))
	return n
}

// TestMDNSAndLLMNR checks that the mDNS (5353) and LLMNR (5355) exchanges of a corpus capture are rows and
// that their flows are recognised.
func TestMDNSAndLLMNR(t *testing.T) {
	rows, services, _ := runCapture(t, "pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap")
	ports := map[uint16]int{}
	for _, r := range rows {
		ports[r.RespP]++
		if services[r.UID] != "dns" {
			t.Errorf("flow %s of a row: service %q", r.UID, services[r.UID])
		}
	}
	if ports[5353] == 0 || ports[5355] == 0 || ports[53] == 0 {
		t.Errorf("rows by responder port %v: want DNS, mDNS and LLMNR", ports)
	}
}
