package hunt_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/hunt"
)

// Tests of tls_self_signed, tls_rare_ja4 and resolver_tunnel on the synthetic captures of oddities_synth_test.go
// (whose certificates, TLS stacks and DNS names were made here, so what they hold is known) and on corpus
// captures where the detectors must stay quiet. The counts are checked against tshark's reading of the captures.

// tsharkCertServers returns, per server (address:port) that sent a Certificate message, the directory strings
// of its certificates as tshark reads them (x509sat.printableString, then x509sat.uTF8String: per certificate the
// issuer's, then the subject's; Go writes printable names as PrintableString, OpenSSL as UTF8String).
func tsharkCertServers(t *testing.T, path string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, l := range tsharkLines(t, path, "-Y", "tls.handshake.type == 11", "-T", "fields", "-E", "separator=|", "-e", "ip.src", "-e", "tcp.srcport", "-e", "x509sat.printableString", "-e", "x509sat.uTF8String") {
		f := strings.Split(l, "|")
		if len(f) != 4 {
			t.Fatalf("tshark line %q", l)
		}
		var strs []string
		for _, v := range f[2:] {
			if v != "" {
				strs = append(strs, strings.Split(v, ",")...)
			}
		}
		out[f[0]+":"+f[1]] = strs
	}
	return out
}

// tsharkStacks groups the capture's ClientHellos as tshark reads them by their cipher suites and extension types
// (SNI and ALPN left out, GREASE kept: the synthetic captures send none), and returns per stack the servers
// reached, with the stack of the ClientHellos to server.
func tsharkStacks(t *testing.T, path, server string) (stacks map[string]map[string]bool, of string) {
	t.Helper()
	stacks = map[string]map[string]bool{}
	for _, l := range tsharkLines(t, path, "-Y", "tls.handshake.type == 1", "-T", "fields", "-E", "separator=|", "-e", "ip.dst", "-e", "tls.handshake.ciphersuite", "-e", "tls.handshake.extension.type") {
		f := strings.Split(l, "|")
		if len(f) != 3 {
			t.Fatalf("tshark line %q", l)
		}
		var exts []string
		for _, e := range strings.Split(f[2], ",") {
			if e != "0" && e != "16" {
				exts = append(exts, e)
			}
		}
		slices.Sort(exts)
		ciphers := strings.Split(f[1], ",")
		slices.Sort(ciphers)
		key := strings.Join(ciphers, ",") + "|" + strings.Join(exts, ",")
		if stacks[key] == nil {
			stacks[key] = map[string]bool{}
		}
		stacks[key][f[0]] = true
		if f[0] == server {
			of = key
		}
	}
	return stacks, of
}

// quiet fails the test for each finding of det at low or above in the capture at path.
func quiet(t *testing.T, path, det string) []finding {
	t.Helper()
	rows, _ := huntRows(t, path, det)
	for _, f := range rows {
		if f.score >= hunt.Low.MinScore() {
			t.Errorf("false alarm: %s -> %s %.3f: %s", f.actor, f.target, f.score, f.summary)
		}
	}
	return rows
}

