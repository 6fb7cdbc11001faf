package tables

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pcapframe/pcapframe/schema"
)

// TextTable prints rows of a table as aligned text for a terminal: column widths come from the first rows
// (buffered), later rows use the same widths (and may stick out). Numbers are right-aligned, a missing value
// is "-", an empty text "(empty)", a list its elements separated by commas (an empty list "(empty)" too).
type TextTable[R any] struct {
	w      io.Writer
	t      *schema.Table[R]
	clean  func(string) string
	rows   [][]string
	widths []int
	done   bool
	buf    []byte
}

const textTableSample = 200

// NewTextTable returns a text table of the columns of t written to w; clean (if not nil) makes each text cell
// safe to print.
func NewTextTable[R any](w io.Writer, t *schema.Table[R], clean func(string) string) *TextTable[R] {
	if clean == nil {
		clean = func(s string) string { return s }
	}
	return &TextTable[R]{w: w, t: t, clean: clean}
}

// Write prints rows (or buffers them while the column widths are measured).
func (tt *TextTable[R]) Write(rows []R) error {
	for i := range rows {
		if err := tt.row(&rows[i]); err != nil {
			return err
		}
	}
	return nil
}

func (tt *TextTable[R]) row(r *R) error {
	cells := make([]string, len(tt.t.Columns))
	for i := range tt.t.Columns {
		cells[i] = tt.cell(&tt.t.Columns[i], r)
	}
	if tt.done {
		return tt.print(cells)
	}
	tt.rows = append(tt.rows, cells)
	if len(tt.rows) >= textTableSample {
		return tt.flush()
	}
	return nil
}

func (tt *TextTable[R]) cell(c *schema.Column[R], r *R) string {
	switch c.Type {
	case schema.Float64:
		v, ok := c.Float(r)
		if !ok {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 6, 64)
	case schema.String, schema.Bytes:
		b, ok := c.Append(r, tt.buf[:0])
		tt.buf = b
		if !ok {
			return "-"
		}
		if len(b) == 0 {
			return "(empty)"
		}
		return tt.clean(string(b))
	case schema.Timestamp:
		v, ok := c.Int(r)
		if !ok {
			return "-"
		}
		return time.Unix(0, v).UTC().Format("2006-01-02T15:04:05.000000Z")
	case schema.Bool:
		v, ok := c.Int(r)
		if !ok {
			return "-"
		}
		return strconv.FormatBool(v != 0)
	case schema.StringList:
		v, ok := c.Strings(r)
		if !ok {
			return "-"
		}
		if len(v) == 0 {
			return "(empty)"
		}
		return tt.clean(strings.Join(v, ","))
	case schema.Int64List:
		v, ok := c.Ints(r)
		if !ok {
			return "-"
		}
		if len(v) == 0 {
			return "(empty)"
		}
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.FormatInt(x, 10)
		}
		return strings.Join(s, ",")
	case schema.Float64List:
		v, ok := c.Floats(r)
		if !ok {
			return "-"
		}
		if len(v) == 0 {
			return "(empty)"
		}
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.FormatFloat(x, 'f', 6, 64)
		}
		return strings.Join(s, ",")
	}
	v, ok := c.Int(r)
	if !ok {
		return "-"
	}
	return strconv.FormatInt(v, 10)
}

func (tt *TextTable[R]) flush() error {
	tt.done = true
	tt.widths = make([]int, len(tt.t.Columns))
	header := make([]string, len(tt.t.Columns))
	for i, c := range tt.t.Columns {
		header[i] = c.Name
	}
	for _, r := range append([][]string{header}, tt.rows...) {
		for i, s := range r {
			tt.widths[i] = max(tt.widths[i], len(s))
		}
	}
	if err := tt.print(header); err != nil {
		return err
	}
	for _, r := range tt.rows {
		if err := tt.print(r); err != nil {
			return err
		}
	}
	tt.rows = nil
	return nil
}

// print writes one line; numeric columns are right-aligned.
func (tt *TextTable[R]) print(cells []string) error {
	var b strings.Builder
	for i, s := range cells {
		if i > 0 {
			b.WriteString("  ")
		}
		pad := max(0, tt.widths[i]-len(s))
		switch tt.t.Columns[i].Type {
		case schema.Int32, schema.Int64, schema.Float64:
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(s)
		default:
			b.WriteString(s)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", pad))
			}
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(tt.w, b.String())
	return err
}

// Close prints what is buffered (the header alone when there were no rows).
func (tt *TextTable[R]) Close() error {
	if !tt.done {
		return tt.flush()
	}
	return nil
}

// Abort prints what is buffered, as Close: the lines printed cannot be taken back.
func (tt *TextTable[R]) Abort() error { return tt.Close() }
