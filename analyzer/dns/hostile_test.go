package dns

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryCapture runs the analyzer over every capture of testdata/pcaps and testdata/hostile: no error, no
// panic, and every row's query gives back its query_raw when unescaped.
func TestEveryCapture(t *testing.T) {
	var names []string
	for _, dir := range []string{pcapDir(t), filepath.Join(pcapDir(t), "..", "hostile")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || strings.HasSuffix(n, ".tsv") || strings.HasSuffix(n, ".md") || strings.HasSuffix(n, ".snoop") {
				continue
			}
			rel, _ := filepath.Rel(pcapDir(t), filepath.Join(dir, n))
			names = append(names, rel)
		}
	}
	if len(names) < 50 {
		t.Fatalf("only %d captures found", len(names))
	}
	total := 0
	for _, n := range names {
		rows, _, err := runCaptureErr(t, n)
		if err != nil {
			t.Logf("%s: %v (damaged input: the rows before the damage are checked)", n, err)
		}
		total += len(rows)
		for _, r := range rows {
			if !r.HasQuestion || r.LabelCount == 0 {
				continue
			}
			if raw, err := unescape(r.query); err != nil || !bytes.Equal(raw, []byte(r.raw)) {
				t.Errorf("%s: query %q does not unescape to query_raw %q", n, r.query, r.raw)
			}
		}
	}
	t.Logf("%d captures, %d rows", len(names), total)
}
