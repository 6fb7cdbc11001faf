package tables

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// TestNoteKindsCap checks that a table's distinct note kinds are capped: past maxNoteKinds, notes are counted
// together under otherNotes, so that a capture full of distinct notes cannot grow the counter without bound.
func TestNoteKindsCap(t *testing.T) {
	c := &noteCounter{kinds: map[string]int64{}}
	for i := range maxNoteKinds + 50 {
		c.count(fmt.Appendf(nil, "kind %c%c; same (%d)", 'a'+i%26, 'a'+i/26, i))
	}
	if len(c.kinds) != maxNoteKinds+1 {
		t.Errorf("%d kinds, want %d and %q", len(c.kinds), maxNoteKinds, otherNotes)
	}
	if c.kinds[otherNotes] != 51 || c.kinds["same (...)"] != maxNoteKinds+50 {
		t.Errorf("%q: %d, want 51; \"same (...)\": %d, want %d", otherNotes, c.kinds[otherNotes], c.kinds["same (...)"], maxNoteKinds+50)
	}
}

// limitWriter records the process's memory limit while the pass writes rows.
type limitWriter struct{ seen int64 }

func (w *limitWriter) Write(any) error { w.seen = debug.SetMemoryLimit(-1); return nil }
func (w *limitWriter) Close() error    { return nil }
func (w *limitWriter) Abort() error    { return nil }

// TestMemoryLimit checks the soft memory limit of a run of several tables: MemoryBudget while the run writes
// rows, the previous limit after it; none with one table or Options.MemoryLimit 0; and a limit the process
// already has is left alone.
func TestMemoryLimit(t *testing.T) {
	in := filepath.Join("..", "testdata", "pcaps", "zeek__tls_tls1.2.pcap")
	orig := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(orig)
	debug.SetMemoryLimit(math.MaxInt64)
	for _, tc := range []struct {
		name  string
		defs  []*Def
		limit int64 // Options.MemoryLimit
		prev  int64 // the process's limit before the run
		want  int64 // the limit while the run writes
	}{
		{"two tables, budget", []*Def{Packets, Flows}, BudgetMemoryLimit, math.MaxInt64, MemoryBudget([]*Def{Packets, Flows})},
		{"given limit", []*Def{Packets, Flows}, 300 << 20, math.MaxInt64, 300 << 20},
		{"one table", []*Def{Packets}, BudgetMemoryLimit, math.MaxInt64, math.MaxInt64},
		{"no limit asked", []*Def{Packets, Flows}, 0, math.MaxInt64, math.MaxInt64},
		{"process limit kept", []*Def{Packets, Flows}, BudgetMemoryLimit, 1 << 30, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(tc.prev)
			w := &limitWriter{}
			outs := []Output{{Def: tc.defs[0], Writer: w}}
			for _, d := range tc.defs[1:] {
				outs = append(outs, Output{Def: d, Writer: discard{}})
			}
			if _, err := Run(context.Background(), []string{in}, outs, Options{MemoryLimit: tc.limit}); err != nil {
				t.Fatal(err)
			}
			if w.seen != tc.want {
				t.Errorf("limit during the run %d, want %d", w.seen, tc.want)
			}
			if after := debug.SetMemoryLimit(-1); after != tc.prev {
				t.Errorf("limit after the run %d, want %d as before", after, tc.prev)
			}
		})
	}
	if b := MemoryBudget([]*Def{Packets, Flows, Lookup("dns"), Lookup("tls")}); b != 160<<20 {
		t.Errorf("budget of packets, flows, dns and tls %d MiB, the documented 160 MiB", b>>20)
	}
}
