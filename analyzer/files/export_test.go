package files

import "testing"

// RowsOf runs the tests' own driver over a capture of testdata/pcaps (for the external tests).
func RowsOf(t testing.TB, name string) []Row {
	rows, _ := runCapture(t, name, Options{})
	return rows
}