// TestTLSSelfSigned: an implant's server at an outside address presenting a self-signed certificate to
// handshakes without SNI, a server answering update.example.com with a self-signed certificate for localhost,
// and real OpenSSL's s_server with an `openssl req -x509` certificate (testdata/openssl-selfsigned.sh), are found
// with the numbers the captures were built with (and tshark reads: one certificate whose issuer is its subject); CA-signed servers, a self-signed router at a private address, the corpus's self-signed
// MySQL certificate on loopback and the corpus's TLS captures stay quiet, and a TLS 1.3 handshake, whose
// certificate is encrypted, is not judged.
func TestTLSSelfSigned(t *testing.T) {
	for _, tc := range []struct {
		capture, server, subject, names string
		handshakes                      int
		score                           float64
	}{
		{"tls_c2", "203.0.113.66:443", "CN=c2.invalid", "", 4, 0.9},
		{"tls_selfsigned", "203.0.113.77:8443", "CN=localhost", "update.example.com", 3, 0.9},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			p := synthetic(t, tc.capture)
			certs := tsharkCertServers(t, p)
			cn := strings.TrimPrefix(tc.subject, "CN=")
			if got := certs[tc.server]; len(got) != 2 || got[0] != cn || got[1] != cn {
				t.Fatalf("tshark: %s's certificate strings %q, want issuer = subject = %s", tc.server, got, cn)
			}
			rows, _ := huntRows(t, p, "tls_self_signed")
			if len(rows) != 1 {
				t.Fatalf("%d findings, want 1 (for %s): %+v", len(rows), tc.server, rows)
			}
			f := rows[0]
			if f.target != tc.server || f.actor != "10.1.1.5" || f.score != tc.score {
				t.Errorf("finding %s -> %s %.3f, want 10.1.1.5 -> %s %.1f", f.actor, f.target, f.score, tc.server, tc.score)
			}
			if num(t, f, "handshakes") != tc.handshakes || f.evidence["subject"] != tc.subject || f.evidence["issuer"] != tc.subject {
				t.Errorf("evidence %s: want %d handshakes, subject and issuer %s", f.evidenceText, tc.handshakes, tc.subject)
			}
			if names, _ := f.evidence["server_names"].(string); names != tc.names || f.evidence["sni_matches_cert"] != false {
				t.Errorf("server names %q (matched %v), want %q, not matching the certificate", names, f.evidence["sni_matches_cert"], tc.names)
			}
		})
	}
	t.Run("openssl", func(t *testing.T) {
		// real OpenSSL on both sides (testdata/openssl-selfsigned.sh): 6 handshakes, 3 without SNI, 3 naming
		// www.example.com, to a server whose one certificate tshark reads with issuer = subject
		p := "testdata/openssl-selfsigned.pcap"
		if got := tsharkCertServers(t, p)["203.0.113.66:443"]; len(got) != 2 || got[0] != "c2.example.invalid" || got[1] != got[0] {
			t.Fatalf("tshark: certificate strings %q, want issuer = subject = c2.example.invalid", got)
		}
		hellos := len(tsharkLines(t, p, "-Y", "tls.handshake.type == 1"))
		named := len(tsharkLines(t, p, "-Y", "tls.handshake.type == 1 && tls.handshake.extensions_server_name"))
		if hellos != 6 || named != 3 {
			t.Fatalf("tshark: %d ClientHellos, %d with SNI; the script makes 6 and 3", hellos, named)
		}
		rows, _ := huntRows(t, p, "tls_self_signed")
		if len(rows) != 1 || rows[0].target != "203.0.113.66:443" || rows[0].severity != "high" {
			t.Fatalf("findings %+v, want one, high, for 203.0.113.66:443", rows)
		}
		f := rows[0]
		if num(t, f, "handshakes") != hellos || num(t, f, "handshakes_without_sni") != hellos-named || f.evidence["subject"] != "CN=c2.example.invalid" || f.evidence["server_names"] != "www.example.com" {
			t.Errorf("evidence %s: want %d handshakes, %d without SNI, the others naming www.example.com, subject CN=c2.example.invalid", f.evidenceText, hellos, hellos-named)
		}
	})
	t.Run("hostile", func(t *testing.T) {
		// a certificate's subject is capture text: quotes, a format placeholder, an escape sequence, a bidi
		// override and a newline in it reach the finding unchanged, inject nothing, and the dig-in query still
		// selects the handshakes
		s := &synth{}
		ca := newCerts(t)
		cn := "x'); DROP TABLE tls; --{}\x1b[31m\u202e\n"
		srv := server(ca.leaf(t, cn, true), false)
		for i := 0; i < 2; i++ {
			s.talk(epoch+int64(i)*60e9, "10.1.1.5", "203.0.113.99", uint16(43000+i), 443, tlsSession(t, commonClient(""), srv, tlsReq, tlsResp), 1e6)
		}
		rows, e := huntRows(t, s.write(t, "tls_hostile"), "tls_self_signed")
		if len(rows) != 1 || rows[0].target != "203.0.113.99:443" || num(t, rows[0], "handshakes") != 2 {
			t.Fatalf("findings %+v, want one for 203.0.113.99:443 with 2 handshakes", rows)
		}
		// the subject as the certificate holds it, in RFC 2253 form (';' escaped); its control bytes stay as
		// sent in the table and the finding: the outputs escape them (TestHuntHostileEscaped in internal/cli)
		if subj := rows[0].evidence["subject"]; subj != `CN=x')\; DROP TABLE tls\; --{}`+"\x1b[31m\u202e\n" {
			t.Errorf("subject in the evidence %q, want the certificate's", subj)
		}
		if got := queryRows(t, e, rows[0].digSQL); len(got) != 2 {
			t.Errorf("dig-in query %q: %d rows, want the 2 handshakes", rows[0].digSQL, len(got))
		}
	})
	t.Run("quiet/tls_benign", func(t *testing.T) {
		p := synthetic(t, "tls_benign")
		rows, e := huntRows(t, p, "tls_self_signed")
		if len(rows) != 0 {
			t.Errorf("findings on CA-signed servers and a private router: %+v", rows)
		}
		// the router's certificate is self-signed (tshark: issuer = subject) and the table says so: the silence
		// is the detector's choice (a private address), not a blind spot
		if got := tsharkCertServers(t, p)["192.168.1.1:443"]; len(got) != 2 || got[0] != got[1] {
			t.Errorf("tshark: the router's certificate strings %q, want issuer = subject", got)
		}
		if r := queryRows(t, e, "SELECT count(*) FROM tls WHERE resp_h = '192.168.1.1' AND cert_self_signed"); fmt.Sprint(r[0][0]) != "2" {
			t.Errorf("tls table: %v self-signed handshakes to the router, want 2", r[0][0])
		}
	})
	t.Run("quiet/tls_13", func(t *testing.T) {
		p := synthetic(t, "tls_13")
		rows, e := huntRows(t, p, "tls_self_signed")
		if len(rows) != 0 {
			t.Errorf("findings on a TLS 1.3 handshake, whose certificate is not visible: %+v", rows)
		}
		if got := tsharkCertServers(t, p)["203.0.113.66:443"]; got != nil {
			t.Errorf("tshark reads a certificate from the TLS 1.3 server: %q", got)
		}
		r := queryRows(t, e, "SELECT version, subject IS NULL, cert_self_signed IS NULL FROM tls WHERE resp_h = '203.0.113.66'")
		if len(r) != 1 || r[0][0] != "TLSv13" || r[0][1] != true || r[0][2] != true {
			t.Errorf("tls table for the TLS 1.3 server: %v, want TLSv13 without a certificate", r)
		}
	})
	for _, name := range []string{"pcapplusplus__Pcap__Test_PcapExamples_pcapng-example.pcapng", "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap",
		"pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap", "zeek__tls_tls1.2.pcap", "zeek__tls_heartbleed.pcap"} {
		t.Run("quiet/"+name, func(t *testing.T) { quiet(t, corpus(t, name), "tls_self_signed") })
	}
}

