package credentials_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer/credentials"
	"github.com/pcapframe/pcapframe/tables"
)

var (
	pcapDir   = filepath.Join("..", "..", "testdata", "pcaps")
	goldenDir = filepath.Join("..", "..", "testdata", "golden", "credentials")
)

// goldenCaptures are the captures scripts/golden-credentials.sh dissects with tshark.
var goldenCaptures = []string{
	"zeek__ftp_ipv4.pcap",
	"zeek__ftp_bruteforce.pcap",
	"zeek__smtp.pcap",
	"markofu__CounterHack_HackChallenge_Cmas2011.pcap",
	"markofu__HoneyNet_0110_attack-trace.pcap_.gz",
	"synthetic.pcap", // written by TestSyntheticCapture: POP3, IMAP, HTTP Basic, IRC, SMTP AUTH PLAIN
}

// collector is a tables.Writer that keeps the rows it is given.
type collector struct{ rows []credentials.Row }

func (c *collector) Write(rows any) error {
	r, ok := rows.([]credentials.Row)
	if !ok {
		return fmt.Errorf("rows of type %T", rows)
	}
	c.rows = append(c.rows, r...)
	return nil
}
func (c *collector) Close() error { return nil }
func (c *collector) Abort() error { return nil }

func rowsOf(t testing.TB, path string) []credentials.Row {
	t.Helper()
	def := tables.Lookup("credentials")
	if def == nil {
		t.Fatal("no credentials table in tables.List")
	}
	var c collector
	if _, err := tables.Run(context.Background(), []string{path}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c.rows
}

type line struct {
	kind   string
	frame  int64
	stream string
	f      []string // the fields after the frame
}

func decode64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("tshark's %q is not base64: %v", s, err)
	}
	return string(b)
}

