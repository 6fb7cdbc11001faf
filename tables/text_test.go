package tables_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/tables"
)

// textListRow has one column of each list type; nil slices are NULL lists.
type textListRow struct {
	names []string
	ttls  []int64
	rtts  []float64
}

var textListTable = &schema.Table[textListRow]{
	Name: "lists",
	Doc:  "List columns.",
	Columns: []schema.Column[textListRow]{
		{Name: "names", Type: schema.StringList, Doc: "Strings.", Strings: func(r *textListRow) ([]string, bool) { return r.names, r.names != nil }},
		{Name: "ttls", Type: schema.Int64List, Doc: "Integers.", Ints: func(r *textListRow) ([]int64, bool) { return r.ttls, r.ttls != nil }},
		{Name: "rtts", Type: schema.Float64List, Doc: "Floats.", Floats: func(r *textListRow) ([]float64, bool) { return r.rtts, r.rtts != nil }},
	},
}

// TestTextTableLists checks the cells of list columns: elements joined by commas, "-" for a NULL list, "(empty)"
// for an empty one, and String elements passed through the clean function.
func TestTextTableLists(t *testing.T) {
	tests := []struct {
		name string
		row  textListRow
		want []string
	}{
		{"null", textListRow{}, []string{"-", "-", "-"}},
		{"empty", textListRow{names: []string{}, ttls: []int64{}, rtts: []float64{}}, []string{"(empty)", "(empty)", "(empty)"}},
		{"one", textListRow{names: []string{"a"}, ttls: []int64{-7}, rtts: []float64{0.5}}, []string{"a", "-7", "0.500000"}},
		{"many", textListRow{names: []string{"a.example", "b\x1b[31m"}, ttls: []int64{300, 9223372036854775807}, rtts: []float64{1, 2.25}},
			[]string{`a.example,b\x1b[31m`, "300,9223372036854775807", "1.000000,2.250000"}},
	}
	clean := func(s string) string { return strings.ReplaceAll(s, "\x1b", `\x1b`) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := tables.NewTextTable(&b, textListTable, clean)
			if err := w.Write([]textListRow{tt.row}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("%d lines: %q", len(lines), b.String())
			}
			if got := strings.Fields(lines[1]); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("cells %q, want %q", got, tt.want)
			}
		})
	}
}
