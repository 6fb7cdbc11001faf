package files

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestCorpus runs the files analyzer over every capture of testdata/pcaps: no panic, no error of its own, and
// rows whose counts hold together (a damaged capture ends with its input's error, which is not the analyzer's).
func TestCorpus(t *testing.T) {
	paths, _, err := capture.ExpandSkipping([]string{pcapDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, p := range paths {
		var rows []Row
		a := New(func(r *Row) error { rows = append(rows, *r); return nil })
		d := newDriver(a)
		_ = pipeline.Run(context.Background(), []string{p}, pipeline.Options{Workers: 1}, d.Batch)
		if err := d.Close(); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
		for _, r := range rows {
			if r.SeenBytes < 0 || r.MissingBytes < 0 || len(r.SHA256) != 64 || r.FUID == "" || r.UID == "" ||
				r.Complete && r.MissingBytes > 0 || strings.ContainsAny(r.Filename+r.Note, "\x00\x1b\n") {
				t.Errorf("%s: row %+v", filepath.Base(p), r)
			}
		}
		total += len(rows)
	}
	if total == 0 {
		t.Fatal("no object in the corpus")
	}
	t.Logf("%d captures, %d objects", len(paths), total)
}
