package hunt_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/hunt"
	"github.com/pcapframe/pcapframe/internal/query"
)

// Tests of the detectors that read the protocol tables (credentials, ssh, tls, http): cleartext_credentials,
// login_brute_force and beacon_names. Their numbers are checked against tshark's reading of the same capture, or
// against what a synthetic capture was built to hold.

// finding is one row of the findings table, as these tests read it.
type finding struct {
	severity, actor, target, summary, evidenceText, digSQL string
	score                                                  float64
	evidence                                               map[string]any
}

// huntRows loads path, runs the built-in detectors and returns the findings of detector det, and the engine (for
// more queries; closed at the end of the test).
func huntRows(t *testing.T, path, det string) ([]finding, *query.Engine) {
	t.Helper()
	ctx := context.Background()
	e, err := query.Open(ctx, query.Options{Inputs: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if _, err := e.Load(ctx, []string{path}, query.LoadOptions{}); err != nil {
		t.Fatalf("%s: load: %v", path, err)
	}
	rules, err := hunt.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sum, err := hunt.Run(ctx, e, rules, hunt.Options{Inputs: []string{path}})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if why, ok := sum.Skipped[det]; ok {
		t.Fatalf("%s: detector %s did not run: %s", path, det, why)
	}
	rows := queryRows(t, e, fmt.Sprintf("SELECT severity, score, actor, target, summary, evidence, commands FROM findings WHERE detector = '%s' ORDER BY score DESC, target", det))
	var out []finding
	for _, v := range rows {
		f := finding{severity: str(v[0]), actor: str(v[2]), target: str(v[3]), summary: str(v[4]), evidenceText: str(v[5])}
		cmds, _ := v[6].([]any)
		for _, c := range cmds {
			// pcapframe sql INPUT -e 'QUERY': the query, shell quoting undone.
			if c, ok := c.(string); ok && strings.HasPrefix(c, "pcapframe sql ") {
				if _, q, ok := strings.Cut(c, " -e "); ok {
					if len(q) >= 2 && q[0] == '\'' && q[len(q)-1] == '\'' {
						q = strings.ReplaceAll(q[1:len(q)-1], `'\''`, "'")
					}
					f.digSQL = q
				}
			}
		}
		f.score, _ = strconv.ParseFloat(fmt.Sprint(v[1]), 64)
		if err := json.Unmarshal([]byte(f.evidenceText), &f.evidence); err != nil {
			t.Fatalf("evidence %q: %v", f.evidenceText, err)
		}
		out = append(out, f)
	}
	for _, f := range out {
		t.Logf("%s %s %.3f %s -> %s: %s %s", det, f.severity, f.score, f.actor, f.target, f.summary, f.evidenceText)
	}
	return out, e
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func queryRows(t *testing.T, e *query.Engine, q string) [][]any {
	t.Helper()
	res, err := e.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer res.Close()
	var rows [][]any
	for res.Next() {
		rows = append(rows, append([]any(nil), res.Values()...))
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// corpus returns the path of a capture of testdata/pcaps, failing the test when it is missing.
func corpus(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "testdata", "pcaps", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("capture missing (testdata/pcaps, see MANIFEST.tsv): %v", err)
	}
	return p
}

// tsharkLines returns the output lines of tshark -r path with the extra arguments (an independent reading).
func tsharkLines(t *testing.T, path string, args ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatalf("tshark is needed for the independent count (apt-get install -y tshark): %v", err)
	}
	out, err := exec.Command("tshark", append([]string{"-n", "-r", path}, args...)...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines
}

func num(t *testing.T, f finding, key string) int {
	t.Helper()
	v, ok := f.evidence[key].(float64)
	if !ok {
		t.Fatalf("evidence %s: no number %q", f.evidenceText, key)
	}
	return int(v)
}

// TestLoginBruteForce: the FTP brute force (refusals counted by tshark's 530 replies) and the SSH password guessing
// (connections counted by tshark's SYNs to port 22) are found with their numbers; an ordinary SSH session and an
// ordinary FTP session stay quiet.
func TestLoginBruteForce(t *testing.T) {
	t.Run("ftp", func(t *testing.T) {
		p := corpus(t, "zeek__ftp_bruteforce.pcap")
		rows, _ := huntRows(t, p, "login_brute_force")
		want530 := len(tsharkLines(t, p, "-Y", "ftp.response.code == 530"))
		wantPass := len(tsharkLines(t, p, "-Y", "ftp.request.command == \"PASS\""))
		if len(rows) != 1 {
			t.Fatalf("%d findings, want 1", len(rows))
		}
		f := rows[0]
		if f.severity != "high" || f.actor != "192.168.56.1" || f.target != "192.168.56.101:21 (ftp)" {
			t.Errorf("finding %s %s -> %s, want high 192.168.56.1 -> 192.168.56.101:21 (ftp)", f.severity, f.actor, f.target)
		}
		if got := num(t, f, "failed"); got != want530 || want530 == 0 {
			t.Errorf("failed = %d, tshark counts %d replies 530", got, want530)
		}
		if got := num(t, f, "attempts"); got != wantPass {
			t.Errorf("attempts = %d, tshark counts %d PASS commands", got, wantPass)
		}
	})
	t.Run("ssh", func(t *testing.T) {
		p := corpus(t, "zeek__ssh_sshguess.pcap")
		rows, e := huntRows(t, p, "login_brute_force")
		wantConns := len(tsharkLines(t, p, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 22"))
		if len(rows) != 1 {
			t.Fatalf("%d findings, want 1", len(rows))
		}
		f := rows[0]
		if f.severity != "high" || f.actor != "192.168.56.1" || f.target != "192.168.56.103:22 (ssh)" {
			t.Errorf("finding %s %s -> %s, want high 192.168.56.1 -> 192.168.56.103:22 (ssh)", f.severity, f.actor, f.target)
		}
		if got := num(t, f, "connections"); got != wantConns || wantConns < 10 {
			t.Errorf("connections = %d, tshark counts %d SYNs to port 22", got, wantConns)
		}
		// Every connection of the capture is a guess that failed: Zeek's btest of detect-bruteforcing (with
		// SSH::password_guesses_limit redefined to 10) reports on this capture "192.168.56.1 appears to be guessing
		// SSH passwords (seen in 10 connections)" (testing/btest/Baseline/scripts.policy.protocols.ssh.
		// detect-bruteforcing/notice.log), so at least 10 failed. The attempts are the ssh table's inference, summed.
		if got := num(t, f, "failed_connections"); got != wantConns || got < 10 {
			t.Errorf("failed_connections = %d, want all %d", got, wantConns)
		}
		sum := queryRows(t, e, "SELECT sum(auth_attempts)::BIGINT FROM ssh WHERE auth_success = false")
		if got, want := num(t, f, "failed"), fmt.Sprint(sum[0][0]); strconv.Itoa(got) != want {
			t.Errorf("failed = %d, the ssh table's failed attempts sum to %s", got, want)
		}
		if num(t, f, "failed") < 8 {
			t.Errorf("failed = %d, fewer than min_failures", num(t, f, "failed"))
		}
	})
	for _, name := range []string{"tcpdump__ssh.pcap", "zeek__ftp_ipv4.pcap", "zeek__smtp.pcap"} {
		t.Run("quiet/"+name, func(t *testing.T) {
			if rows, _ := huntRows(t, corpus(t, name), "login_brute_force"); len(rows) != 0 {
				t.Errorf("%d findings on an ordinary session, want none: %+v", len(rows), rows)
			}
		})
	}
}

// TestCleartextCredentials: one finding per (protocol, server, user) with the severity of its case (accepted
// cleartext high, refused cleartext low, anonymous FTP info), the user and counts as tshark reads them, and never
// the password.
func TestCleartextCredentials(t *testing.T) {
	cases := []struct {
		capture, severity, target string
		user                      func(t *testing.T, p string) string
		accepted, refused         func(t *testing.T, p string) int
	}{
		{
			capture: "zeek__smtp.pcap", severity: "high", target: "74.53.140.153:25 (smtp user %s)",
			user: func(t *testing.T, p string) string {
				u := tsharkLines(t, p, "-Y", "smtp.auth.username", "-T", "fields", "-e", "smtp.auth.username")
				if len(u) != 1 {
					t.Fatalf("tshark: %d AUTH user names, want 1", len(u))
				}
				b, err := base64.StdEncoding.DecodeString(u[0])
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			},
			accepted: func(t *testing.T, p string) int { return len(tsharkLines(t, p, "-Y", "smtp.response.code == 235")) },
			refused:  func(t *testing.T, p string) int { return len(tsharkLines(t, p, "-Y", "smtp.response.code == 535")) },
		},
		{
			capture: "zeek__ftp_bruteforce.pcap", severity: "low", target: "192.168.56.101:21 (ftp user %s)",
			user:     ftpUser,
			accepted: func(t *testing.T, p string) int { return len(tsharkLines(t, p, "-Y", "ftp.response.code == 230")) },
			refused:  func(t *testing.T, p string) int { return len(tsharkLines(t, p, "-Y", "ftp.response.code == 530")) },
		},
		{
			capture: "zeek__ftp_ipv4.pcap", severity: "info", target: "199.233.217.249:21 (ftp user %s)",
			user:     ftpUser,
			accepted: func(t *testing.T, p string) int { return len(tsharkLines(t, p, "-Y", "ftp.response.code == 230")) },
			refused:  func(t *testing.T, p string) int { return len(tsharkLines(t, p, "-Y", "ftp.response.code == 530")) },
		},
	}
	for _, c := range cases {
		t.Run(c.capture, func(t *testing.T) {
			p := corpus(t, c.capture)
			rows, e := huntRows(t, p, "cleartext_credentials")
			if len(rows) != 1 {
				t.Fatalf("%d findings, want 1", len(rows))
			}
			f := rows[0]
			user := c.user(t, p)
			if want := fmt.Sprintf(c.target, user); f.target != want || f.severity != c.severity {
				t.Errorf("finding %s %s, want %s %s", f.severity, f.target, c.severity, want)
			}
			if got, want := num(t, f, "accepted"), c.accepted(t, p); got != want {
				t.Errorf("accepted = %d, tshark counts %d", got, want)
			}
			if got, want := num(t, f, "refused"), c.refused(t, p); got != want {
				t.Errorf("refused = %d, tshark counts %d", got, want)
			}
			// The password is in the credentials table and nowhere in the finding.
			for _, r := range queryRows(t, e, "SELECT DISTINCT password FROM credentials WHERE password IS NOT NULL AND length(password) >= 4") {
				pw := str(r[0])
				for _, s := range []string{f.summary, f.evidenceText, f.target, f.actor} {
					if strings.Contains(s, pw) {
						t.Errorf("the password %q is in the finding: %q", pw, s)
					}
				}
			}
			if !strings.Contains(f.digSQL, "password") || !strings.Contains(f.summary, "credentials table") {
				t.Errorf("the finding does not point to the credentials table: %q / %q", f.summary, f.digSQL)
			}
			if got := queryRows(t, e, f.digSQL); len(got) != num(t, f, "attempts") {
				t.Errorf("dig_sql returns %d rows, the finding counts %d attempts", len(got), num(t, f, "attempts"))
			}
		})
	}
	t.Run("quiet/tcpdump__ssh.pcap", func(t *testing.T) {
		if rows, _ := huntRows(t, corpus(t, "tcpdump__ssh.pcap"), "cleartext_credentials"); len(rows) != 0 {
			t.Errorf("%d findings on an SSH session, want none", len(rows))
		}
	})
}

// ftpUser returns the one user name of the capture's FTP USER commands, as tshark reads them.
func ftpUser(t *testing.T, p string) string {
	t.Helper()
	users := map[string]bool{}
	for _, u := range tsharkLines(t, p, "-Y", "ftp.request.command == \"USER\"", "-T", "fields", "-e", "ftp.request.arg") {
		users[u] = true
	}
	if len(users) != 1 {
		t.Fatalf("tshark: FTP users %v, want one", users)
	}
	for u := range users {
		return u
	}
	return ""
}

// httpGet returns an HTTP/1.1 request for uri on host.
func httpGet(host, uri string) []byte {
	return []byte("GET " + uri + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: agent\r\nAccept: */*\r\n\r\n")
}

func httpOK(body int) []byte {
	return append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", body)), filler(body, 9, true)...)
}

// clientHello returns a TLS 1.2 ClientHello record naming sni in its server_name extension (RFC 6066 section 3).
func clientHello(sni string) []byte {
	name := []byte(sni)
	ext := []byte{0, 0, byte((len(name) + 5) >> 8), byte(len(name) + 5), byte((len(name) + 3) >> 8), byte(len(name) + 3), 0, byte(len(name) >> 8), byte(len(name))}
	ext = append(ext, name...)
	body := []byte{3, 3}
	body = append(body, filler(32, 7, true)...)                // random
	body = append(body, 0, 0, 4, 0x13, 0x01, 0xc0, 0x2f, 1, 0) // no session id, two suites, null compression
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	hs := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

// TestBeaconNames: a check-in to one HTTP Host every 60 s +- 3 s for 40 minutes, spread over four addresses (a
// CDN), is found by beacon_names with the numbers the capture was built with, while beacon, per address, has too
// little data on each (10 connections); ordinary browsing next to it, and real browsing and TLS captures, stay
// quiet; CryptoWall's three check-ins are "too little data".
func TestBeaconNames(t *testing.T) {
	t.Run("cdn", func(t *testing.T) {
		s := &synth{}
		const client = "10.1.1.5"
		cdnBeacon(s, client)
		p := s.write(t, "cdn_beacon")
		rows, e := huntRows(t, p, "beacon_names")
		var got *finding
		for i, f := range rows {
			switch {
			case f.target == "host:cdn.example.net":
				got = &rows[i]
			case f.score >= hunt.Low.MinScore():
				t.Errorf("false alarm: %s -> %s %.3f", f.actor, f.target, f.score)
			}
		}
		if got == nil {
			t.Fatalf("no finding for host:cdn.example.net: %+v", rows)
		}
		if got.severity == "info" || got.actor != client {
			t.Errorf("finding %s %s, want low or above from %s", got.severity, got.actor, client)
		}
		if n, a := num(t, *got, "events"), num(t, *got, "addresses"); n != 40 || a != 4 {
			t.Errorf("events %d at %d addresses, the capture holds 40 at 4", n, a)
		}
		if med := got.evidence["median_interval_s"].(float64); med < 57 || med > 63 {
			t.Errorf("median interval %.1f s, built as 60 +- 3", med)
		}
		// beacon (per address) sees 10 connections per pair: at most a "too little data" note.
		for _, r := range queryRows(t, e, fmt.Sprintf("SELECT target, score FROM findings WHERE detector = 'beacon' AND score >= %g", hunt.Low.MinScore())) {
			t.Errorf("beacon judged a single address of the CDN: %v", r)
		}
	})
	t.Run("sni", func(t *testing.T) {
		// The same over TLS: one SNI, three addresses, every 90 s +- 4 s for 45 minutes.
		s := &synth{}
		const client = "10.1.1.6"
		addrs := []string{"203.0.113.20", "203.0.113.21", "198.51.100.22"}
		for i := 0; i < 30; i++ {
			t0 := epoch + int64(i)*90e9 + jitter(i, 4e9)
			s.conn(t0, client, addrs[i%3], uint16(41000+i), 443, clientHello("updates.example.com"), filler(900, uint32(i), true), 1e6)
		}
		p := s.write(t, "sni_beacon")
		rows, _ := huntRows(t, p, "beacon_names")
		if len(rows) != 1 || rows[0].target != "sni:updates.example.com" {
			t.Fatalf("findings %+v, want one for sni:updates.example.com", rows)
		}
		f := rows[0]
		if f.severity == "info" || num(t, f, "events") != 30 || num(t, f, "addresses") != 3 {
			t.Errorf("finding %s, %s: want low or above, 30 events at 3 addresses", f.severity, f.evidenceText)
		}
		if med := f.evidence["median_interval_s"].(float64); med < 86 || med > 94 {
			t.Errorf("median interval %.1f s, built as 90 +- 4", med)
		}
	})
	for _, name := range []string{"chrissanders__http_espn.pcapng", "pcapplusplus__ExamplesTest_pcap_examples_tls2.pcap", "zeek__http_pipelined-requests.pcap", "chrissanders__cryptowall4_c2.pcapng"} {
		t.Run("quiet/"+name, func(t *testing.T) {
			rows, _ := huntRows(t, corpus(t, name), "beacon_names")
			for _, f := range rows {
				if f.score >= hunt.Low.MinScore() {
					t.Errorf("false alarm: %s -> %s %.3f: %s", f.actor, f.target, f.score, f.summary)
				}
			}
		})
	}
}

// TestCredentialsHostile: user names with quotes, a backslash and control bytes (a capture is hostile input) give
// findings whose dig-in query still runs and selects exactly those logins; 9 refused logins of one user make a
// login_brute_force finding with the hand-counted numbers, and the password is not in the findings.
func TestCredentialsHostile(t *testing.T) {
	s := &synth{}
	const client, server = "10.9.9.9", "192.0.2.21"
	user := "o'brien\\'; DROP TABLE x; --\x01"
	const pass = "Secr3t-pa55"
	for i := 0; i < 9; i++ {
		up := []byte("USER " + user + "\r\nPASS " + pass + "\r\nQUIT\r\n")
		down := []byte("220 ready\r\n331 password please\r\n530 Login incorrect.\r\n221 bye\r\n")
		s.conn(epoch+int64(i)*3e9, client, server, uint16(42000+i), 21, up, down, 1e6)
	}
	p := s.write(t, "ftp_hostile")
	rows, e := huntRows(t, p, "cleartext_credentials")
	if len(rows) != 1 {
		t.Fatalf("%d cleartext_credentials findings, want 1", len(rows))
	}
	f := rows[0]
	if num(t, f, "attempts") != 9 || num(t, f, "refused") != 9 || f.severity != "low" {
		t.Errorf("finding %s %s, want low, 9 attempts, 9 refused", f.severity, f.evidenceText)
	}
	got := queryRows(t, e, f.digSQL)
	if len(got) != 9 {
		t.Errorf("dig_sql %q returns %d rows, want 9", f.digSQL, len(got))
	}
	for _, s := range []string{f.summary, f.evidenceText, f.target} {
		if strings.Contains(s, pass) {
			t.Errorf("the password is in the finding: %q", s)
		}
	}
	lb, e2 := huntRows(t, p, "login_brute_force")
	if len(lb) != 1 {
		t.Fatalf("%d login_brute_force findings, want 1", len(lb))
	}
	if g := lb[0]; num(t, g, "failed") != 9 || num(t, g, "attempts") != 9 || num(t, g, "users") != 1 {
		t.Errorf("login_brute_force evidence %s, want 9 failed of 9, 1 user", g.evidenceText)
	}
	if got := queryRows(t, e2, lb[0].digSQL); len(got) != 9 {
		t.Errorf("login_brute_force dig_sql returns %d rows, want 9", len(got))
	}
}
