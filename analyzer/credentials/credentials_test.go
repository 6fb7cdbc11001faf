package credentials

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/pcapframe/pcapframe/analyzer"
)

// step is what one side sends.
type step struct {
	fromClient bool
	data       string
}

func c(s string) step { return step{true, s} }
func s(s string) step { return step{false, s} }

// run feeds a connection to the given server port and returns its rows.
func run(t testing.TB, port uint16, steps ...step) []Row {
	t.Helper()
	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	f := analyzer.Flow{UID: "Ctest", CommunityID: "1:x", Proto: 6, Orig: netip.MustParseAddrPort("10.0.0.1:40000"),
		Resp: netip.AddrPortFrom(netip.MustParseAddr("192.0.2.7"), port), Start: 1e18}
	h := a.Stream(&f)
	for i, st := range steps {
		if err := h.Data(st.fromClient, []byte(st.data), int64(i+1), int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.End(); err != nil {
		t.Fatal(err)
	}
	if err := a.FlowEnd(&f); err != nil {
		t.Fatal(err)
	}
	return rows
}

// summary is a row's columns that the tests check, as one line.
func summary(r *Row) string {
	acc := "null"
	if r.HasAccepted {
		acc = fmt.Sprint(r.Accepted)
	}
	pw := "<none>"
	if r.HasPassword {
		pw = r.Password
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v", r.Protocol, r.Mechanism, r.Username, pw, r.SecretType, acc, r.Frames)
}

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestProtocols follows the example exchanges of the protocols' RFCs (user names and secrets from them).
func TestProtocols(t *testing.T) {
	tests := []struct {
		name  string
		port  uint16
		steps []step
		want  []string
	}{
		{"ftp accepted", 21, []step{s("220 ready\r\n"), c("USER anonymous\r\n"), s("331 send password\r\n"), c("PASS guest@\r\n"), s("230-Welcome\r\n230 ok\r\n")},
			[]string{"ftp|USER/PASS|anonymous|guest@|cleartext|true|[2 4]"}},
		{"ftp refused then accepted", 21, []step{c("USER bro\r\n"), s("331 pw\r\n"), c("PASS 1\r\n"), s("530 Login incorrect.\r\n"), c("USER bro\r\n"), s("331 pw\r\n"), c("PASS 2\r\n"), s("230 in\r\n")},
			[]string{"ftp|USER/PASS|bro|1|cleartext|false|[1 3]", "ftp|USER/PASS|bro|2|cleartext|true|[5 7]"}},
		{"ftp user refused", 21, []step{c("USER root\r\n"), s("530 no root\r\n")}, []string{"ftp|USER/PASS|root|<none>|none|false|[1]"}},
		{"ftp AUTH TLS", 21, []step{c("AUTH TLS\r\n"), s("234 go\r\n"), c("USER x\r\n"), c("PASS y\r\n")}, nil},
		// RFC 1939 §7: APOP mrose c4c9334bac560ecc979e58001b3e22fb; USER mrose / PASS secret
		{"pop3 USER/PASS", 110, []step{s("+OK POP3 server ready\r\n"), c("USER mrose\r\n"), s("+OK\r\n"), c("PASS secret\r\n"), s("-ERR maildrop already locked\r\n")},
			[]string{"pop3|USER/PASS|mrose|secret|cleartext|false|[2 4]"}},
		{"pop3 APOP", 110, []step{s("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"), c("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"), s("+OK maildrop has 1 message (369 octets)\r\n")},
			[]string{"pop3|APOP|mrose|c4c9334bac560ecc979e58001b3e22fb|apop-md5|true|[2]"}},
		// RFC 4616 §4: "\0tim\0tanstaaftanstaaf" in base64
		{"smtp AUTH PLAIN initial response", 25, []step{c("EHLO x\r\n"), s("250-x\r\n250 AUTH PLAIN LOGIN\r\n"), c("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"), s("235 2.7.0 Authentication successful\r\n")},
			[]string{"smtp|AUTH PLAIN|tim|tanstaaftanstaaf|cleartext|true|[3]"}},
		{"smtp AUTH PLAIN after 334", 587, []step{c("AUTH PLAIN\r\n"), s("334 \r\n"), c("AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"), s("535 5.7.8 bad\r\n")},
			[]string{"smtp|AUTH PLAIN|tim|tanstaaftanstaaf|cleartext|false|[3]"}},
		{"smtp AUTH LOGIN", 25, []step{c("AUTH LOGIN\r\n"), s("334 " + b64s("Username:") + "\r\n"), c(b64s("alice") + "\r\n"), s("334 " + b64s("Password:") + "\r\n"), c(b64s("wonderland") + "\r\n"), s("235 ok\r\n")},
			[]string{"smtp|AUTH LOGIN|alice|wonderland|cleartext|true|[3 5]"}},
		// RFC 2195 §2: the challenge and tim's response
		{"smtp AUTH CRAM-MD5", 25, []step{c("AUTH CRAM-MD5\r\n"), s("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"), c("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"), s("235 ok\r\n")},
			[]string{"smtp|AUTH CRAM-MD5|tim|$cram_md5$PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+$dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw|cram-md5|true|[3]"}},
		{"smtp cancelled, DATA skipped", 25, []step{c("AUTH LOGIN\r\n"), s("334 VXNlcm5hbWU6\r\n"), c("*\r\n"), s("501 cancelled\r\n"), c("DATA\r\n"), s("354 go\r\n"), c("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n.\r\n"), s("250 queued\r\n")}, nil},
		{"smtp STARTTLS", 25, []step{c("STARTTLS\r\n"), s("220 go ahead\r\n"), c("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n")}, nil},
		// RFC 3501 §6.2.3: a001 LOGIN SMITH SESAME
		{"imap LOGIN atoms", 143, []step{s("* OK IMAP4rev1 ready\r\n"), c("a001 LOGIN SMITH SESAME\r\n"), s("* CAPABILITY IMAP4rev1\r\na001 OK LOGIN completed\r\n")},
			[]string{"imap|LOGIN|SMITH|SESAME|cleartext|true|[2]"}},
		{"imap LOGIN quoted", 143, []step{c(`a2 login "fred smith" "p\"a\\ss"` + "\r\n"), s("a2 NO [AUTHENTICATIONFAILED] bad\r\n")},
			[]string{`imap|LOGIN|fred smith|p"a\ss|cleartext|false|[1]`}},
		{"imap LOGIN literals", 143, []step{c("a3 LOGIN {5}\r\n"), s("+ Ready\r\n"), c("alice {4+}\r\npass\r\n"), s("a3 OK done\r\n")},
			[]string{"imap|LOGIN|alice|pass|cleartext|true|[3]"}},
		{"imap AUTHENTICATE PLAIN", 143, []step{c("a4 AUTHENTICATE PLAIN\r\n"), s("+ \r\n"), c("AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"), s("a4 OK\r\n")},
			[]string{"imap|AUTH PLAIN|tim|tanstaaftanstaaf|cleartext|true|[3]"}},
		{"irc PASS", 6667, []step{c("PASS hunter2\r\nNICK wiz\r\nUSER guest 0 * :Ronnie Reagan\r\n"), s(":irc.example.net 001 wiz :Welcome to the Internet Relay Network wiz\r\n"),
			c("PRIVMSG NickServ :IDENTIFY wizpass\r\n")},
			[]string{"irc|PASS|wiz|hunter2|cleartext|true|[1]", "irc|NickServ IDENTIFY|wiz|wizpass|cleartext|null|[3]"}},
		{"irc refused", 6667, []step{c("PASS x\r\nNICK y\r\n"), s(":srv 464 y :Password incorrect\r\n")}, []string{"irc|PASS|y|x|cleartext|false|[1]"}},
		// RFC 7617 §2: Aladdin / open sesame
		{"http Basic", 8080, []step{c("GET /private HTTP/1.1\r\nHost: x\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"), s("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")},
			[]string{"http|Basic|Aladdin|open sesame|cleartext|true|[1]"}},
		{"http Basic refused, pipelined", 80, []step{c("GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nAuthorization: Basic " + b64s("u:p") + "\r\nContent-Length: 4\r\n\r\nabcd"),
			s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")},
			[]string{"http|Basic|u|p|cleartext|false|[1]"}},
		{"http Digest", 80, []step{c("GET /dir/index.html HTTP/1.1\r\nAuthorization: Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", response=\"8ca523f5e9506fed4657c9700eebdbec\"\r\n\r\n"), s("HTTP/1.1 401 Unauthorized\r\n\r\n")},
			[]string{`http|Digest|Mufasa|username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", response="8ca523f5e9506fed4657c9700eebdbec"|http-digest|false|[1]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := run(t, tt.port, tt.steps...)
			var got []string
			for i := range rows {
				got = append(got, summary(&rows[i]))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("rows\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// ntlmAuthenticate lays out an NTLMSSP AUTHENTICATE message as MS-NLMP §2.2.1.3 draws it: the signature, type 3,
// six security buffers (LM, NT, domain, user, workstation, session key), the flags, then the payload.
func ntlmAuthenticate(lm, nt []byte, domain, user, host string, unicode bool) []byte {
	enc := func(s string) []byte {
		if !unicode {
			return []byte(s)
		}
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
		return b
	}
	fields := [][]byte{lm, nt, enc(domain), enc(user), enc(host), nil}
	m := append([]byte("NTLMSSP\x00"), 3, 0, 0, 0)
	off := 12 + 8*len(fields) + 4
	var payload []byte
	for _, f := range fields {
		m = binary.LittleEndian.AppendUint16(m, uint16(len(f)))
		m = binary.LittleEndian.AppendUint16(m, uint16(len(f)))
		m = binary.LittleEndian.AppendUint32(m, uint32(off+len(payload)))
		payload = append(payload, f...)
	}
	flags := uint32(0)
	if unicode {
		flags = 1
	}
	m = binary.LittleEndian.AppendUint32(m, flags)
	return append(m, payload...)
}

// ntlmChallengeMsg lays out a CHALLENGE message (MS-NLMP §2.2.1.2) with the server challenge.
func ntlmChallengeMsg(ch []byte) []byte {
	m := append([]byte("NTLMSSP\x00"), 2, 0, 0, 0)
	m = append(m, make([]byte, 12)...) // target name fields, flags
	m = append(m, ch...)
	return append(m, make([]byte, 16)...)
}

// TestNTLM checks the HTTP NTLM handshake: the challenge of the 401, then the AUTHENTICATE of the next request,
// written in hashcat's NetNTLMv2 format (user::domain:challenge:NTProofStr:blob), and the SMB path.
func TestNTLM(t *testing.T) {
	ch := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef} // MS-NLMP §4.2.1's server challenge
	proof := []byte("0123456789abcdef")
	blob := []byte{1, 1, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9}
	auth := ntlmAuthenticate(make([]byte, 24), append(proof, blob...), "Domain", "User", "COMPUTER", true)
	rows := run(t, 80,
		c("GET / HTTP/1.1\r\nAuthorization: NTLM "+base64.StdEncoding.EncodeToString([]byte("NTLMSSP\x00\x01\x00\x00\x00xxxx"))+"\r\n\r\n"),
		s("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM "+base64.StdEncoding.EncodeToString(ntlmChallengeMsg(ch))+"\r\nContent-Length: 0\r\n\r\n"),
		c("GET / HTTP/1.1\r\nAuthorization: NTLM "+base64.StdEncoding.EncodeToString(auth)+"\r\n\r\n"),
		s("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	want := "http|NTLM|User|User::Domain:0123456789abcdef:" + fmt.Sprintf("%x:%x", proof, blob) + "|netntlmv2|true|[3]"
	if len(rows) != 1 || summary(&rows[0]) != want || rows[0].Domain != "Domain" || rows[0].ClientHost != "COMPUTER" {
		t.Fatalf("rows %+v\nwant %s", rows, want)
	}

	// NTLMv1 (a 24-byte NT response), OEM strings, without a challenge seen: the response in hex.
	nt := []byte("abcdefghijklmnopqrstuvwx")
	v1 := ntlmAuthenticate(make([]byte, 24), nt, "D", "u", "h", false)
	rows = run(t, 445, c("\x00\x00\x01\x00"+string(v1)))
	if len(rows) != 1 || summary(&rows[0]) != fmt.Sprintf("smb|NTLMSSP|u|%x|ntlm-response|null|[1]", nt) {
		t.Fatalf("smb: %+v", rows)
	}
	// A lying security buffer: a row with a note, nothing read past the message.
	bad := ntlmAuthenticate(nil, nil, "D", "u", "h", false)
	binary.LittleEndian.PutUint32(bad[40:], 1<<30) // the user's offset
	rows = run(t, 445, c(string(bad)))
	if len(rows) != 1 || rows[0].Note != "damaged NTLMSSP AUTHENTICATE message" || rows[0].HasUsername {
		t.Fatalf("damaged: %+v", rows)
	}
}

// TestTelnet checks the login heuristic on sessions with option negotiation, echo and character-at-a-time
// input.
func TestTelnet(t *testing.T) {
	nego := "\xff\xfd\x18\xff\xfd\x20\xff\xfa\x18\x01\xff\xf0"
	typed := func(s string) []step { // one key per segment, as a Telnet client sends them
		var out []step
		for i := range len(s) {
			out = append(out, c(s[i:i+1]))
		}
		return out
	}
	session := func(verdict ...step) []step {
		st := []step{s(nego + "\r\nDebian GNU/Linux 12\r\nhost login: "), c("\xff\xfb\x18")}
		st = append(st, typed("roox\x7ft\r\x00")...)
		st = append(st, s("root\r\nPassword: "))
		st = append(st, typed("toor\r\n")...)
		return append(st, verdict...)
	}
	tests := []struct {
		name  string
		steps []step
		want  string
	}{
		{"accepted: shell prompt", session(s("\r\nLast login: Sun Dec  6 on pts/0\r\nroot@host:~# ")), "telnet|login prompt|root|toor|cleartext|true"},
		{"refused", session(s("\r\nLogin incorrect\r\nhost login: ")), "telnet|login prompt|root|toor|cleartext|false"},
		{"accepted: client goes on typing", session(s("\r\n"), c("ls\r\n")), "telnet|login prompt|root|toor|cleartext|true"},
		{"undecided", session(), "telnet|login prompt|root|toor|cleartext|null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := run(t, 23, tt.steps...)
			if len(rows) != 1 {
				t.Fatalf("%d rows", len(rows))
			}
			if got := summary(&rows[0]); !strings.HasPrefix(got, tt.want+"|") {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func testFlowHTTP() analyzer.Flow {
	return analyzer.Flow{UID: "Chttp", Proto: 6, Orig: netip.MustParseAddrPort("10.0.0.1:40000"), Resp: netip.MustParseAddrPort("192.0.2.7:80")}
}

// smb2Response lays out a NetBIOS session header and an SMB2 header (MS-SMB2 §2.2.1.2: protocol id, structure
// size 64, credit charge, status, command) of a SESSION_SETUP response with the given status.
func smb2Response(status uint32) string {
	h := make([]byte, 4+64)
	binary.BigEndian.PutUint32(h, 64)
	copy(h[4:], "\xfeSMB")
	binary.LittleEndian.PutUint16(h[8:], 64)
	binary.LittleEndian.PutUint32(h[12:], status)
	binary.LittleEndian.PutUint16(h[16:], 1) // SESSION_SETUP
	return string(h)
}

// TestSMBStatus checks the verdict of SMB2 SESSION_SETUP responses after an AUTHENTICATE: more processing
// waits, STATUS_LOGON_FAILURE refuses, success accepts.
func TestSMBStatus(t *testing.T) {
	auth := "\x00\x00\x01\x00" + string(ntlmAuthenticate(make([]byte, 24), make([]byte, 24), "D", "u", "h", false))
	for _, tt := range []struct {
		statuses []uint32
		want     string
	}{
		{[]uint32{0}, "true"},
		{[]uint32{0xc0000016, 0xc000006d}, "false"},
		{nil, "null"},
	} {
		steps := []step{c(auth)}
		for _, st := range tt.statuses {
			steps = append(steps, s(smb2Response(st)))
		}
		rows := run(t, 445, steps...)
		if len(rows) != 1 || !strings.Contains(summary(&rows[0]), "|"+tt.want+"|") {
			t.Errorf("statuses %#x: rows %+v, want accepted %s", tt.statuses, rows, tt.want)
		}
	}
}
