package cli

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestHuntHostileEscaped: a user name holding C1 controls, an escape sequence and bidi overrides, sent with HTTP
// Basic and accepted, makes a cleartext_credentials finding that names it; no output format of hunt writes it raw
// to a terminal, and the password never appears.
func TestHuntHostileEscaped(t *testing.T) {
	const pass = "pw-never-shown"
	auth := base64.StdEncoding.EncodeToString([]byte(hostileText + ":" + pass))
	pkts := conversation(t, "GET / HTTP/1.1\r\nHost: a.example\r\nAuthorization: Basic "+auth+"\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", []uint32{0}, "")
	path := writeTemp(t, "cred.pcapng", buildPcapng([]testIface{{name: "eth0"}}, pkts))
	for _, format := range []string{"table", "markdown", "csv", "json"} {
		out, errOut, code := runTerm(t, "hunt", path, "--format", format, "--min-severity", "info")
		if code != 4 {
			t.Fatalf("%s: exit %d, want 4 (found): %s", format, code, errOut)
		}
		checkNoRaw(t, "hunt --format "+format, out)
		checkNoRaw(t, "hunt --format "+format+" (stderr)", errOut)
		if !strings.Contains(out, "cleartext_credentials") || !strings.Contains(out, "evil") {
			t.Errorf("%s: no cleartext_credentials finding naming the user:\n%s", format, out)
		}
		if strings.Contains(out, pass) {
			t.Errorf("%s: the password is in the output:\n%s", format, out)
		}
	}
}
