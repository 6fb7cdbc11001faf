package credentials

import (
	"strings"
	"testing"
)

// TestHostile feeds lines and bodies that never end or lie: bounded buffers, notes, no panic.
func TestHostile(t *testing.T) {
	huge := strings.Repeat("A", 10<<20)
	tests := []struct {
		name  string
		port  uint16
		steps []step
		rows  int
		note  string
	}{
		{"10 MB FTP line then a login", 21, []step{c("USER " + huge + "\r\n"), c("USER x\r\nPASS y\r\n"), s("230 ok\r\n")}, 2, "line over 8192 bytes cut"},
		{"10 MB without a line end", 21, []step{c(huge), c(huge)}, 0, ""},
		{"10 MB HTTP header", 80, []step{c("GET / HTTP/1.1\r\nX: " + huge + "\r\nAuthorization: Basic " + b64s("a:b") + "\r\n\r\n")}, 1, "line over 8192 bytes cut"},
		{"lying Content-Length", 80, []step{c("POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\nshort"), c("GET / HTTP/1.1\r\nAuthorization: Basic " + b64s("a:b") + "\r\n\r\n")}, 0, ""},
		{"endless chunked body", 80, []step{c("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), c(strings.Repeat("1\r\nx\r\n", 100000))}, 0, ""},
		{"bad chunk size", 80, []step{c("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")}, 0, ""},
		{"many headers", 80, []step{c("GET / HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", 300) + "Authorization: Basic " + b64s("a:b") + "\r\n\r\n")}, 0, "more than 256 header lines"},
		{"imap literal of 1 GB announced", 143, []step{c("a LOGIN {1000000000}\r\n"), c(huge)}, 0, ""},
		{"imap literals without end", 143, []step{c(strings.Repeat("a LOGIN {1}\r\nx", 10) + "\r\n")}, 0, ""},
		{"bad base64 in SASL", 25, []step{c("AUTH PLAIN !!!!\r\n"), s("535 no\r\n")}, 0, "SASL response is not base64"},
		{"PLAIN without NULs", 25, []step{c("AUTH PLAIN " + b64s("abc") + "\r\n")}, 0, "AUTH PLAIN message without its two NUL separators"},
		{"telnet 10 MB of IAC", 23, []step{s(strings.Repeat("\xff\xfa", 1<<20)), c(huge)}, 0, ""},
		{"telnet endless subnegotiation then prompt", 23, []step{s("\xff\xfa\x18" + huge), s("login: ")}, 0, ""},
		{"smb 10 MB", 445, []step{c(huge), s(huge), c("NTLMSSP\x00\x03\x00\x00\x00")}, 0, ""},
		{"credentials beyond MaxPending", 21, []step{c(strings.Repeat("USER a\r\nPASS b\r\n", 40))}, 40, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := run(t, tt.port, tt.steps...)
			if len(rows) != tt.rows {
				t.Fatalf("%d rows, want %d", len(rows), tt.rows)
			}
			if tt.rows > 0 && !strings.Contains(rows[0].Note, tt.note) {
				t.Errorf("note %q, want %q", rows[0].Note, tt.note)
			}
		})
	}
}

// TestSecretCap checks that a user name or password longer than 1 KiB is cut and noted, and that HTTP keeps at
// most MaxPending credentials waiting for responses that never come.
func TestSecretCap(t *testing.T) {
	rows := run(t, 21, c("USER "+strings.Repeat("u", 5000)+"\r\nPASS p\r\n"), s("230 ok\r\n"))
	if len(rows) != 1 || len(rows[0].Username) != maxSecret || !strings.Contains(rows[0].Note, "cut at 1024 bytes") {
		t.Fatalf("rows %d, user of %d bytes, note %q", len(rows), len(rows[0].Username), rows[0].Note)
	}
	var reqs strings.Builder
	for range 3 * MaxPending {
		reqs.WriteString("GET / HTTP/1.1\r\nAuthorization: Basic " + b64s("a:b") + "\r\n\r\n")
	}
	a := New(func(*Row) error { return nil })
	f := testFlowHTTP()
	h := a.Stream(&f)
	_ = h.Data(true, []byte(reqs.String()), 1, 1)
	n := 0
	for _, o := range a.conns[f.UID].http.queue {
		if o.row != nil {
			n++
		}
	}
	if n > MaxPending {
		t.Errorf("%d credentials waiting, cap %d", n, MaxPending)
	}
}
