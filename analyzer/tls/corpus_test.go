package tls

import (
	"os"
	"strings"
	"testing"
)

// TestCorpus runs every capture of testdata/pcaps through the analyzer (hostile and damaged ones included): no
// panic, no error, and every row is bounded and names its flow.
func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(pcapDir)
	if err != nil {
		t.Fatalf("captures missing: %v", err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "MANIFEST.tsv" || name == "LICENSES" || strings.HasSuffix(name, ".md") {
			continue
		}
		n++
		for _, r := range runCapture(t, name) {
			if r.UID == "" || len(r.Note) > 4096 || !(r.Proto == "tcp" || r.Proto == "quic") {
				t.Errorf("%s: bad row %+v", name, r)
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d captures in %s", n, pcapDir)
	}
}
