package files

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// tsharkObjects runs tshark --export-objects http on a capture of testdata/pcaps and returns the SHA-256 of
// each object it writes.
func tsharkObjects(t *testing.T, name string) []string {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatalf("tshark is missing (apt-get install -y tshark): %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("tshark", "-r", filepath.Join(pcapDir(t), name), "-q", "--export-objects", "http,"+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tshark: %v: %s", err, out)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sums []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		sums = append(sums, hex.EncodeToString(s[:]))
	}
	sort.Strings(sums)
	return sums
}

// httpExportCaptures are the captures whose HTTP objects are compared with tshark's export, with the complete
// objects of the files table that tshark does not export (by sha256 → why).
var httpExportCaptures = []struct {
	name  string
	extra map[string]string // sha256 of our objects tshark does not write → why
}{
	{name: "zeek__http_get.pcap"},
	{name: "zeek__http_http-post-large.pcap"},
	{name: "zeek__http_pipelined-requests.pcap"},
	{name: "scapy__http_chunk.pcap.gz"},
	{name: "chrissanders__http_espn.pcapng"},
	{name: "zeek__http_iso-download.pcap.gz"},
}

// TestTsharkExportObjects checks that the HTTP objects of the files table are the objects tshark's
// --export-objects http writes, by SHA-256 of their bytes: a multiset comparison, every complete object of
// ours against every file of tshark's (tshark does not export a body it could not reassemble whole; those
// objects must carry a note).
func TestTsharkExportObjects(t *testing.T) {
	for _, c := range httpExportCaptures {
		t.Run(c.name, func(t *testing.T) {
			want := tsharkObjects(t, c.name)
			rows, _ := runCapture(t, c.name, Options{})
			var got []string
			for _, r := range rows {
				switch {
				case r.Source != "HTTP" || r.SeenBytes == 0:
				case r.Complete:
					got = append(got, r.SHA256)
				case r.Note == "":
					t.Errorf("incomplete object %s without a note", r.FUID)
				default:
					t.Logf("incomplete object %s (%s), which tshark does not export", r.FUID, r.Note)
				}
			}
			sort.Strings(got)
			count := map[string]int{}
			for _, s := range want {
				count[s]++
			}
			for _, s := range got {
				count[s]--
			}
			for s, n := range count {
				if n > 0 {
					t.Errorf("tshark exports %d object(s) with sha256 %s that the files table lacks", n, s)
				}
				if n < 0 {
					if why, ok := c.extra[s]; ok {
						t.Logf("object %s not exported by tshark: %s", s, why)
						continue
					}
					t.Errorf("the files table has %d object(s) with sha256 %s that tshark does not export", -n, s)
				}
			}
			if len(want) == 0 {
				t.Fatal("tshark exports nothing: nothing compared")
			}
		})
	}
}