// TestTLSRareJA4: the implant's 4 handshakes without SNI to 203.0.113.66, from a TLS stack that reaches 1 of the
// capture's 13 servers (tshark: its cipher suites and extensions are seen in no other ClientHello), are found, as
// are real openssl s_client's 3 handshakes among Python's (testdata/openssl-rare-ja4.sh);
// the usual stack without SNI to an outside address, a rare stack with SNI and a rare stack to a private address
// stay quiet; a capture of 5 handshakes is "too little data to judge" (info), as are the corpus's single
// handshakes without SNI; the corpus's TLS captures stay quiet.
func TestTLSRareJA4(t *testing.T) {
	t.Run("tls_c2", func(t *testing.T) {
		p := synthetic(t, "tls_c2")
		stacks, implant := tsharkStacks(t, p, "203.0.113.66")
		all := map[string]bool{}
		for _, servers := range stacks {
			for s := range servers {
				all[s] = true
			}
		}
		if len(stacks[implant]) != 1 || len(all) != 13 || len(stacks) != 2 {
			t.Fatalf("tshark: the implant's stack reaches %d servers of %d (%d stacks); the capture was built with 1 of 13 (2 stacks)", len(stacks[implant]), len(all), len(stacks))
		}
		rows, _ := huntRows(t, p, "tls_rare_ja4")
		if len(rows) != 1 {
			t.Fatalf("%d findings, want 1: %+v", len(rows), rows)
		}
		f := rows[0]
		if f.actor != "10.1.1.5" || f.score < hunt.Low.MinScore() || !strings.HasPrefix(f.target, "t12i") {
			t.Errorf("finding %s -> %s %.3f, want 10.1.1.5 -> a TLS 1.2 JA4 without SNI (t12i...) at low or above", f.actor, f.target, f.score)
		}
		if num(t, f, "handshakes") != 4 || num(t, f, "stack_servers") != 1 || num(t, f, "capture_servers") != 13 || num(t, f, "capture_handshakes") != 44 {
			t.Errorf("evidence %s: want 4 handshakes, 1 server of 13, 44 handshakes", f.evidenceText)
		}
		// 1 server of 13 against rare_share 0.1: 0.5 + 0.3 x (1 - (1/13) / 0.1)
		if want := 0.5 + 0.3*(1-(1.0/13)/0.1); f.score < want-0.001 || f.score > want+0.001 {
			t.Errorf("score %.3f, want %.3f", f.score, want)
		}
	})
	t.Run("openssl", func(t *testing.T) {
		// real stacks (testdata/openssl-rare-ja4.sh): Python's ssl module to 12 servers with SNI, then openssl
		// s_client with a cipher list of its own, without SNI, to a 13th
		p := "testdata/openssl-rare-ja4.pcap"
		stacks, implant := tsharkStacks(t, p, "203.0.113.99")
		all := map[string]bool{}
		for _, servers := range stacks {
			for s := range servers {
				all[s] = true
			}
		}
		hellos := len(tsharkLines(t, p, "-Y", "tls.handshake.type == 1"))
		if len(stacks[implant]) != 1 || len(all) != 13 || hellos != 27 {
			t.Fatalf("tshark: the s_client stack reaches %d servers of %d, %d ClientHellos; the script makes 1 of 13, 27", len(stacks[implant]), len(all), hellos)
		}
		rows, _ := huntRows(t, p, "tls_rare_ja4")
		if len(rows) != 1 || rows[0].actor != "10.1.1.5" || rows[0].score < hunt.Low.MinScore() {
			t.Fatalf("findings %+v, want one from 10.1.1.5 at low or above", rows)
		}
		f := rows[0]
		if num(t, f, "handshakes") != 3 || num(t, f, "stack_servers") != 1 || num(t, f, "capture_servers") != len(all) || num(t, f, "capture_handshakes") != hellos {
			t.Errorf("evidence %s: want 3 handshakes, 1 server of %d, %d handshakes", f.evidenceText, len(all), hellos)
		}
		if f.evidence["servers"] != "203.0.113.99:443" {
			t.Errorf("servers %v, want 203.0.113.99:443", f.evidence["servers"])
		}
	})
	t.Run("quiet/tls_benign", func(t *testing.T) {
		p := synthetic(t, "tls_benign")
		// the common stack without SNI to 198.51.100.99 is the browsing stack (tshark), which reaches 14 servers:
		// 12 browsed, 198.51.100.99 and the router
		stacks, nosni := tsharkStacks(t, p, "198.51.100.99")
		if len(stacks[nosni]) != 14 {
			t.Fatalf("tshark: the stack of the handshakes without SNI reaches %d servers, the capture was built with 14", len(stacks[nosni]))
		}
		if rows := quiet(t, p, "tls_rare_ja4"); len(rows) != 0 {
			t.Errorf("findings: %+v", rows)
		}
	})
	t.Run("too_little/tls_13", func(t *testing.T) {
		rows, _ := huntRows(t, synthetic(t, "tls_13"), "tls_rare_ja4")
		if len(rows) != 1 || rows[0].score != 0 || rows[0].evidence["judged"] != false || !strings.HasPrefix(rows[0].summary, "too little data to judge") {
			t.Fatalf("findings %+v, want one \"too little data\" note at score 0", rows)
		}
		if num(t, rows[0], "capture_handshakes") != 5 {
			t.Errorf("evidence %s: the capture holds 5 handshakes", rows[0].evidenceText)
		}
	})
	for _, name := range []string{"zeek__tls_tls1.2.pcap", "zeek__tls_heartbleed.pcap"} {
		t.Run("too_little/"+name, func(t *testing.T) {
			// one ClientHello without SNI to an outside address (tshark), in a capture of one handshake
			p := corpus(t, name)
			if n := len(tsharkLines(t, p, "-Y", "tls.handshake.type == 1 && !tls.handshake.extensions_server_name")); n != 1 {
				t.Fatalf("tshark: %d ClientHellos without SNI, want 1", n)
			}
			rows := quiet(t, p, "tls_rare_ja4")
			if len(rows) != 1 || rows[0].evidence["judged"] != false {
				t.Errorf("findings %+v, want one \"too little data\" note", rows)
			}
		})
	}
	for _, name := range []string{"pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap", "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap",
		"zeek__tls_tls13-ech.pcap", "zeek__quic_curl-8.1.2-dev-http3-www-google-de.pcap"} {
		t.Run("quiet/"+name, func(t *testing.T) { quiet(t, corpus(t, name), "tls_rare_ja4") })
	}
}

