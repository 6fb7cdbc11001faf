package http

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goldenCaptures are the captures scripts/golden-http.sh dissects with tshark, with the streams where the
// http table and tshark differ, and why.
var goldenCaptures = []struct {
	name string
	skip map[int64]string // tcp.stream → why it is not compared
	// responses of the table that tshark does not show, by the response's first frame → why; the row must
	// carry a note that says what is missing
	untold map[int64]string
	// responses whose first byte the table places at a later frame than the one tshark completes them at, by
	// the table's frame → why
	late map[int64]string
}{
	{name: "zeek__http_get.pcap"},
	{name: "zeek__http_http-post-large.pcap"},
	{name: "zeek__http_pipelined-requests.pcap"},
	{name: "zeek__http_iso-download.pcap.gz"},
	{name: "scapy__http_chunk.pcap.gz"},
	{name: "chrissanders__http_espn.pcapng", untold: map[int64]string{
		611: "3,038 bytes of the body were not captured (frames 612-893): tshark shows no message it cannot reassemble; the row has the response, its note the missing bytes"},
		late: map[int64]string{895: "the response's segments (893, 894) follow the hole: the reassembler delivers them when frame 895 shows the hole is given up"}},
	{name: "chrissanders__arppoison.pcapng"},
	{name: "chrissanders__cryptowall4_c2.pcapng"},
	{name: "arkime__80211http.pcap"},
	{name: "arkime__wireshark-retrans.pcap"},
	{name: "ndpi__WebattackSQLinj.pcap"},
	{name: "ndpi__log4j-webapp-exploit.pcap"},
	{name: "ndpi__trickbot.pcap"},
	{name: "pcapplusplus__Pcap__Test_PcapExamples_four_ipv6_http_streams.pcap"},
	{name: "pcapplusplus__Pcap__Test_PcapExamples_raw_ip.pcap", untold: map[int64]string{
		49: "the capture ends inside the body: tshark shows no message it cannot reassemble; the row notes it incomplete"}},
	{name: "markofu__CounterHack_HackChallenge_Cmas2011.pcap"},
	{name: "zeek__tcp_handshake-reorder.pcap"},
	{name: "zeek__tcp_missing-syn.pcap"},
	{name: "zeek__mixed-vlan-mpls.pcap"},
}

// tsharkReq and tsharkResp are the messages tshark shows, in the order of their frames.
type tsharkReq struct {
	frame                      int64
	method, uri, host, ua, len string
	hasHost, hasUA, hasLen     bool
}

type tsharkResp struct {
	frame  int64
	code   string
	len    string
	hasLen bool
}

type tsharkStream struct {
	reqs  []tsharkReq
	resps []tsharkResp
}

