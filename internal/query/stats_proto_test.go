package query

import (
	"bytes"
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"
)

// protoSections are the stats sections over the dns and tls tables.
var protoSections = []string{"dns_domains", "dns_subdomains", "dns_rcodes", "dns_qtypes", "tls_sni", "tls_versions", "tls_ja4"}

// tsharkFields runs tshark with a display filter and returns the tab-separated fields of each packet it shows.
func tsharkFields(t *testing.T, path, filter string, fields ...string) [][]string {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatal("tshark is needed for this test (apt-get install -y tshark)")
	}
	args := []string{"-n", "-r", path, "-Y", filter, "-T", "fields"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", strings.Join(args, " "), err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// sectionCounts returns the section's rows as key column -> count column.
func sectionCounts(t *testing.T, rep *Report, name, key, count string) map[string]int64 {
	t.Helper()
	s := section(t, rep, name)
	k, c := -1, -1
	for i, col := range s.Columns {
		switch col.Name {
		case key:
			k = i
		case count:
			c = i
		}
	}
	if k < 0 || c < 0 {
		t.Fatalf("section %s has no column %s or %s: %v", name, key, count, s.Columns)
	}
	out := map[string]int64{}
	for _, r := range s.Rows {
		n, ok := toInt(r[c])
		if !ok {
			t.Fatalf("section %s: %s = %v is not an integer", name, count, r[c])
		}
		out[formatValue(r[k])] = n
	}
	return out
}

// rcodeNames are the response codes of RFC 1035 section 4.1.1 and RFC 2136, by Zeek's names.
var rcodeNames = map[string]string{"0": "NOERROR", "1": "FORMERR", "2": "SERVFAIL", "3": "NXDOMAIN", "4": "NOTIMP", "5": "REFUSED",
	"6": "YXDOMAIN", "7": "YXRRSET", "8": "NXRRSET", "9": "NOTAUTH", "10": "NOTZONE"}

// TestDNSSectionsMatchTshark checks the DNS sections against tshark on corpus captures: the queries of each base
// domain against tshark's queries (dns.flags.response == 0) counted per registered domain of their first
// question (publicsuffix.EffectiveTLDPlusOne of the lower-cased name), and the transactions of each response
// code against tshark's responses per dns.flags.rcode.
func TestDNSSectionsMatchTshark(t *testing.T) {
	for _, name := range []string{"pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap", "ndpi__bad-dns-traffic.pcap", "tcpdump__dns_tcp.pcap"} {
		t.Run(name, func(t *testing.T) {
			path := corpusFile(t, name)
			e := load(t, name)
			rep, err := e.Stats(context.Background(), StatsOptions{Top: 1 << 20, Only: []string{"dns_domains", "dns_rcodes"}})
			if err != nil {
				t.Fatal(err)
			}

			want := map[string]int64{}
			for _, f := range tsharkFields(t, path, "dns.flags.response == 0", "dns.qry.name") {
				qname := strings.ToLower(strings.Split(f[0], ",")[0])
				if base, err := publicsuffix.EffectiveTLDPlusOne(qname); err == nil {
					want[base]++
				}
			}
			if len(want) == 0 {
				t.Fatal("tshark shows no DNS query with a registered domain: pick another capture")
			}
			got := sectionCounts(t, rep, "dns_domains", "base_domain", "queries")
			for k, v := range got {
				if v == 0 {
					delete(got, k) // base domains seen in responses only
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("queries per base domain:\n got %v\nwant %v (tshark)", got, want)
			}

			wantR := map[string]int64{}
			for _, f := range tsharkFields(t, path, "dns.flags.response == 1", "dns.flags.rcode") {
				n, ok := rcodeNames[f[0]]
				if !ok {
					n = "rcode-" + f[0]
				}
				wantR[n]++
			}
			gotR := sectionCounts(t, rep, "dns_rcodes", "rcode", "transactions")
			delete(gotR, "(no response)")
			if !reflect.DeepEqual(gotR, wantR) {
				t.Errorf("transactions per rcode:\n got %v\nwant %v (tshark responses)", gotR, wantR)
			}
		})
	}
}

// TestTLSSectionsMatchTshark checks the TLS sections against tshark on a corpus capture of TLS over TCP: the
// handshakes of each server name against tshark's ClientHellos with that SNI, one per TCP stream (a
// retransmitted ClientHello is one handshake), and the handshakes of each negotiated version against tshark's
// ServerHellos, one per TCP stream, by supported_versions else legacy version.
func TestTLSSectionsMatchTshark(t *testing.T) {
	name := "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap"
	path := corpusFile(t, name)
	e := load(t, name)
	rep, err := e.Stats(context.Background(), StatsOptions{Top: 1 << 20, Only: []string{"tls_sni", "tls_versions", "tls_ja4"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	seen := map[string]bool{}
	for _, f := range tsharkFields(t, path, "tls.handshake.type == 1 && tls.handshake.extensions_server_name", "tcp.stream", "tls.handshake.extensions_server_name") {
		if !seen[f[0]] {
			seen[f[0]] = true
			want[f[1]]++
		}
	}
	if len(want) == 0 {
		t.Fatal("tshark shows no ClientHello with an SNI: pick another capture")
	}
	if got := sectionCounts(t, rep, "tls_sni", "server_name", "handshakes"); !reflect.DeepEqual(got, want) {
		t.Errorf("handshakes per server name:\n got %v\nwant %v (tshark)", got, want)
	}

	versions := map[string]string{"0x0300": "SSLv3", "0x0301": "TLSv10", "0x0302": "TLSv11", "0x0303": "TLSv12", "0x0304": "TLSv13"}
	wantV := map[string]int64{}
	seen = map[string]bool{}
	for _, f := range tsharkFields(t, path, "tls.handshake.type == 2", "tcp.stream", "tls.handshake.version", "tls.handshake.extensions.supported_version") {
		if seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		v := f[1]
		if len(f) > 2 && f[2] != "" {
			v = f[2]
		}
		wantV[versions[v]]++
	}
	gotV := sectionCounts(t, rep, "tls_versions", "version", "handshakes")
	delete(gotV, "(no ServerHello)")
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("handshakes per version:\n got %v\nwant %v (tshark)", gotV, wantV)
	}
	// Every ClientHello has a JA4 (tshark 4.0 has no JA4 field: the fingerprints are checked in analyzer/tls).
	var total int64
	for _, n := range sectionCounts(t, rep, "tls_ja4", "ja4", "handshakes") {
		total += n
	}
	if clientHellos := int64(len(tsharkFields(t, path, "tls.handshake.type == 1", "tcp.stream"))); total != clientHellos {
		t.Errorf("handshakes with a JA4 = %d, tshark ClientHellos = %d", total, clientHellos)
	}
}

// TestStatsWithoutDNSOrTLS checks that a capture without DNS or TLS (checked with tshark) has no DNS or TLS
// section, in the report and in its text, and that a section named with Only says why it is empty.
func TestStatsWithoutDNSOrTLS(t *testing.T) {
	name := "chrissanders__synscan.pcapng"
	if n := len(tsharkFields(t, corpusFile(t, name), "dns || mdns || llmnr || tls || quic", "frame.number")); n != 0 {
		t.Fatalf("tshark finds %d DNS or TLS packets in %s: pick another capture", n, name)
	}
	e := load(t, name)
	ctx := context.Background()
	rep, err := e.Stats(ctx, StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Sections {
		if s.Table != "" {
			t.Errorf("section %s (table %s) is in the report of a capture without DNS or TLS", s.Name, s.Table)
		}
	}
	var text, js bytes.Buffer
	if err := rep.RenderText(&text, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := rep.RenderJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"DNS", "TLS", "dns_", "tls_"} {
		if strings.Contains(text.String(), w) || strings.Contains(js.String(), w) {
			t.Errorf("the stats of a capture without DNS or TLS mention %q", w)
		}
	}
	rep, err = e.Stats(ctx, StatsOptions{Only: protoSections})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sections) != len(protoSections) {
		t.Fatalf("--only %v gave %d sections", protoSections, len(rep.Sections))
	}
	for _, s := range rep.Sections {
		want := map[string]string{"dns": "no DNS transactions in the inputs", "tls": "no TLS handshakes in the inputs"}[s.Table]
		if s.Skipped != want {
			t.Errorf("section %s: skipped %q, want %q", s.Name, s.Skipped, want)
		}
	}
}

// TestStatsTables checks the tables stats loads for a selection of sections.
func TestStatsTables(t *testing.T) {
	for _, c := range []struct {
		only []string
		want []string
	}{
		{nil, []string{"packets", "dns", "tls", "http", "files", "credentials"}},
		{[]string{"summary", "src"}, []string{"packets"}},
		{[]string{"tls_sni"}, []string{"packets", "tls"}},
		{[]string{"dns_rcodes", "dns_qtypes", "timeline"}, []string{"packets", "dns"}},
	} {
		if got := StatsTables(c.only); !reflect.DeepEqual(got, c.want) {
			t.Errorf("StatsTables(%v) = %v, want %v", c.only, got, c.want)
		}
	}
	for _, s := range Sections {
		if s.Table != "" && !strings.HasPrefix(s.Name, s.Table+"_") {
			t.Errorf("section %s over table %s: name it %s_...", s.Name, s.Table, s.Table)
		}
	}
}
