package schema_test

import (
	"strings"
	"testing"

	"github.com/pcapframe/pcapframe/schema"
)

type row struct {
	n int64
	s string
}

func table() *schema.Table[row] {
	return &schema.Table[row]{Name: "t", Doc: "a test table", Columns: []schema.Column[row]{
		{Name: "n", Type: schema.Int64, Doc: "a number", Default: true, Int: func(r *row) (int64, bool) { return r.n, true }},
		{Name: "s", Type: schema.String, Doc: "a | string", Append: func(r *row, b []byte) ([]byte, bool) { return append(b, r.s...), r.s != "" }},
		{Name: "x", Type: schema.Float64, Doc: "extra", Float: func(r *row) (float64, bool) { return 0, false }},
	}}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		names   []string
		want    string
		wantErr string
	}{
		{nil, "n", ""},
		{[]string{"all"}, "n,s,x", ""},
		{[]string{"s", "n"}, "s,n", ""},
		{[]string{"n", "nope"}, "", `unknown column "nope" in table t (columns: n, s, x)`},
		{[]string{"n", "n"}, "", `column "n" selected twice`},
	}
	for _, tc := range tests {
		got, err := table().Select(tc.names)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("Select(%v) error %v, want %q", tc.names, err, tc.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got.Names(), ",") != tc.want {
			t.Errorf("Select(%v) = %v, %v; want %s", tc.names, got, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := table().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := table()
	bad.Columns[1].Int = func(*row) (int64, bool) { return 0, true } // a string column with an integer accessor
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "wrong accessor") {
		t.Errorf("Validate: %v, want a wrong-accessor error", err)
	}
	dup := table()
	dup.Columns[2].Name = "n"
	if err := dup.Validate(); err == nil {
		t.Error("Validate accepts a repeated column name")
	}
}

func TestDocs(t *testing.T) {
	md := table().Markdown()
	for _, want := range []string{"## t", "| `n` | int64 | yes | a number |", `| ` + "`s`" + ` | string |  | a \| string |`} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	if h := table().Help(); !strings.Contains(h, "* n") || !strings.Contains(h, "  s") {
		t.Errorf("Help: %q", h)
	}
	if schema.Timestamp.SQL() != "TIMESTAMP_NS" || schema.Bytes.SQL() != "BLOB" {
		t.Error("SQL types")
	}
}
