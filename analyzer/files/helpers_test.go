package files

import (
	"context"
	"path/filepath"
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

// runCapture runs the files analyzer over a capture of testdata/pcaps; opts may give spools.
func runCapture(t testing.TB, name string, opts Options) ([]Row, *driver) {
	t.Helper()
	var rows []Row
	a := NewWithOptions(func(r *Row) error { rows = append(rows, *r); return nil }, opts)
	d := newDriver(a)
	err := pipeline.Run(context.Background(), []string{filepath.Join(pcapDir(t), name)}, pipeline.Options{Workers: 1}, d.Batch)
	if cerr := d.Close(); cerr != nil {
		t.Fatalf("%s: close: %v", name, cerr)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rows, d
}