func readGolden(t *testing.T, name string) map[int64]*tsharkStream {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden file missing: %v (run scripts/golden-http.sh from the repository root)", err)
	}
	defer f.Close()
	out := map[int64]*tsharkStream{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 8 {
			t.Fatalf("%s: %d columns in %q", path, len(c), sc.Text())
		}
		v := func(i int) []string {
			if c[i] == "" {
				return nil
			}
			return strings.Split(c[i], "\x1f")
		}
		frame, err1 := strconv.ParseInt(c[0], 10, 64)
		st, err2 := strconv.ParseInt(c[1], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		s := out[st]
		if s == nil {
			s = &tsharkStream{}
			out[st] = s
		}
		methods, uris, hosts, uas, codes, lens := v(2), v(3), v(4), v(5), v(6), v(7)
		if len(methods) != len(uris) {
			t.Fatalf("%s: frame %d: %d methods, %d uris", path, frame, len(methods), len(uris))
		}
		// A field's values belong to the frame's messages in order; when some messages lack it, which ones
		// cannot be told, so it is compared only when every message of its kind has it.
		n := len(methods) + len(codes)
		for i := range methods {
			r := tsharkReq{frame: frame, method: methods[i], uri: uris[i]}
			if len(hosts) == len(methods) {
				r.host, r.hasHost = hosts[i], true
			}
			if len(uas) == len(methods) {
				r.ua, r.hasUA = uas[i], true
			}
			if n == 1 && len(lens) == 1 {
				r.len, r.hasLen = lens[0], true
			}
			s.reqs = append(s.reqs, r)
		}
		for i := range codes {
			r := tsharkResp{frame: frame, code: codes[i]}
			if n == 1 && len(lens) == 1 {
				r.len, r.hasLen = lens[0], true
			}
			s.resps = append(s.resps, r)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoldenTshark compares, for each TCP stream of the golden captures, the requests (method, URI, Host,
// User-Agent, Content-Length) and the responses (status code, Content-Length) of the http table, in
// trans_depth order, with the messages tshark dissects, in frame order; and that the table has no message
// tshark does not show.
func TestGoldenTshark(t *testing.T) {
	total := 0
	for _, gc := range goldenCaptures {
		t.Run(gc.name, func(t *testing.T) {
			want := readGolden(t, gc.name)
			rows, _ := runCapture(t, gc.name)
			got := map[int64]*[2][]testRow{}
			for _, r := range rows {
				g := got[r.stream]
				if g == nil {
					g = &[2][]testRow{}
					got[r.stream] = g
				}
				if r.HasRequest {
					g[0] = append(g[0], r)
				}
				if why, ok := gc.untold[r.ResponseFrame]; ok && r.HasResponse {
					if !strings.Contains(r.Note, "missing") && !strings.Contains(r.Note, "incomplete") {
						t.Errorf("response at frame %d (%s): note %q says nothing of it", r.ResponseFrame, why, r.Note)
					}
					delete(gc.untold, r.ResponseFrame)
					continue
				}
				if r.HasResponse && r.StatusCode != 0 { // tshark does not call HTTP/0.9's status-less answer a response
					g[1] = append(g[1], r)
				}
			}
			for fr, why := range gc.untold {
				t.Errorf("no response at frame %d (%s)", fr, why)
			}
			for st, w := range want {
				if why, ok := gc.skip[st]; ok {
					t.Logf("stream %d not compared: %s", st, why)
					continue
				}
				g := got[st]
				if g == nil {
					g = &[2][]testRow{}
				}
				if len(g[0]) != len(w.reqs) || len(g[1]) != len(w.resps) {
					t.Errorf("stream %d: %d requests and %d responses, tshark %d and %d", st, len(g[0]), len(g[1]), len(w.reqs), len(w.resps))
					continue
				}
				for i, wr := range w.reqs {
					r := g[0][i]
					total++
					check := func(field, got, want string) {
						if got != want {
							t.Errorf("stream %d request %d (tshark frame %d): %s %q, tshark %q", st, i+1, wr.frame, field, got, want)
						}
					}
					check("method", r.Method, wr.method)
					check("uri", r.URI, wr.uri)
					if wr.hasHost {
						check("host", r.Host, wr.host)
					}
					if wr.hasUA {
						check("user_agent", r.UserAgent, wr.ua)
					}
					if wr.hasLen {
						check("content_length", fmt.Sprint(r.RequestContentLength), wr.len)
					}
					if r.RequestFrame > wr.frame {
						t.Errorf("stream %d request %d: request_frame %d after tshark's frame %d", st, i+1, r.RequestFrame, wr.frame)
					}
				}
				for i, wr := range w.resps {
					r := g[1][i]
					total++
					if got := fmt.Sprint(r.StatusCode); got != wr.code {
						t.Errorf("stream %d response %d (tshark frame %d): status_code %s, tshark %s", st, i+1, wr.frame, got, wr.code)
					}
					if wr.hasLen && fmt.Sprint(r.ResponseContentLength) != wr.len {
						t.Errorf("stream %d response %d (tshark frame %d): content_length %d, tshark %s", st, i+1, wr.frame, r.ResponseContentLength, wr.len)
					}
					if _, ok := gc.late[r.ResponseFrame]; !ok && r.ResponseFrame > wr.frame {
						t.Errorf("stream %d response %d: response_frame %d after tshark's frame %d", st, i+1, r.ResponseFrame, wr.frame)
					}
				}
			}
			for st, g := range got {
				if _, ok := want[st]; !ok {
					if _, skip := gc.skip[st]; !skip {
						t.Errorf("stream %d: %d requests and %d responses that tshark does not show (first: %+v)", st, len(g[0]), len(g[1]), g)
					}
				}
			}
		})
	}
	if total == 0 {
		t.Fatal("no message compared")
	}
	t.Logf("%d messages compared", total)
}
