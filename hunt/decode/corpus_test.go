package decode

import (
	"bytes"
	"context"
	"image/png"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func pcapPath(t testing.TB, name string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "pcaps", name)
}

func decodeCapture(t *testing.T, capture, domain string) *Result {
	t.Helper()
	qs, err := ReadQueries(context.Background(), []string{pcapPath(t, capture)})
	if err != nil {
		t.Fatalf("%s: %v", capture, err)
	}
	r, err := Decode(qs, Options{Domain: domain})
	if err != nil {
		t.Fatalf("%s: %v", capture, err)
	}
	return r
}

// TestCorpusTools decodes the DNS tunnels of the corpus, made by the real tools, and checks the result against
// what is known of each independently: the gzip+base64 name of ndpi's dns-exf decodes (Python's base64 and gzip
// agree) to "This is a secret file"; dns2tcp carries an SSH session (the MANIFEST says ssh over dns2tcp), so the
// client's stream starts with its SSH banner and key exchange list; the skullseclabs dnscat capture is a CTF
// whose client downloads a PNG (Go's image/png decoder must read the carved file); dmachard's dnscat2 session is
// encrypted; iodine's tunnel carries IP packets whose header checksums must be valid (computed here) and whose
// addresses are the tunnel's 10.20.30.0/24 (tshark dissects the written pcap as an H.323 call from 10.20.30.3).
func TestCorpusTools(t *testing.T) {
	t.Run("dns-exf", func(t *testing.T) {
		r := decodeCapture(t, "ndpi__dns-exf.pcap", "test.txt")
		if r.Tool != ToolPlain || r.Encoding != Base64 || r.Compression != "gzip" || string(r.Data) != "This is a secret file\n" {
			t.Errorf("%s %s %s %q %q", r.Tool, r.Encoding, r.Compression, r.Data, r.Notes)
		}
		if !strings.HasPrefix(r.MIME, "text/plain") {
			t.Errorf("MIME %q", r.MIME)
		}
	})
	t.Run("dns2tcp", func(t *testing.T) {
		r := decodeCapture(t, "dmachard__dns2tcp.pcap", "dns2tcp.hsc.fr")
		if r.Tool != ToolDNS2TCP || r.FileName != "ssh" || !bytes.HasPrefix(r.Data, []byte("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n")) ||
			!bytes.Contains(r.Data, []byte("curve25519-sha256,curve25519-sha256@libssh.org")) || r.Missing != 0 {
			t.Errorf("%s %q missing %d: %.80q %q", r.Tool, r.FileName, r.Missing, r.Data, r.Notes)
		}
	})
	t.Run("dnscat-ctf", func(t *testing.T) {
		r := decodeCapture(t, "ndpi__bad-dns-traffic.pcap", "skullseclabs.org")
		if r.Tool != ToolDNSCat2 || r.Encrypted || !bytes.Contains(r.Data, []byte("Welcome to dnscap!")) {
			t.Fatalf("%s encrypted %v: %.80q %q", r.Tool, r.Encrypted, r.Data, r.Notes)
		}
		var found bool
		for _, c := range r.Carved {
			if c.MIME == "image/png" {
				img, err := png.Decode(bytes.NewReader(r.Data[c.Offset:]))
				if err != nil {
					t.Fatalf("carved PNG at %d: %v", c.Offset, err)
				}
				found = img.Bounds().Dx() > 0
			}
		}
		if !found {
			t.Errorf("no PNG carved: %q", r.Notes)
		}
	})
	t.Run("dnscat2-encrypted", func(t *testing.T) {
		r := decodeCapture(t, "dmachard__dnscat2.pcap", "biillpi.com")
		if r.Tool != ToolDNSCat2 || !r.Encrypted {
			t.Errorf("%s encrypted %v %q", r.Tool, r.Encrypted, r.Notes)
		}
	})
	t.Run("iodine", func(t *testing.T) {
		r := decodeCapture(t, "ndpi__dns-tunnel-iodine.pcap", "pirate.sea")
		if r.Tool != ToolIodine || r.Encoding != IodineBase128 || len(r.Packets) != 17 {
			t.Fatalf("%s %s %d packets %q", r.Tool, r.Encoding, len(r.Packets), r.Notes)
		}
		for i, p := range r.Packets {
			if len(p.Data) < 20 || p.Data[0]>>4 != 4 || ipChecksum(p.Data[:int(p.Data[0]&15)*4]) != 0 {
				t.Errorf("packet %d: not an IPv4 packet with a valid header checksum: %x", i, p.Data[:min(20, len(p.Data))])
				continue
			}
			if !bytes.Equal(p.Data[12:15], []byte{10, 20, 30}) || !bytes.Equal(p.Data[16:19], []byte{10, 20, 30}) {
				t.Errorf("packet %d: addresses %v -> %v", i, p.Data[12:16], p.Data[16:20])
			}
		}
	})
}

