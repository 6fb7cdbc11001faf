package analyzertest

import (
	"fmt"
	"slices"
	"testing"
)

// Collector is a tables.Writer that keeps the rows it is given, as the real writers receive them (batches of row
// values copied by the driver).
type Collector[R any] struct{ Rows []R }

func (c *Collector[R]) Write(rows any) error {
	r, ok := rows.([]R)
	if !ok {
		return fmt.Errorf("rows of type %T", rows)
	}
	c.Rows = append(c.Rows, r...)
	return nil
}
func (c *Collector[R]) Close() error { return nil }
func (c *Collector[R]) Abort() error { return nil }

// Discard is a tables.Writer that drops the rows.
type Discard struct{}

func (Discard) Write(any) error { return nil }
func (Discard) Close() error    { return nil }
func (Discard) Abort() error    { return nil }

// SameRows fails the test unless got and want hold the same rows in any order, rows compared by their summary,
// and want has at least one; it names each row found on one side only.
func SameRows[R any](t testing.TB, got, want []R, summary func(*R) string) {
	t.Helper()
	var g, w []string
	for i := range got {
		g = append(g, summary(&got[i]))
	}
	for i := range want {
		w = append(w, summary(&want[i]))
	}
	slices.Sort(g)
	slices.Sort(w)
	if len(w) > 0 && slices.Equal(g, w) {
		return
	}
	for _, s := range g {
		if !slices.Contains(w, s) {
			t.Errorf("only through tables: %s", s)
		}
	}
	for _, s := range w {
		if !slices.Contains(g, s) {
			t.Errorf("only from the tests' driver: %s", s)
		}
	}
	t.Errorf("rows through tables differ (%d rows, want %d)", len(g), len(w))
}
