package http

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/analyzer/analyzertest"
	"github.com/pcapframe/pcapframe/pipeline"
)

// pcapDir is the repository's testdata/pcaps.
func pcapDir(t testing.TB) string { return analyzertest.PcapDir(t) }

// driver runs the analyzer as the tables driver does (package analyzertest).
type driver = analyzertest.Driver

func newDriver(a analyzer.Analyzer) *driver { return analyzertest.NewDriver(a) }

// testRow is a Row kept as the tables driver keeps rows (a copy of the value), with its tcp.stream.
type testRow struct {
	Row
	stream int64
}

// runCapture runs the http analyzer over a capture of testdata/pcaps.
func runCapture(t testing.TB, name string) ([]testRow, *driver) {
	t.Helper()
	var rows []Row
	a := New(func(r *Row) error { rows = append(rows, *r); return nil })
	d := newDriver(a)
	err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir(t), name)}, pipeline.Options{Workers: 1}, d.Batch)
	if cerr := d.Close(); cerr != nil {
		t.Fatalf("%s: close: %v", name, cerr)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := make([]testRow, len(rows))
	for i, r := range rows {
		out[i] = testRow{Row: r, stream: d.Streams[r.UID]}
	}
	slices.SortStableFunc(out, func(a, b testRow) int {
		if a.stream != b.stream {
			return int(a.stream - b.stream)
		}
		return int(a.TransDepth - b.TransDepth)
	})
	return out, d
}
