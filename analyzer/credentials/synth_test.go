package credentials_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// synthPath is a capture this test writes: conversations of the protocols the corpus lacks (POP3, IMAP, HTTP
// Basic, IRC, SMTP AUTH PLAIN), with the user names and secrets of their RFCs' examples. scripts/golden-credentials.sh
// dissects it with tshark, so that the table is checked against Wireshark on them too.
var synthPath = filepath.Join(goldenDir, "synthetic.pcap")

// session is one TCP connection: who says what, in order (true: the client).
type session struct {
	port  uint16
	steps []struct {
		client bool
		data   string
	}
}

func sess(port uint16, kv ...any) session {
	s := session{port: port}
	for i := 0; i+1 < len(kv); i += 2 {
		s.steps = append(s.steps, struct {
			client bool
			data   string
		}{kv[i].(bool), kv[i+1].(string)})
	}
	return s
}

const C, S = true, false

var synthSessions = []session{
	sess(110, S, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", C, "USER mrose\r\n", S, "+OK\r\n",
		C, "PASS tanstaaf\r\n", S, "+OK mrose's maildrop has 2 messages (320 octets)\r\n", C, "QUIT\r\n", S, "+OK dewey POP3 server signing off\r\n"),
	sess(110, S, "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", C, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
		S, "-ERR permission denied\r\n"),
	sess(143, S, "* OK IMAP4rev1 Service Ready\r\n", C, "a001 LOGIN SMITH SESAME\r\n", S, "a001 OK LOGIN completed\r\n",
		C, "a002 LOGOUT\r\n", S, "* BYE\r\na002 OK LOGOUT completed\r\n"),
	sess(143, S, "* OK IMAP4rev1 Service Ready\r\n", C, "b1 LOGIN \"fred smith\" \"se cret\"\r\n", S, "b1 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n"),
	sess(80, C, "GET /private/index.html HTTP/1.1\r\nHost: www.example.org\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n",
		S, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	sess(80, C, "GET /admin HTTP/1.1\r\nHost: www.example.org\r\nAuthorization: Basic dXNlcjpwYXNzd29yZA==\r\n\r\n",
		S, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"admin\"\r\nContent-Length: 0\r\n\r\n"),
	sess(6667, C, "PASS secretpass\r\n", C, "NICK wiz\r\n", C, "USER guest 0 * :Ronnie Reagan\r\n",
		S, ":irc.example.net 001 wiz :Welcome to the Internet Relay Network wiz!guest@10.0.0.1\r\n"),
	sess(25, S, "220 mail.example.org ESMTP\r\n", C, "EHLO client.example.org\r\n", S, "250-mail.example.org\r\n250 AUTH PLAIN LOGIN\r\n",
		C, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", S, "235 2.7.0 Authentication successful\r\n", C, "QUIT\r\n", S, "221 bye\r\n"),
}

// pcapBytes lays out the sessions as a classic pcap (Ethernet, IPv4, TCP): each connection opens with the
// three-way handshake, sends its steps one segment each, and closes with FIN from both sides.
func pcapBytes() []byte {
	var out bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	out.Write(hdr)
	ts := int64(1767225600) * 1e6 // 2026-01-01, microseconds
	frame := func(src, dst netip.AddrPort, seq, ack uint32, flags byte, payload string) {
		b := make([]byte, 54, 54+len(payload))
		copy(b[0:], []byte{2, 0, 0, 0, 0, byte(dst.Port() & 1)}) // made-up MACs
		copy(b[6:], []byte{2, 0, 0, 0, 1, byte(src.Port() & 1)})
		binary.BigEndian.PutUint16(b[12:], 0x0800)
		ip := b[14:34]
		ip[0], ip[8], ip[9] = 0x45, 64, 6
		binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
		s4, d4 := src.Addr().As4(), dst.Addr().As4()
		copy(ip[12:], s4[:])
		copy(ip[16:], d4[:])
		var sum uint32
		for i := 0; i < 20; i += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
		tcp := b[34:54]
		binary.BigEndian.PutUint16(tcp[0:], src.Port())
		binary.BigEndian.PutUint16(tcp[2:], dst.Port())
		binary.BigEndian.PutUint32(tcp[4:], seq)
		binary.BigEndian.PutUint32(tcp[8:], ack)
		tcp[12], tcp[13] = 5<<4, flags
		binary.BigEndian.PutUint16(tcp[14:], 65535)
		b = append(b, payload...)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(ts/1e6))
		binary.LittleEndian.PutUint32(rec[4:], uint32(ts%1e6))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(b)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(b)))
		out.Write(rec)
		out.Write(b)
		ts += 1000
	}
	for i, s := range synthSessions {
		cl := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(40000+i))
		sv := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.7"), s.port)
		cs, ss := uint32(1000), uint32(5000)
		frame(cl, sv, cs, 0, 0x02, "")
		frame(sv, cl, ss, cs+1, 0x12, "")
		cs++
		ss++
		frame(cl, sv, cs, ss, 0x10, "")
		for _, st := range s.steps {
			if st.client {
				frame(cl, sv, cs, ss, 0x18, st.data)
				cs += uint32(len(st.data))
			} else {
				frame(sv, cl, ss, cs, 0x18, st.data)
				ss += uint32(len(st.data))
			}
		}
		frame(cl, sv, cs, ss, 0x11, "")
		frame(sv, cl, ss, cs+1, 0x11, "")
		frame(cl, sv, cs+1, ss+1, 0x10, "")
	}
	return out.Bytes()
}

// TestSyntheticCapture checks that the committed synthetic capture is what pcapBytes writes (run with
// PCAPFRAME_WRITE_SYNTHETIC=1 to write it after changing the sessions, then scripts/golden-credentials.sh).
func TestSyntheticCapture(t *testing.T) {
	want := pcapBytes()
	if os.Getenv("PCAPFRAME_WRITE_SYNTHETIC") == "1" {
		if err := os.WriteFile(synthPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(synthPath)
	if err != nil {
		t.Fatalf("%v (write it with PCAPFRAME_WRITE_SYNTHETIC=1 go test -run TestSyntheticCapture ./analyzer/credentials)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from what pcapBytes writes: regenerate it (PCAPFRAME_WRITE_SYNTHETIC=1) and the golden data", synthPath)
	}
}
