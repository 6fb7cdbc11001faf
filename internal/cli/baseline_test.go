package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// tsharkSet runs tshark with fields on a capture and returns the distinct non-empty values.
func tsharkSet(t *testing.T, capture, filter string, fields ...string) []string {
	t.Helper()
	args := []string{"-r", capture, "-T", "fields"}
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	set := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		for _, v := range strings.Split(l, "\t") {
			for _, x := range strings.Split(v, ",") {
				if x = strings.TrimSpace(x); x != "" {
					set[x] = true
				}
			}
		}
	}
	var s []string
	for v := range set {
		s = append(s, v)
	}
	sort.Strings(s)
	return s
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// TestHuntBaseline compares the notebook's capture with a known-good capture made from it by tshark (its TLS
// flows on port 443 only): the new hosts and the new answering server ports must be those tshark finds in one and
// not the other (addresses of the IP headers; source ports of SYN-ACKs), and a capture compared with itself has
// nothing new. A second pair of corpus captures (a TLS-heavy capture against the notebook's) must report as many
// new TLS server names as tshark's client hellos name in one and not the other (tshark 4.0 has no JA4 field, so
// the JA4 kind is not checked against it here).
func TestHuntBaseline(t *testing.T) {
	needSeed(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is needed (apt-get install -y tshark)")
	}
	base := filepath.Join(t.TempDir(), "base443.pcap")
	if out, err := exec.Command("tshark", "-r", seedPcap, "-Y", "tcp.port==443", "-w", base).CombinedOutput(); err != nil {
		t.Fatalf("tshark: %v %s", err, out)
	}
	findings := func(args ...string) map[string]map[string]any {
		out, errOut, code := run(t, "", append([]string{"hunt", "-q", "--format", "json", "--min-severity", "info"}, args...)...)
		if code != 0 && code != ExitFound {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		got := map[string]map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var row map[string]any
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			if row["detector"] == "new_in_capture" {
				got[row["actor"].(string)] = row
			}
		}
		return got
	}
	newItems := func(row map[string]any) []string {
		var ev struct {
			NewItems []string `json:"new_items"`
		}
		if err := json.Unmarshal([]byte(row["evidence"].(string)), &ev); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range ev.NewItems {
			v, _, _ := strings.Cut(it, " (")
			out = append(out, v)
		}
		sort.Strings(out)
		return out
	}
	got := findings(seedPcap, "--baseline", base)
	hosts := func(p string) []string { return tsharkSet(t, p, "", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst") }
	ports := func(p string) []string {
		var out []string
		for _, v := range tsharkSet(t, p, "tcp.flags.syn==1 && tcp.flags.ack==1", "tcp.srcport") {
			out = append(out, v+"/tcp")
		}
		return out
	}
	for _, c := range []struct {
		actor string
		want  []string
	}{
		{"new host", minus(hosts(seedPcap), hosts(base))},
		{"new server_port", minus(ports(seedPcap), ports(base))},
	} {
		sort.Strings(c.want)
		row := got[c.actor]
		if row == nil {
			t.Errorf("no %q finding; want %v", c.actor, c.want)
			continue
		}
		if g := newItems(row); !slices.Equal(g, c.want) {
			t.Errorf("%s: %v, tshark says %v", c.actor, g, c.want)
		}
	}
	if len(got) != 2 {
		t.Errorf("findings %v, want only new host and new server_port", slices.Collect(mapsKeys(got)))
	}
	if self := findings(seedPcap, "--baseline", seedPcap); len(self) != 0 {
		t.Errorf("a capture compared with itself: %v", self)
	}
	const tls2 = "../../testdata/pcaps/pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap"
	row := findings(tls2, "--baseline", seedPcap)["new sni"]
	sni := func(p string) []string {
		var out []string
		for _, v := range tsharkSet(t, p, "tls.handshake.type==1", "tls.handshake.extensions_server_name") {
			out = append(out, strings.ToLower(v))
		}
		return out
	}
	want := minus(sni(tls2), sni(seedPcap))
	if row == nil {
		t.Fatalf("no new sni finding; tshark: %v", want)
	}
	var ev struct {
		New int `json:"new"`
	}
	if err := json.Unmarshal([]byte(row["evidence"].(string)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.New != len(want) {
		t.Errorf("%d new SNI, tshark finds %d: %v", ev.New, len(want), want)
	}
	if _, errOut, code := run(t, "", "hunt", "-q", seedPcap, "--baseline", "/nonexistent.pcap"); code == 0 || code == ExitFound {
		t.Errorf("a missing baseline: exit %d %s", code, errOut)
	}
}

func mapsKeys(m map[string]map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
