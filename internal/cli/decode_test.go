package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeCommand runs pcapframe decode on corpus captures whose contents are known independently: ndpi's
// dns-exf name is gzip+base64 of "This is a secret file\n" (Python's base64 and gzip agree), iodine's tunnel
// carries 17 IPv4 packets (a pcap whose header is checked here), and the notebook's 7070 transfer is encrypted
// with cryptcat under the password given in the 5050 chat (the chat's text, tshark -qz follow,tcp,ascii,1): decode
// finds the password there and writes the JPEG (hunt/decode's TestCryptcatNotebook checks it with image/jpeg and
// gives its sha256), or takes it from --cryptcat. Usage errors exit 2, a wrong --cryptcat key and an undecodable
// domain exit 1 with a message.
func TestDecodeCommand(t *testing.T) {
	needSeed(t)
	const pcaps = "../../testdata/pcaps/"
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"dns-exf", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--domain", "test.txt", "-o", filepath.Join(dir, "secret.txt")}, 0,
			[]string{"encoding: base64", "compression: gzip", "result: 22 bytes, text/plain"}},
		{"iodine", []string{"decode", pcaps + "ndpi__dns-tunnel-iodine.pcap", "--domain", "pirate.sea", "-o", filepath.Join(dir, "inner.pcap")}, 0,
			[]string{"tool: iodine", "result: 17 IP packets"}},
		{"notebook 7070", []string{"decode", "-q", seedPcap, "--flow", "192.168.1.6:65253-192.168.1.100:7070", "-o", filepath.Join(dir, "t.bin")}, 0,
			[]string{"(client side)", "result: 116902 bytes, image/jpeg", `decrypted with cryptcat key "P@ssawordaya" (a guess`, "encrypted",
				`"ok we can use cryptcat"`, `"let it be P@ssawordaya"`}},
		{"notebook 7070 key given", []string{"decode", "-q", seedPcap, "--flow", "192.168.1.6:65253-192.168.1.100:7070", "--proto", "tcp", "--side", "client",
			"--cryptcat", "P@ssawordaya", "-o", filepath.Join(dir, "k.jpg")}, 0, []string{"result: 116902 bytes, image/jpeg", `cryptcat key "P@ssawordaya": given`}},
		{"notebook 7070 wrong key", []string{"decode", "-q", seedPcap, "--flow", "192.168.1.6:65253-192.168.1.100:7070", "--cryptcat", "nope"}, 1, nil},
		{"cryptcat without flow", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--domain", "a", "--cryptcat", "k"}, ExitUsage, nil},
		{"no domain", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--domain", "example.org"}, 1, []string{"no query under example.org"}},
		{"both", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--domain", "a", "--flow", "1.2.3.4:1-1.2.3.5:2"}, ExitUsage, nil},
		{"neither", []string{"decode", pcaps + "ndpi__dns-exf.pcap"}, ExitUsage, nil},
		{"bad tool", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--domain", "a", "--tool", "nope"}, ExitUsage, nil},
		{"bad encoding", []string{"decode", pcaps + "ndpi__dns-exf.pcap", "--domain", "a", "--encoding", "base99"}, ExitUsage, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := run(t, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d: %s%s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(dir, "secret.txt")); err != nil || string(b) != "This is a secret file\n" {
		t.Errorf("secret.txt: %q, %v", b, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "inner.pcap"))
	if err != nil || len(b) < 24 || !bytes.Equal(b[:4], []byte{0x4d, 0x3c, 0xb2, 0xa1}) || b[20] != 101 {
		t.Errorf("inner.pcap: not a nanosecond pcap of raw IP (%v)", err)
	}
	// Standard input, read once for both directions: the same packets as from the file, and the server's too.
	capBytes, err := os.ReadFile(pcaps + "ndpi__dns-tunnel-iodine.pcap")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, string(capBytes), "decode", "-", "--domain", "pirate.sea", "-o", filepath.Join(dir, "stdin.pcap"))
	if code != 0 {
		t.Fatalf("decode -: exit %d: %s%s", code, out, errOut)
	}
	for _, w := range []string{"result: 17 IP packets", "result: 181 IP packets"} {
		if !strings.Contains(out, w) {
			t.Errorf("decode -: output lacks %q:\n%s", w, out)
		}
	}
	if fromStdin, err := os.ReadFile(filepath.Join(dir, "stdin.pcap")); err != nil || !bytes.Equal(fromStdin, b) {
		t.Errorf("decode -: stdin.pcap (%v) differs from inner.pcap", err)
	}
	for _, f := range []string{"t.bin", "k.jpg"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if sum := sha256.Sum256(b); err != nil || hex.EncodeToString(sum[:]) != "3db75fee4b3e9764c6af1e21e28e9a3dd43256d35b63bf9ed924f767912f460b" {
			t.Errorf("%s: %v, %d bytes: not the decrypted JPEG", f, err, len(b))
		}
	}
}

// TestHuntDecode runs hunt --decode -o DIR on the notebook's capture and on iodine's: the 7070 transfer is
// decrypted (cryptcat, the password of the chat) and written as the JPEG with its report, iodine's inner packets
// as a pcap, both ways (the client's in the names, the server's in the answers); the findings list the decode
// commands.
func TestHuntDecode(t *testing.T) {
	needSeed(t)
	dir := t.TempDir()
	out, errOut, code := run(t, "", "hunt", "-q", seedPcap, "--decode", "-o", dir, "--format", "csv")
	if code != ExitFound {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "pcapframe decode "+seedPcap+" --flow 192.168.1.6:65253-192.168.1.100:7070 --proto tcp --side client -o unknown_bulk.decoded") {
		t.Errorf("the findings lack the decode command:\n%s", out)
	}
	rep, err := os.ReadFile(filepath.Join(dir, "decoded.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"01-unknown_bulk.jpg: unknown_bulk 192.168.1.6 -> 192.168.1.100:7070/tcp", "encrypted", "cryptcat", "P@ssawordaya", "image/jpeg"} {
		if !strings.Contains(string(rep), w) {
			t.Errorf("decoded.txt lacks %q:\n%s", w, rep)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "01-unknown_bulk.jpg")); err != nil || fi.Size() != 116902 {
		t.Errorf("01-unknown_bulk.jpg: %v", err)
	}
	dir2 := t.TempDir()
	if _, errOut, code := run(t, "", "hunt", "-q", "../../testdata/pcaps/ndpi__dns-tunnel-iodine.pcap", "--decode", "-o", dir2, "--format", "csv"); code != ExitFound {
		t.Fatalf("iodine: exit %d: %s", code, errOut)
	} else if !strings.Contains(errOut, "17 packets") || !strings.Contains(errOut, "181 packets") {
		t.Errorf("iodine: want the client's 17 packets and the server's 181 (the downstream): %s", errOut)
	}
	// The downstream file is the one decode --domain writes as FILE.down (TestCorpusToolsDown checks those
	// packets: IPv4 with valid checksums in iodine's 10.20.30.0/24).
	dir3 := t.TempDir()
	if _, errOut, code := run(t, "", "decode", "../../testdata/pcaps/ndpi__dns-tunnel-iodine.pcap", "--domain", "pirate.sea", "-o", filepath.Join(dir3, "inner.pcap")); code != 0 {
		t.Fatalf("decode: exit %d: %s", code, errOut)
	}
	want, err := os.ReadFile(filepath.Join(dir3, "inner.pcap.down"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir2, "01-dns_tunnel-down.pcap")); err != nil || !bytes.Equal(got, want) || len(want) < 1000 {
		t.Errorf("hunt --decode's downstream (%d bytes, %v) differs from decode --domain's (%d bytes)", len(got), err, len(want))
	}
	if _, _, code := run(t, "", "hunt", "-q", seedPcap, "--decode"); code != ExitUsage {
		t.Errorf("--decode without -o: exit %d", code)
	}
}
