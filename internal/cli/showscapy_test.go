package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scapyLines returns the dissection part of show's output or Scapy's: from the first link-layer section to the
// end (or to pcapframe's own sections), blank lines dropped and trailing blanks trimmed, with two Scapy 2.5
// quirks written as pcapframe writes them: a byte of 0x80 or more in a byte string is \\xHH in Scapy (its repr
// of a Latin-1 text), and a TCP header without options and without payload shows its options as an empty string instead of [].
func scapyLines(s string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, " ")
		switch {
		case strings.HasPrefix(l, "###[ Frame ]###"), strings.HasPrefix(l, "###[ pcapframe row ]###"), strings.HasPrefix(l, "###[ dns table"), strings.HasPrefix(l, "###[ tls table"):
			in = false
			continue
		case regexp.MustCompile(`^###\[ (Ethernet|802|IP|ARP)`).MatchString(l):
			in = true
		}
		if !in || l == "" {
			continue
		}
		l = regexp.MustCompile(`\\\\x([89a-f][0-9a-f])`).ReplaceAllString(l, `\x$1`)
		if strings.TrimSpace(l) == "options   = ''" {
			l = strings.Replace(l, "''", "[]", 1)
		}
		out = append(out, l)
	}
	return out
}

// TestShowScapy: show prints what Scapy's show() prints (testdata/golden/show, from scripts/golden-show.sh with
// Scapy 2.5, ports as numbers): the same layers, field names, order and values, for TCP with options, data and
// RST, DNS queries and answers, ICMP echo, ARP with padding, a first IPv4 fragment and 802.1ad/802.1Q tags
// (issue 13 item 9).
func TestShowScapy(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/golden/show/*.txt")
	if len(files) < 10 {
		t.Fatalf("%d golden files (scripts/golden-show.sh)", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		i := strings.LastIndex(name, ".")
		capture, frame := name[:i], name[i+1:]
		t.Run(name, func(t *testing.T) {
			golden, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out, errOut, code := run(t, "", "show", filepath.Join("../../testdata/pcaps", capture), "--frame", frame)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			want, got := scapyLines(string(golden)), scapyLines(out)
			for j := range max(len(want), len(got)) {
				var w, g string
				if j < len(want) {
					w = want[j]
				}
				if j < len(got) {
					g = got[j]
				}
				if w != g {
					t.Errorf("line %d:\nScapy: %q\nshow:  %q", j+1, w, g)
					break
				}
			}
		})
	}
}

// TestPyBytes: payloads are written as Python writes bytes (repr without the b prefix); expected texts are
// Python 3's repr(bytes(...)) of each input.
func TestPyBytes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hey bro\n", `'Hey bro\n'`},
		{"", `''`},
		{"it's", `"it's"`},
		{`it's "x"`, `'it\'s "x"'`},
		{"a\\b", `'a\\b'`},
		{"\x00\x7f\x80\xff\t\r", `'\x00\x7f\x80\xff\t\r'`},
		{"\x1b[31m", `'\x1b[31m'`},
	}
	for _, tc := range tests {
		if got := pyBytes([]byte(tc.in)); got != tc.want {
			t.Errorf("pyBytes(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// show adds the protocol tables' view of the frame (issue 13 item 9): the DNS transaction a frame asks or
// answers, the TLS handshake whose hello it holds. Expected values read from tshark 4.0 (dns.qry.name and dns.a
// of frame 2; tls.handshake.extensions_server_name of the ClientHello in frame 7; tls.handshake.ciphersuite
// 0x0004 of the ServerHello in frame 5).
func TestShowTables(t *testing.T) {
	tests := []struct {
		capture, frame string
		want           []string // lines of the output; none: no table section
	}{
		{"pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap", "2", []string{"###[ dns table ]###", "  query         = www.google.com\n",
			`  answers       = ["173.194.112.19","173.194.112.18","173.194.112.17","173.194.112.16","173.194.112.20"]`, "  response_frame= 2\n"}},
		{"pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap", "1", []string{"###[ dns table ]###", "  query         = www.google.com\n", "  query_frame   = 1\n"}},
		{"zeek__tls_tls13-ech.pcap", "7", []string{"###[ tls table ]###", "  server_name   = cloudflare-ech.com\n"}},
		{"zeek__tls_tls1.2.pcap", "5", []string{"###[ tls table ]###", "  cipher_id     = 4\n", "  server_hello_frame= 5\n"}},
		{"seed__find_the_image.pcap", "2", nil},
	}
	for _, tc := range tests {
		out, errOut, code := run(t, "", "show", filepath.Join("../../testdata/pcaps", tc.capture), "--frame", tc.frame)
		if code != 0 {
			t.Fatalf("%s %s: exit %d: %s", tc.capture, tc.frame, code, errOut)
		}
		if tc.want == nil && strings.Contains(out, " table ]###") {
			t.Errorf("%s %s: a table section for a frame no analyzer reads:\n%s", tc.capture, tc.frame, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s %s: no %q in\n%s", tc.capture, tc.frame, w, out)
			}
		}
	}
}
