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
		{"two tables", []tables.NoteCount{{Table: "tls", Kind: "handshake not completed", Rows: 3}, {Table: "tls", Kind: "gap (...)", Rows: 1}, {Table: "dns", Kind: "query: truncated header", Rows: 2}},
			"notes: tls 4 (handshake not completed 3, gap (...) 1), dns 2 (query: truncated header 2)"},
		{"more kinds", []tables.NoteCount{{Table: "tls", Kind: "a", Rows: 4}, {Table: "tls", Kind: "b", Rows: 3}, {Table: "tls", Kind: "c", Rows: 2}, {Table: "tls", Kind: "d", Rows: 1}, {Table: "tls", Kind: "e", Rows: 1}},
			"notes: tls 11 (a 4, b 3, c 2, 2 more kinds)"},
		{"escaped", []tables.NoteCount{{Table: "dns", Kind: "bad \x1b[31m label", Rows: 1}}, `notes: dns 1 (bad \x1b[31m label 1)`},
	} {
		if got := notesSummary(tc.counts); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
