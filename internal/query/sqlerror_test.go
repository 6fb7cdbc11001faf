package query

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestSQLErrorHint: an SQL error shows DuckDB's message and only what helps (issue 13 item 11): the table names
// for an unknown table, the columns of the table for an unknown column, nothing for a syntax error.
func TestSQLErrorHint(t *testing.T) {
	e := load(t, "seed__find_the_image.pcap")
	for _, tt := range []struct {
		q            string
		want, absent []string
	}{
		{"SELEC 1", []string{"syntax error"}, []string{"tables:", "columns of"}},
		{"SELECT * FROM nosuch", []string{"nosuch", "tables: ", "packets", "flows"}, []string{"columns of"}},
		{"SELECT nosuch FROM packets", []string{"nosuch", "columns of packets: ", "payload_hex"}, []string{"flows:"}},
	} {
		_, err := e.Query(context.Background(), tt.q)
		var se *SQLError
		if !errors.As(err, &se) {
			t.Fatalf("%q: error %v, want an SQLError", tt.q, err)
		}
		msg := err.Error()
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q: %q lacks %q", tt.q, msg, w)
			}
		}
		for _, a := range tt.absent {
			if strings.Contains(msg, a) {
				t.Errorf("%q: %q has %q", tt.q, msg, a)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%q: error is not one line: %q", tt.q, msg)
		}
		if len(msg) > 1500 {
			t.Errorf("%q: message of %d bytes", tt.q, len(msg))
		}
	}
}
