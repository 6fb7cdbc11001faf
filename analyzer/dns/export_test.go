package dns

import "testing"

// RowsOf runs the analyzer over a capture of testdata/pcaps with the tests' own driver (helpers_test.go), for
// the external tests.
func RowsOf(t *testing.T, name string) []Row {
	rows, _, _ := runCapture(t, name)
	out := make([]Row, len(rows))
	for i := range rows {
		out[i] = rows[i].Row
	}
	return out
}

// PcapDir is testdata/pcaps, for the external tests.
func PcapDir(t *testing.T) string { return pcapDir(t) }
