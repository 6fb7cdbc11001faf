package zeeklog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pcapframe/pcapframe/schema"
)

// Format is one of the two Zeek log formats.
type Format string

// The formats.
const (
	TSV  Format = "zeek"      // Zeek's ASCII writer: tab-separated, with #fields and #types headers
	JSON Format = "zeek-json" // Zeek's JSON writer: one object per line
)

// ParseFormat returns the format called name ("zeek" or "zeek-json").
func ParseFormat(name string) (Format, error) {
	switch f := Format(strings.ToLower(name)); f {
	case TSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown zeek log format %q (zeek, zeek-json)", name)
}

// Value holds one field's value while it is encoded. Which member is read depends on the field's Zeek type:
// bool, count, int, port read Int (bool: non-zero is T); time reads Int as nanoseconds since the epoch;
// interval and double read Float (seconds for an interval); string, enum and addr read Bytes; a set or a vector
// reads Strings, Ints or Floats by its element type (time elements as nanoseconds in Ints).
type Value struct {
	Int     int64
	Float   float64
	Bytes   []byte
	Strings []string
	Ints    []int64
	Floats  []float64
}

// Field maps one Zeek field to the rows of a table. Exactly one of Column and Value says where the value comes
// from; with neither, the field is always unset (a field pcapframe cannot compute).
type Field[R any] struct {
	// Name is Zeek's name of the field ("ts", "id.orig_h", ...).
	Name string
	// Type is Zeek's type: time, interval, count, int, double, port, addr, string, enum, bool, or set[T] and
	// vector[T] of those.
	Type string
	// Column names the table column the value is read from; a null value is unset.
	Column string
	// If, with Column, leaves the field unset for the rows where it returns false (Zeek's own rules).
	If func(r *R) bool
	// Zero, with Column, writes a null value as the zero value of the type (F, 0) instead of unset: Zeek's
	// fields with &default.
	Zero bool
	// Unescape, with a string or string-list column whose text holds escapes of its own (the \xHH that package
	// textsafe writes in the files and http tables: Unescape; the dns table's answers: UnescapeDNS), turns them
	// back into the bytes before the log's own escaping, so that each unsafe byte is escaped once, as Zeek
	// escapes it.
	Unescape func(b []byte) []byte
	// Value computes the value instead of a column: it fills v and reports whether the field is set.
	Value func(r *R, v *Value) bool
	// Doc says where the value comes from when it is not plainly the column (docs/ZEEK.md).
	Doc string
}

// Def declares one Zeek log over the rows of one table.
type Def[R any] struct {
	// Path is the log's name: the file is Path + ".log", and #path says Path.
	Path string
	// Table is the table whose rows the log reads, one log line per row.
	Table *schema.Table[R]
	// Fields are Zeek's fields of the log, in Zeek's order.
	Fields []Field[R]
	// Keep, when set, selects the rows that are logged.
	Keep func(r *R) bool
	// End, when set, gives a row's last time in nanoseconds (for #close); else the row's ts.
	End func(r *R) int64
	// Doc describes the log in docs/ZEEK.md.
	Doc string

	fields []field[R] // compiled by compile
}

// field is a compiled Field.
type field[R any] struct {
	Field[R]
	kind  kind // the Zeek type's base (the element type of a set or vector)
	list  bool // a set or a vector
	col   *schema.Column[R]
	isTS  bool // the log's ts field (#open, #close)
	zname []byte
}

// kind is the base of a Zeek type.
type kind int

const (
	kTime kind = iota
	kInterval
	kDouble
	kCount
	kInt
	kPort
	kBool
	kString // string, enum, addr
)

// kindOf returns the kind of a Zeek base type name.
func kindOf(name string) (kind, bool) {
	switch name {
	case "time":
		return kTime, true
	case "interval":
		return kInterval, true
	case "double":
		return kDouble, true
	case "count":
		return kCount, true
	case "int":
		return kInt, true
	case "port":
		return kPort, true
	case "bool":
		return kBool, true
	case "string", "enum", "addr", "subnet":
		return kString, true
	}
	return 0, false
}

// parseType splits a Zeek type into its base kind and whether it is a set or a vector.
func parseType(t string) (kind, bool, error) {
	base, list := t, false
	for _, p := range []string{"set[", "vector["} {
		if strings.HasPrefix(t, p) && strings.HasSuffix(t, "]") {
			base, list = t[len(p):len(t)-1], true
		}
	}
	k, ok := kindOf(base)
	if !ok {
		return 0, false, fmt.Errorf("unknown zeek type %q", t)
	}
	return k, list, nil
}

// compile checks the declaration against its table and prepares the fields.
func (d *Def[R]) compile() error {
	if d.Path == "" || d.Table == nil {
		return fmt.Errorf("zeek log %q: no path or no table", d.Path)
	}
	seen := map[string]bool{}
	d.fields = make([]field[R], len(d.Fields))
	for i, f := range d.Fields {
		if f.Name == "" || seen[f.Name] {
			return fmt.Errorf("zeek log %s: empty or repeated field %q", d.Path, f.Name)
		}
		seen[f.Name] = true
		k, list, err := parseType(f.Type)
		if err != nil {
			return fmt.Errorf("zeek log %s: field %s: %w", d.Path, f.Name, err)
		}
		c := field[R]{Field: f, kind: k, list: list, isTS: f.Name == "ts", zname: []byte(f.Name)}
		if f.Column != "" && f.Value != nil {
			return fmt.Errorf("zeek log %s: field %s has both a column and a value function", d.Path, f.Name)
		}
		if f.Column != "" {
			c.col = d.Table.Column(f.Column)
			if c.col == nil {
				return fmt.Errorf("zeek log %s: field %s: table %s has no column %q", d.Path, f.Name, d.Table.Name, f.Column)
			}
			if !fits(c.col.Type, k, list) {
				return fmt.Errorf("zeek log %s: field %s of type %s cannot take column %s.%s of type %s", d.Path, f.Name, f.Type, d.Table.Name, f.Column, c.col.Type)
			}
		}
		d.fields[i] = c
	}
	if !seen["ts"] {
		return fmt.Errorf("zeek log %s: no ts field", d.Path)
	}
	return nil
}

// fits reports whether a column of type t can fill a Zeek field of kind k (a set or vector when list).
func fits(t schema.Type, k kind, list bool) bool {
	if list {
		switch t {
		case schema.StringList:
			return k == kString
		case schema.Int64List:
			return k == kCount || k == kInt || k == kPort || k == kTime
		case schema.Float64List:
			return k == kInterval || k == kDouble
		}
		return false
	}
	switch t {
	case schema.Bool:
		return k == kBool
	case schema.Int32, schema.Int64:
		return k == kCount || k == kInt || k == kPort || k == kInterval || k == kDouble // whole seconds as an interval
	case schema.Timestamp:
		return k == kTime
	case schema.Float64:
		return k == kInterval || k == kDouble
	case schema.String, schema.Bytes:
		return k == kString
	}
	return false
}

// get reads field f of row r into v; false: unset.
func (f *field[R]) get(r *R, v *Value) bool {
	switch {
	case f.Value != nil:
		return f.Value(r, v)
	case f.col == nil:
		return false
	}
	if f.If != nil && !f.If(r) {
		return false
	}
	c := f.col
	var ok bool
	switch c.Type {
	case schema.Bool, schema.Int32, schema.Int64, schema.Timestamp:
		v.Int, ok = c.Int(r)
	case schema.Float64:
		v.Float, ok = c.Float(r)
	case schema.String, schema.Bytes:
		v.Bytes, ok = c.Append(r, v.Bytes[:0])
		if ok && f.Unescape != nil {
			v.Bytes = f.Unescape(v.Bytes)
		}
	case schema.StringList:
		v.Strings, ok = c.Strings(r)
		if ok && f.Unescape != nil {
			v.Strings = unescapeAll(v.Strings, f.Unescape)
		}
	case schema.Int64List:
		v.Ints, ok = c.Ints(r)
	case schema.Float64List:
		v.Floats, ok = c.Floats(r)
	}
	if ok && (f.kind == kInterval || f.kind == kDouble) && !f.list && c.Type != schema.Float64 {
		v.Float = float64(v.Int)
	}
	if !ok && f.Zero {
		*v = Value{Bytes: v.Bytes[:0]}
		ok = true
	}
	return ok
}

// Log is a declared log whatever its row type: what the command line and the documentation need.
type Log interface {
	// Name returns the log's path ("conn"); its file is Name() + ".log".
	Name() string
	// TableName returns the name of the table the log reads.
	TableName() string
	// FieldInfos returns the fields in order.
	FieldInfos() []FieldInfo
	// Description describes the log.
	Description() string
	// NewWriter returns a writer of the log in format to the file at path, taking rows of the table as []R
	// (a tables.Writer). The file is published atomically when Close is called, and not at all when no row was
	// logged (as Zeek creates no file for a log without entries; a file of that name from an earlier run is then
	// removed).
	NewWriter(format Format, path string) (Writer, error)
}

// FieldInfo describes one field of a log.
type FieldInfo struct {
	Name, Type string
	Column     string // the table column it is read from, if it is read plainly from one
	Computed   bool   // computed from the row (see Doc)
	Unset      bool   // always unset: pcapframe cannot compute it
	Doc        string
}

// Name returns d.Path (Log).
func (d *Def[R]) Name() string { return d.Path }

// TableName returns the name of d's table (Log).
func (d *Def[R]) TableName() string { return d.Table.Name }

// Description returns d.Doc (Log).
func (d *Def[R]) Description() string { return d.Doc }

// FieldInfos returns the fields in order (Log).
func (d *Def[R]) FieldInfos() []FieldInfo {
	out := make([]FieldInfo, len(d.Fields))
	for i, f := range d.Fields {
		out[i] = FieldInfo{Name: f.Name, Type: f.Type, Column: f.Column, Computed: f.Value != nil, Unset: f.Column == "" && f.Value == nil, Doc: f.Doc}
	}
	return out
}

// Lookup returns the log called name, or nil.
func Lookup(name string) Log {
	for _, l := range logs {
		if l.Name() == name {
			return l
		}
	}
	return nil
}

// Logs returns the declared logs, in order.
func Logs() []Log { return slices.Clone(logs) }

// Check checks the declaration against its table (every column exists and fits its field's Zeek type) and
// prepares it; NewWriter does it when it was not done.
func (d *Def[R]) Check() error { return d.compile() }

// register compiles d and returns it as a Log; a declaration that does not fit its table panics when the
// package loads (a programming error that every test catches).
func register[R any](d *Def[R]) Log {
	if err := d.compile(); err != nil {
		panic(err)
	}
	return d
}
