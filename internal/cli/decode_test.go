package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeCommand runs pcapframe decode on corpus captures whose contents are known independently: ndpi's
// dns-exf name is gzip+base64 of "This is a secret file\n" (Python's base64 and gzip agree), iodine's tunnel
// carries 17 IPv4 packets (a pcap whose header is checked here), and the notebook's 7070 transfer is encrypted
// with cryptcat under the password given in the 5050 chat (the chat's text, tshark -qz follow,tcp,ascii,1).
// Usage errors exit 2 and an undecodable domain exits 1 with a note.
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
			[]string{"(client side)", "encrypted", `"ok we can use cryptcat"`, `"let it be P@ssawordaya"`}},
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
	if fi, err := os.Stat(filepath.Join(dir, "t.bin")); err != nil || fi.Size() != 117382 {
		t.Errorf("t.bin: %v %v, want the 117382 bytes of the client's side", fi, err)
	}
}

// TestHuntDecode runs hunt --decode -o DIR on the notebook's capture and on iodine's: the 7070 transfer is
// written with its report (encrypted, cryptcat, the password), iodine's inner packets as a pcap; the findings
// list the decode commands.
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
	for _, w := range []string{"01-unknown_bulk.bin: unknown_bulk 192.168.1.6 -> 192.168.1.100:7070/tcp", "encrypted", "cryptcat", "P@ssawordaya"} {
		if !strings.Contains(string(rep), w) {
			t.Errorf("decoded.txt lacks %q:\n%s", w, rep)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "01-unknown_bulk.bin")); err != nil || fi.Size() != 117382 {
		t.Errorf("01-unknown_bulk.bin: %v", err)
	}
	dir2 := t.TempDir()
	if _, errOut, code := run(t, "", "hunt", "-q", "../../testdata/pcaps/ndpi__dns-tunnel-iodine.pcap", "--decode", "-o", dir2, "--format", "csv"); code != ExitFound {
		t.Fatalf("iodine: exit %d: %s", code, errOut)
	} else if !strings.Contains(errOut, "17 packets") {
		t.Errorf("iodine: %s", errOut)
	}
	if _, _, code := run(t, "", "hunt", "-q", seedPcap, "--decode"); code != ExitUsage {
		t.Errorf("--decode without -o: exit %d", code)
	}
}
