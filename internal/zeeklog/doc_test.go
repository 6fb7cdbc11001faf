package zeeklog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/internal/zeeklog"
)

const (
	beginGenerated = "<!-- BEGIN GENERATED: zeeklog.Markdown() -->\n"
	endGenerated   = "<!-- END GENERATED -->\n"
)

// TestZeekDoc checks that docs/ZEEK.md holds the field list of every log as the declarations give it
// (ZEEKLOG_UPDATE_DOC=1 rewrites the generated part).
func TestZeekDoc(t *testing.T) {
	path := filepath.Join(pcapDir(t), "..", "..", "docs", "ZEEK.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, beginGenerated), strings.Index(doc, endGenerated)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated section (%q ... %q)", path, beginGenerated, endGenerated)
	}
	want := zeeklog.Markdown()
	if got := doc[i+len(beginGenerated) : j]; got != want {
		if os.Getenv("ZEEKLOG_UPDATE_DOC") == "1" {
			if err := os.WriteFile(path, []byte(doc[:i+len(beginGenerated)]+want+doc[j:]), 0o666); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/ZEEK.md is out of date: run ZEEKLOG_UPDATE_DOC=1 go test -run TestZeekDoc ./internal/zeeklog")
	}
}
