package credentials

import (
	"testing"
)

var fuzzPorts = []uint16{80, 21, 25, 110, 143, 6667, 23, 445}

// FuzzConn feeds a connection of one of the protocols (picked by the first byte) with the rest of the input cut
// into pieces of both sides (each piece's first byte gives its side and length): no panic, bounded buffers, and
// every row has a protocol, a mechanism and a frame.
func FuzzConn(f *testing.F) {
	f.Add([]byte("\x01\x8dUSER a\r\nPASS b\r\n\x08230 ok\r\n"))
	f.Add([]byte("\x02\x96AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n\x09235 ok\r\n"))
	f.Add([]byte("\x04\x8ea LOGIN {1}\r\nx y\r\n"))
	f.Add([]byte("\x00\xc0GET / HTTP/1.1\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"))
	f.Add([]byte("\x06\x0f\xff\xfd\x18login: \x85root\r\x0aPassword:\x85toor\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 1 {
			return
		}
		port := fuzzPorts[int(in[0])%len(fuzzPorts)]
		in = in[1:]
		var steps []step
		for len(in) > 0 && len(steps) < 200 {
			n := min(int(in[0]&0x7f), len(in)-1)
			steps = append(steps, step{in[0]&0x80 != 0, string(in[1 : 1+n])})
			in = in[1+n:]
		}
		for _, r := range run(t, port, steps...) {
			if r.Protocol == "" || r.Mechanism == "" || len(r.Frames) == 0 || r.SecretType == "" {
				t.Fatalf("incomplete row %+v", r)
			}
		}
	})
}

// FuzzNTLM parses arbitrary AUTHENTICATE and CHALLENGE messages: no panic, strings only from inside the message.
func FuzzNTLM(f *testing.F) {
	f.Add(ntlmAuthenticate(make([]byte, 24), make([]byte, 40), "Domain", "User", "COMPUTER", true))
	f.Add(ntlmChallengeMsg([]byte("12345678")))
	f.Fuzz(func(t *testing.T, m []byte) {
		if a, ok := parseAuthenticate(m); ok {
			if len(a.lm)+len(a.nt) > 2*len(m) || len(a.user) > 2*len(m) {
				t.Fatalf("buffers larger than the message: %d %d %d", len(a.lm), len(a.nt), len(a.user))
			}
		}
		parseChallenge(m)
	})
}
