package cli

import (
	"testing"

	"github.com/pcapframe/pcapframe/tables"
)

func TestNotesSummary(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []tables.NoteCount
		want   string
	}{
		{"none", nil, ""},
		{"two tables", []tables.NoteCount{{"tls", "handshake not completed", 3}, {"tls", "gap (...)", 1}, {"dns", "query: truncated header", 2}},
			"notes: tls 4 (handshake not completed 3, gap (...) 1), dns 2 (query: truncated header 2)"},
		{"more kinds", []tables.NoteCount{{"tls", "a", 4}, {"tls", "b", 3}, {"tls", "c", 2}, {"tls", "d", 1}, {"tls", "e", 1}},
			"notes: tls 11 (a 4, b 3, c 2, 2 more kinds)"},
		{"escaped", []tables.NoteCount{{"dns", "bad \x1b[31m label", 1}}, `notes: dns 1 (bad \x1b[31m label 1)`},
	} {
		if got := notesSummary(tc.counts); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
