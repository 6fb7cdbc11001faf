package http

import "testing"

// RowsOf runs the tests' own driver over a capture of testdata/pcaps (for the external tests).
func RowsOf(t testing.TB, name string) []Row {
	rows, _ := runCapture(t, name)
	out := make([]Row, len(rows))
	for i := range rows {
		out[i] = rows[i].Row
	}
	return out
}