// TestNotDecoded says what it cannot decode instead of inventing data: names that are ordinary words.
func TestNotDecoded(t *testing.T) {
	qs := []Query{{Frame: 1, Name: "www.example.com"}, {Frame: 2, Name: "mail.example.com"}, {Frame: 3, Name: "a!b.example.com"}}
	r, err := Decode(qs, Options{Domain: "example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Decoded || len(r.Notes) == 0 || !strings.Contains(strings.Join(r.Notes, " "), "not decoded") {
		t.Errorf("decoded %v, notes %q", r.Decoded, r.Notes)
	}
	if r, err := Decode(qs, Options{Domain: "other.org"}); err != nil || r.Queries != 0 || r.Decoded {
		t.Errorf("other domain: %+v %v", r, err)
	}
	if _, err := Decode(qs, Options{}); err == nil {
		t.Error("no domain accepted")
	}
}

// TestHostile feeds names made to exhaust: a huge base58 chunk, a gzip bomb, many iodine fragments of one
// packet that never ends.
func TestHostile(t *testing.T) {
	var qs []Query
	long := strings.Repeat("z", 63)
	for i := 0; i < 200; i++ {
		qs = append(qs, Query{Frame: int64(i), Name: "0" + "aaa" + "a" + strings.Repeat("b", 50) + "." + long + ".t.test"})
	}
	if _, err := Decode(qs, Options{Domain: "t.test", Tool: ToolIodine}); err != nil {
		t.Fatal(err)
	}
	bomb := compress(t, "gzip", make([]byte, 4<<20))
	names := plainNames(EncodeString(Hex, bomb), "bomb.test", 60, true)
	qs = qs[:0]
	for i, n := range names {
		qs = append(qs, Query{Frame: int64(i), Name: EscapeName(n)})
	}
	if _, err := Decode(qs, Options{Domain: "bomb.test", Limit: 1 << 20}); err == nil {
		t.Error("a gzip bomb over the limit was decoded")
	}
	big := Query{Frame: 1, Name: "1." + strings.Repeat(strings.Repeat("z", 60)+".", 80) + "big.test"}
	if _, err := Decode([]Query{big, {Frame: 2, Name: "2.abc.big.test"}}, Options{Domain: "big.test", Encoding: Base58}); err != nil {
		t.Fatal(err)
	}
}

func decodeCaptureDown(t *testing.T, capture, domain string) *Result {
	t.Helper()
	rs, err := ReadResponses(context.Background(), []string{pcapPath(t, capture)}, domain)
	if err != nil {
		t.Fatalf("%s: %v", capture, err)
	}
	r, err := DecodeDown(rs, Options{Domain: domain})
	if err != nil {
		t.Fatalf("%s: %v", capture, err)
	}
	return r
}

// TestCorpusToolsDown decodes the server's side of the corpus's DNS tunnels, made by the real tools, and checks it
// against what is known independently: dns2tcp's one data answer (tshark's dns.txt, base64-decoded by Python
// after the index letter and the 7-byte header) is the SSH server's banner "SSH-2.0-OpenSSH_8.0\r\n"; in the
// skullseclabs dnscat CTF the server sends one command-protocol message (dnscat2's doc/command_protocol.md:
// length 20, request id 1, COMMAND_DOWNLOAD 3, the file name) asking for /tmp/dnscap.png, the PNG the client's
// side carries; dmachard's dnscat2 session is encrypted (its client's side says so); iodine's server sends IPv4
// packets with valid header checksums within the tunnel's 10.20.30.0/24, in NULL answers.
func TestCorpusToolsDown(t *testing.T) {
	t.Run("dns2tcp", func(t *testing.T) {
		r := decodeCaptureDown(t, "dmachard__dns2tcp.pcap", "dns2tcp.hsc.fr")
		if r.Tool != ToolDNS2TCP || r.Direction != Down || string(r.Data) != "SSH-2.0-OpenSSH_8.0\r\n" || r.Missing != 0 {
			t.Errorf("%s %s missing %d: %q %q", r.Tool, r.Direction, r.Missing, r.Data, r.Notes)
		}
	})
	t.Run("dnscat-ctf", func(t *testing.T) {
		r := decodeCaptureDown(t, "ndpi__bad-dns-traffic.pcap", "skullseclabs.org")
		if r.Tool != ToolDNSCat2 || r.Encrypted || string(r.Data) != "\x00\x00\x00\x14\x00\x01\x00\x03/tmp/dnscap.png\x00" {
			t.Errorf("%s encrypted %v: %q %q", r.Tool, r.Encrypted, r.Data, r.Notes)
		}
	})
	t.Run("dnscat2-encrypted", func(t *testing.T) {
		r := decodeCaptureDown(t, "dmachard__dnscat2.pcap", "biillpi.com")
		if r.Tool != ToolDNSCat2 || !r.Encrypted {
			t.Errorf("%s encrypted %v %q", r.Tool, r.Encrypted, r.Notes)
		}
	})
	t.Run("iodine", func(t *testing.T) {
		r := decodeCaptureDown(t, "ndpi__dns-tunnel-iodine.pcap", "pirate.sea")
		if r.Tool != ToolIodine || r.Encoding != Raw || len(r.Packets) < 100 {
			t.Fatalf("%s %s %d packets %q", r.Tool, r.Encoding, len(r.Packets), r.Notes)
		}
		for i, p := range r.Packets {
			if len(p.Data) < 20 || p.Data[0]>>4 != 4 || ipChecksum(p.Data[:int(p.Data[0]&15)*4]) != 0 {
				t.Errorf("packet %d: not an IPv4 packet with a valid header checksum: %x", i, p.Data[:min(20, len(p.Data))])
				continue
			}
			if !bytes.Equal(p.Data[12:15], []byte{10, 20, 30}) || !bytes.Equal(p.Data[16:19], []byte{10, 20, 30}) {
				t.Errorf("packet %d: addresses %v -> %v", i, p.Data[12:16], p.Data[16:20])
			}
		}
	})
}
