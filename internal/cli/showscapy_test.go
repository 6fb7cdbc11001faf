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
