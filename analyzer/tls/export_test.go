package tls

import "testing"

// RowsOf returns the rows of a capture of testdata/pcaps as the tests' own driver builds them (for tests of
// package tls_test, which may import package tables).
func RowsOf(t testing.TB, name string) []Row { return runCapture(t, name) }

// PcapDir is the repository's capture directory, from this package.
var PcapDir = pcapDir