// TestGoldenTshark compares the credentials table with tshark's dissection: each FTP PASS, SMTP AUTH exchange and
// NTLMSSP AUTHENTICATE message tshark shows is a row holding its frame, with tshark's user and password (base64
// decoded here for SMTP) and the verdict of the next reply code tshark shows in that stream; every credential of
// tshark's credentials tap is a row; every row is one of them.
func TestGoldenTshark(t *testing.T) {
	for _, name := range goldenCaptures {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(goldenDir, name+".tsv"))
			if err != nil {
				t.Fatalf("golden data missing (run scripts/golden-credentials.sh): %v", err)
			}
			defer f.Close()
			var lines []line
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				fs := strings.Split(sc.Text(), "\t")
				if len(fs) < 3 {
					t.Fatalf("bad golden line %q", sc.Text())
				}
				frame, _ := strconv.ParseInt(fs[1], 10, 64)
				l := line{kind: fs[0], frame: frame, f: fs[2:]}
				if fs[0] != "tap" {
					l.stream, l.f = fs[2], fs[3:]
				}
				lines = append(lines, l)
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			if len(lines) == 0 {
				t.Fatal("golden data is empty")
			}
			slices.SortStableFunc(lines, func(a, b line) int { return int(a.frame - b.frame) })
			path := filepath.Join(pcapDir, name)
			if name == "synthetic.pcap" {
				path = synthPath
			}
			rows := rowsOf(t, path)
			byFrame := map[int64]*credentials.Row{}
			for i := range rows {
				for _, fr := range rows[i].Frames {
					byFrame[fr] = &rows[i]
				}
			}
			matched := map[*credentials.Row]bool{}
			// nextReply is the first reply of kind in stream after frame (3xx intermediate replies passed over).
			nextReply := func(kind, stream string, after int64) []string {
				for _, l := range lines {
					if l.kind == kind && l.stream == stream && l.frame > after && !strings.HasPrefix(l.f[0], "3") {
						return l.f
					}
				}
				return nil
			}
			verdict := func(t *testing.T, frame int64, r *credentials.Row, f []string, ok bool) {
				t.Helper()
				if f != nil {
					check(t, frame, "accepted", fmt.Sprint(r.HasAccepted, r.Accepted), fmt.Sprint(true, ok))
				}
			}
			find := func(l line, what string) *credentials.Row {
				r := byFrame[l.frame]
				if r == nil {
					t.Errorf("frame %d: tshark shows %s %q, no row has the frame", l.frame, what, l.f)
					return nil
				}
				matched[r] = true
				return r
			}
			lastOf := func(kind, stream, cmd string, before int64, after bool) string {
				v := ""
				for _, l := range lines {
					if l.kind == kind && l.stream == stream && l.f[0] == cmd && (l.frame < before) != after && l.frame != before {
						v = l.f[1]
						if after {
							return v
						}
					}
				}
				return v
			}
			user := map[string]string{}
			for _, l := range lines {
				switch l.kind {
				case "ftp":
					if l.f[0] == "USER" {
						user[l.stream] = l.f[1]
						continue
					}
					r := byFrame[l.frame]
					if r == nil {
						t.Errorf("frame %d: tshark shows FTP PASS %q, no row has the frame", l.frame, l.f[1])
						continue
					}
					matched[r] = true
					check(t, l.frame, "protocol", r.Protocol, "ftp")
					check(t, l.frame, "username", r.Username, user[l.stream])
					check(t, l.frame, "password", r.Password, l.f[1])
					check(t, l.frame, "secret_type", r.SecretType, "cleartext")
					if f := nextReply("ftpr", l.stream, l.frame); f != nil {
						verdict(t, l.frame, r, f, strings.HasPrefix(f[0], "2"))
					}
				case "smtp":
					r := byFrame[l.frame]
					if r == nil {
						t.Errorf("frame %d: tshark shows SMTP AUTH data, no row has the frame", l.frame)
						continue
					}
					matched[r] = true
					check(t, l.frame, "protocol", r.Protocol, "smtp")
					if l.f[0] != "-" {
						check(t, l.frame, "username", r.Username, decode64(t, l.f[0]))
					}
					if l.f[1] != "-" {
						check(t, l.frame, "password", r.Password, decode64(t, l.f[1]))
						if f := nextReply("smtpr", l.stream, l.frame); f != nil {
							verdict(t, l.frame, r, f, strings.HasPrefix(f[0], "2"))
						}
					}
				case "ntlm":
					r := byFrame[l.frame]
					if r == nil {
						t.Errorf("frame %d: tshark shows an NTLMSSP AUTHENTICATE, no row has the frame", l.frame)
						continue
					}
					matched[r] = true
					null := func(s string) string {
						if s == "NULL" || s == "-" {
							return ""
						}
						return s
					}
					check(t, l.frame, "username", r.Username, null(l.f[0]))
					check(t, l.frame, "domain", r.Domain, null(l.f[1]))
					check(t, l.frame, "client_host", r.ClientHost, null(l.f[2]))
				case "pop":
					if l.f[0] == "USER" {
						continue
					}
					r := find(l, "POP3 "+l.f[0])
					if r == nil {
						continue
					}
					check(t, l.frame, "protocol", r.Protocol, "pop3")
					if l.f[0] == "PASS" {
						check(t, l.frame, "username", r.Username, lastOf("pop", l.stream, "USER", l.frame, false))
						check(t, l.frame, "password", r.Password, l.f[1])
						check(t, l.frame, "secret_type", r.SecretType, "cleartext")
					} else { // APOP name digest
						name, digest, _ := strings.Cut(l.f[1], " ")
						check(t, l.frame, "username", r.Username, name)
						check(t, l.frame, "password", r.Password, digest)
						check(t, l.frame, "secret_type", r.SecretType, "apop-md5")
					}
					f := nextReply("popr", l.stream, l.frame)
					verdict(t, l.frame, r, f, f != nil && f[0] == "+OK")
				case "imap":
					r := find(l, "IMAP LOGIN")
					if r == nil {
						continue
					}
					check(t, l.frame, "protocol", r.Protocol, "imap")
					if !strings.Contains(l.f[0], `"`) { // tshark 4.0 does not read quoted strings
						check(t, l.frame, "username", r.Username, l.f[0])
					}
					f := nextReply("imapr", l.stream, l.frame)
					verdict(t, l.frame, r, f, f != nil && f[1] == "OK")
				case "http":
					r := find(l, "HTTP Basic")
					if r == nil {
						continue
					}
					user, pass, _ := strings.Cut(l.f[0], ":")
					check(t, l.frame, "username", r.Username, user)
					check(t, l.frame, "password", r.Password, pass)
					if f := nextReply("httpr", l.stream, l.frame); f != nil {
						code, _ := strconv.Atoi(f[0])
						verdict(t, l.frame, r, f, code < 400)
					}
				case "irc":
					if l.f[0] != "PASS" {
						continue
					}
					r := find(l, "IRC PASS")
					if r == nil {
						continue
					}
					check(t, l.frame, "password", r.Password, l.f[1])
					check(t, l.frame, "username (the NICK after PASS)", r.Username, lastOf("irc", l.stream, "NICK", l.frame, true))
					if f := nextReply("ircr", l.stream, l.frame); f != nil && (f[0] == "1" || f[0] == "464") {
						verdict(t, l.frame, r, f, f[0] == "1")
					}
				case "smtpauth":
					mech, initial, _ := strings.Cut(l.f[0], " ")
					if !strings.EqualFold(mech, "PLAIN") || initial == "" {
						continue
					}
					r := find(l, "SMTP AUTH PLAIN")
					if r == nil {
						continue
					}
					parts := strings.Split(decode64(t, initial), "\x00") // RFC 4616: authzid NUL authcid NUL passwd
					if len(parts) != 3 {
						t.Fatalf("frame %d: tshark's AUTH PLAIN %q is no RFC 4616 message", l.frame, initial)
					}
					check(t, l.frame, "username", r.Username, parts[1])
					check(t, l.frame, "password", r.Password, parts[2])
					if f := nextReply("smtpr", l.stream, l.frame); f != nil {
						verdict(t, l.frame, r, f, strings.HasPrefix(f[0], "2"))
					}
				case "tap":
					r := byFrame[l.frame]
					if r == nil {
						t.Errorf("frame %d: tshark's credentials tap lists %s user %q, no row has the frame", l.frame, l.f[0], l.f[1])
						continue
					}
					want := l.f[1]
					switch l.f[0] {
					case "SMTP":
						want = decode64(t, want)
					case "HTTP basic auth":
						want, _, _ = strings.Cut(r.Username, " ") // the tap's column shows the user up to a space
					}
					if !strings.HasPrefix(want, `"`) { // tshark 4.0 keeps an IMAP quoted string's quote and cuts it
						check(t, l.frame, "tap username", r.Username, want)
					}
					proto := map[string]string{"FTP": "ftp", "SMTP": "smtp", "POP3": "pop3", "IMAP": "imap", "HTTP basic auth": "http"}[l.f[0]]
					check(t, l.frame, "tap protocol", r.Protocol, proto)
				}
			}
			for i := range rows {
				if !matched[&rows[i]] {
					t.Errorf("row %s %s user %q (frames %v): no credential tshark shows", rows[i].Protocol, rows[i].Mechanism, rows[i].Username, rows[i].Frames)
				}
			}
			t.Logf("%d rows", len(rows))
		})
	}
}

