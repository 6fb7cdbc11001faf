// Package schema defines pcapframe's tables: each table is a list of typed, documented columns over a Go row type.
//
// One definition per table feeds every writer (Parquet, CSV, JSON Lines, DuckDB), the command-line help and the
// generated schema document, so a column's name, type and meaning are stated exactly once.
//
// # Values
//
// A column reads its value from a row through one accessor, chosen by the column's Type:
//
//   - Bool, Int32, Int64 and Timestamp columns use Int (a Bool is 0 or 1; a Timestamp is nanoseconds since the
//     Unix epoch, UTC);
//   - Float64 columns use Float;
//   - String and Bytes columns use Append, which appends the value to dst and returns the extended slice;
//   - list columns (StringList, Int64List, Float64List), Zeek's vectors, use Strings, Ints or Floats, which return
//     the row's own elements (not copied; an empty list is present and has no elements).
//
// Every accessor also returns whether the value is present; an absent value is NULL in Parquet and DuckDB, an
// empty field in CSV and null in JSON. Accessors must not allocate.
package schema

import (
	"fmt"
	"strings"
)

// Type is the logical type of a column.
type Type int

// The column types.
const (
	Bool Type = iota
	Int32
	Int64
	Float64
	Timestamp // nanoseconds since the Unix epoch, UTC
	String    // UTF-8 text
	Bytes     // raw bytes (base64 in text formats)

	StringList  // list of UTF-8 texts (Zeek's vector of string)
	Int64List   // list of 64-bit integers (Zeek's vector of count)
	Float64List // list of floating-point numbers (Zeek's vector of interval or double)
)

var typeNames = [...]string{"bool", "int32", "int64", "float64", "timestamp[ns]", "string", "binary", "list<string>", "list<int64>", "list<float64>"}

// IsList reports whether t is one of the list types.
func (t Type) IsList() bool { return t == StringList || t == Int64List || t == Float64List }

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", int(t))
}

// SQL returns the DuckDB type name of t.
func (t Type) SQL() string {
	switch t {
	case Bool:
		return "BOOLEAN"
	case Int32:
		return "INTEGER"
	case Int64:
		return "BIGINT"
	case Float64:
		return "DOUBLE"
	case Timestamp:
		return "TIMESTAMP_NS"
	case String:
		return "VARCHAR"
	case Bytes:
		return "BLOB"
	case StringList:
		return "VARCHAR[]"
	case Int64List:
		return "BIGINT[]"
	case Float64List:
		return "DOUBLE[]"
	}
	return "VARCHAR"
}

// Column is one typed, documented column of a table over rows of type R.
type Column[R any] struct {
	Name    string
	Type    Type
	Doc     string // one sentence: what the value means, with units
	Default bool   // part of the default column selection

	// Int reads Bool, Int32, Int64 and Timestamp columns.
	Int func(r *R) (v int64, ok bool)
	// Float reads Float64 columns.
	Float func(r *R) (v float64, ok bool)
	// Append reads String and Bytes columns by appending the value to dst.
	Append func(r *R, dst []byte) (out []byte, ok bool)
	// Strings, Ints and Floats read StringList, Int64List and Float64List columns: the row's elements, which the
	// caller must not modify or keep past the row.
	Strings func(r *R) (v []string, ok bool)
	Ints    func(r *R) (v []int64, ok bool)
	Floats  func(r *R) (v []float64, ok bool)
	// NullElems, optional for list columns, reports which elements of the row's list are NULL (true at their
	// index; nil or shorter when none or no more are): writers write NULL there and ignore the value the list
	// accessor gave. pcapframe's tables have no NULL elements; query results (a list aggregated over NULLs) do.
	NullElems func(r *R) []bool
}

// Table is a named list of columns over rows of type R.
type Table[R any] struct {
	Name    string
	Doc     string
	Columns []Column[R]
	// Sets names selections of columns that Select accepts as a single name (the packets table's "notebook").
	Sets map[string][]string
}

