package http

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/pipeline"
)

// TestCorpus runs the http analyzer over every capture of testdata/pcaps: no panic, no error of its own, rows
// in trans_depth order per flow, texts escaped.
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
		last := map[string]int64{}
		for _, r := range rows {
			if r.TransDepth <= last[r.UID] || !r.HasRequest && !r.HasResponse || strings.ContainsAny(r.URI+r.Host+r.UserAgent+r.Note, "\x00\x1b\r\n") {
				t.Errorf("%s: row %+v", filepath.Base(p), r)
			}
			last[r.UID] = r.TransDepth
			if r.HasResponse && d.Services[r.UID] != "http" {
				t.Errorf("%s: flow %s has rows but service %q", filepath.Base(p), r.UID, d.Services[r.UID])
			}
		}
		total += len(rows)
	}
	if total < 300 {
		t.Fatalf("%d rows in the corpus", total)
	}
	t.Logf("%d captures, %d rows", len(paths), total)
}