// TestResolverTunnel: a dnscat2-style client sending 80 names without a domain to its own server, and a client
// spreading 60 names of 30 base32 characters over 60 base domains, are found per client -> resolver with the
// numbers they were built with (tshark counts the queries), while dns_tunnel, per base domain, does not report
// them; 5 such names are "too little data"; ordinary lookups next to them, the corpus's busy resolvers and its
// tunnels under one base domain (dns_tunnel's) stay quiet.
func TestResolverTunnel(t *testing.T) {
	for _, tc := range []struct {
		capture, resolver string
		names             int
		avgLen            float64
		severity          string
	}{
		// dnscat + 35 + 35 hex characters; 30 + 8 + 3 characters
		{"dns_direct", "203.0.113.53", 80, 76, "high"},
		{"dns_spread", "10.1.1.1", 60, 41, "medium"},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			p := synthetic(t, tc.capture)
			n := len(tsharkLines(t, p, "-Y", fmt.Sprintf("dns.flags.response == 0 && ip.dst == %s && frame.len > 100", tc.resolver)))
			if n != tc.names {
				t.Fatalf("tshark: %d long queries to %s, the capture was built with %d", n, tc.resolver, tc.names)
			}
			rows, e := huntRows(t, p, "resolver_tunnel")
			if len(rows) != 1 {
				t.Fatalf("%d findings, want 1: %+v", len(rows), rows)
			}
			f := rows[0]
			if f.actor != "10.1.1.5" || f.target != tc.resolver || f.severity != tc.severity {
				t.Errorf("finding %s -> %s %s, want 10.1.1.5 -> %s %s", f.actor, f.target, f.severity, tc.resolver, tc.severity)
			}
			if num(t, f, "unique_long_names") != tc.names || num(t, f, "base_domains") != tc.names || f.evidence["avg_name_len"] != tc.avgLen {
				t.Errorf("evidence %s: want %d names under %d base domains, %.0f characters", f.evidenceText, tc.names, tc.names, tc.avgLen)
			}
			for _, r := range queryRows(t, e, fmt.Sprintf("SELECT target, score FROM findings WHERE detector = 'dns_tunnel' AND score >= %g", hunt.Low.MinScore())) {
				t.Errorf("dns_tunnel reports %v: these names were built to share no base domain", r)
			}
		})
	}
	t.Run("too_little", func(t *testing.T) {
		s := &synth{}
		for i := 0; i < 5; i++ {
			s.lookup(epoch+int64(i)*1e9, "10.1.1.5", "203.0.113.53", uint16(30000+i), uint16(i+1), "dnscat."+word(35, uint32(2*i+1), "0123456789abcdef")+"."+word(35, uint32(2*i+101), "0123456789abcdef"), 16, 0)
		}
		rows, _ := huntRows(t, s.write(t, "dns_few"), "resolver_tunnel")
		if len(rows) != 1 || rows[0].score != 0 || rows[0].evidence["judged"] != false || num(t, rows[0], "unique_long_names") != 5 {
			t.Fatalf("findings %+v, want one \"too little data\" note on 5 names", rows)
		}
	})
	for _, name := range []string{"pcapplusplus__Pcap__Test_PcapExamples_DnsPackets.pcap", "pcapplusplus__ExamplesTest_pcap_examples_many-protocols.pcap",
		"chrissanders__http_espn.pcapng", "zeek__dns_mdns.pcap", "ndpi__bad-dns-traffic.pcap", "ndpi__dns-tunnel-iodine.pcap", "dmachard__dns2tcp.pcap"} {
		t.Run("quiet/"+name, func(t *testing.T) {
			if rows := quiet(t, corpus(t, name), "resolver_tunnel"); len(rows) != 0 {
				t.Errorf("notes: %+v", rows)
			}
		})
	}
}