// Column returns the column called name, or nil.
func (t *Table[R]) Column(name string) *Column[R] {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// Names returns the column names in table order.
func (t *Table[R]) Names() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// DefaultNames returns the names of the default columns.
func (t *Table[R]) DefaultNames() []string {
	var out []string
	for _, c := range t.Columns {
		if c.Default {
			out = append(out, c.Name)
		}
	}
	return out
}

// Select returns a table with the named columns in the given order. An empty list selects the default columns;
// the single name "all" selects every column, the single name of one of the table's Sets that set's columns. Unknown or repeated names are an error that lists the valid ones.
func (t *Table[R]) Select(names []string) (*Table[R], error) {
	if len(names) == 0 {
		names = t.DefaultNames()
	}
	if len(names) == 1 && names[0] == "all" {
		return t, nil
	}
	if len(names) == 1 && t.Sets[strings.TrimSpace(names[0])] != nil {
		names = t.Sets[strings.TrimSpace(names[0])]
	}
	out := &Table[R]{Name: t.Name, Doc: t.Doc, Sets: t.Sets}
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		c := t.Column(n)
		if c == nil {
			return nil, fmt.Errorf("unknown column %q in table %s (columns: %s)", n, t.Name, strings.Join(t.Names(), ", "))
		}
		if seen[n] {
			return nil, fmt.Errorf("column %q selected twice", n)
		}
		seen[n] = true
		out.Columns = append(out.Columns, *c)
	}
	return out, nil
}

// Validate checks that every column has a unique name, a doc and the accessor its type needs.
func (t *Table[R]) Validate() error {
	seen := map[string]bool{}
	for _, c := range t.Columns {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("table %s: empty or repeated column name %q", t.Name, c.Name)
		}
		seen[c.Name] = true
		if c.Doc == "" {
			return fmt.Errorf("table %s: column %s has no doc", t.Name, c.Name)
		}
		n := 0
		for _, set := range []bool{c.Int != nil, c.Float != nil, c.Append != nil, c.Strings != nil, c.Ints != nil, c.Floats != nil} {
			if set {
				n++
			}
		}
		var ok bool
		switch c.Type {
		case Bool, Int32, Int64, Timestamp:
			ok = c.Int != nil
		case Float64:
			ok = c.Float != nil
		case String, Bytes:
			ok = c.Append != nil
		case StringList:
			ok = c.Strings != nil
		case Int64List:
			ok = c.Ints != nil
		case Float64List:
			ok = c.Floats != nil
		}
		ok = ok && n == 1 && (c.NullElems == nil || c.Type.IsList())
		if !ok {
			return fmt.Errorf("table %s: column %s of type %s has the wrong accessor", t.Name, c.Name, c.Type)
		}
	}
	return nil
}

// Markdown documents the table as a Markdown section: one row per column with its type, default flag and meaning.
func (t *Table[R]) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n%s\n\n| column | type | default | meaning |\n|---|---|---|---|\n", t.Name, t.Doc)
	for _, c := range t.Columns {
		def := ""
		if c.Default {
			def = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.Type, def, strings.ReplaceAll(c.Doc, "|", "\\|"))
	}
	return b.String()
}

// Help documents the table as plain text for --help: one line per column.
func (t *Table[R]) Help() string {
	var b strings.Builder
	w := 0
	for _, c := range t.Columns {
		w = max(w, len(c.Name))
	}
	for _, c := range t.Columns {
		mark := " "
		if c.Default {
			mark = "*"
		}
		fmt.Fprintf(&b, "  %s %-*s  %-13s %s\n", mark, w, c.Name, c.Type, c.Doc)
	}
	return b.String()
}

// Info is what every table says about itself whatever its row type: the non-generic view of a Table, for the
// code that lists, documents or stages tables without handling their rows (the table list of package tables,
// `pcapframe schema`, the SQL loader).
type Info interface {
	// TableName and TableDoc return the table's name and description.
	TableName() string
	TableDoc() string
	// Names returns the column names in table order.
	Names() []string
	// ColumnInfos returns the columns' names, types, docs and default flags in table order.
	ColumnInfos() []ColumnInfo
	// Markdown and Help document the table (see Table.Markdown and Table.Help).
	Markdown() string
	Help() string
}

// ColumnInfo is a column without its accessor.
type ColumnInfo struct {
	Name    string
	Type    Type
	Doc     string
	Default bool
}

// TableName returns t.Name (schema.Info).
func (t *Table[R]) TableName() string { return t.Name }

// TableDoc returns t.Doc (schema.Info).
func (t *Table[R]) TableDoc() string { return t.Doc }

// ColumnInfos returns the columns without their accessors (schema.Info).
func (t *Table[R]) ColumnInfos() []ColumnInfo {
	out := make([]ColumnInfo, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = ColumnInfo{Name: c.Name, Type: c.Type, Doc: c.Doc, Default: c.Default}
	}
	return out
}

var _ Info = (*Table[struct{}])(nil)