func check(t *testing.T, frame int64, col, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("frame %d: %s = %q, tshark %q", frame, col, got, want)
	}
}

// TestEveryCapture runs the table over every capture of testdata/pcaps and testdata/hostile through package
// tables: no error but the input's own, no panic, every row with a protocol, a mechanism and a frame.
func TestEveryCapture(t *testing.T) {
	var paths []string
	for _, dir := range []string{pcapDir, filepath.Join(pcapDir, "..", "hostile")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if n := e.Name(); !e.IsDir() && !strings.HasSuffix(n, ".tsv") && !strings.HasSuffix(n, ".md") {
				paths = append(paths, filepath.Join(dir, n))
			}
		}
	}
	if len(paths) < 50 {
		t.Fatalf("only %d captures found", len(paths))
	}
	def := tables.Lookup("credentials")
	perProto := map[string]int{}
	for _, p := range paths {
		var c collector
		if _, err := tables.Run(context.Background(), []string{p}, []tables.Output{{Def: def, Writer: &c}}, tables.Options{}); err != nil {
			t.Logf("%s: %v (damaged input)", filepath.Base(p), err)
		}
		for _, r := range c.rows {
			if r.Protocol == "" || r.Mechanism == "" || len(r.Frames) == 0 || r.SecretType == "" {
				t.Errorf("%s: incomplete row %+v", filepath.Base(p), r)
			}
			perProto[r.Protocol]++
		}
	}
	t.Logf("%d captures, rows per protocol %v", len(paths), perProto)
}
