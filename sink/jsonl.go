package sink

import (
	"io"
	"math"
	"strconv"

	"github.com/pcapframe/pcapframe/schema"
)

// jsonWriter writes rows as JSON Lines; see the package doc for the encoding of each type.
type jsonWriter[R any] struct {
	textOut
	cols    []schema.Column[R]
	keys    [][]byte // per column: `{"name":` for the first, `,"name":` for the others
	scratch []byte
}

func newJSONWriter[R any](t *schema.Table[R], w io.Writer) *jsonWriter[R] {
	jw := &jsonWriter[R]{
		textOut: textOut{w: w, buf: make([]byte, 0, flushBytes+flushBytes/4)},
		cols:    t.Columns,
		keys:    make([][]byte, len(t.Columns)),
	}
	for i, c := range t.Columns {
		k := []byte{','}
		if i == 0 {
			k[0] = '{'
		}
		k = appendJSONString(k, []byte(c.Name))
		jw.keys[i] = append(k, ':')
	}
	return jw
}

func (jw *jsonWriter[R]) Write(rows []R) error {
	if err := jw.check(); err != nil {
		return err
	}
	for i := range rows {
		jw.buf = jw.appendRow(jw.buf, &rows[i])
		if err := jw.endRow(); err != nil {
			return err
		}
	}
	return nil
}

func (jw *jsonWriter[R]) appendRow(b []byte, r *R) []byte {
	for i := range jw.cols {
		c := &jw.cols[i]
		b = append(b, jw.keys[i]...)
		ok := false
		switch c.Type {
		case schema.Bool:
			var v int64
			if v, ok = c.Int(r); ok {
				b = strconv.AppendBool(b, v != 0)
			}
		case schema.Int32, schema.Int64:
			var v int64
			if v, ok = c.Int(r); ok {
				b = strconv.AppendInt(b, v, 10)
			}
		case schema.Timestamp:
			var v int64
			if v, ok = c.Int(r); ok {
				b = appendEpoch(b, v)
			}
		case schema.Float64:
			var v float64
			if v, ok = c.Float(r); ok {
				if ok = !math.IsNaN(v) && !math.IsInf(v, 0); ok {
					b = strconv.AppendFloat(b, v, 'g', -1, 64)
				}
			}
		case schema.String:
			if jw.scratch, ok = c.Append(r, jw.scratch[:0]); ok {
				b = appendJSONString(b, jw.scratch)
			}
		case schema.Bytes:
			if jw.scratch, ok = c.Append(r, jw.scratch[:0]); ok {
				b = append(b, '"')
				b = appendBase64(b, jw.scratch)
				b = append(b, '"')
			}
		case schema.StringList, schema.Int64List, schema.Float64List:
			b, ok = appendJSONList(b, c, r, false)
		}
		if !ok {
			b = append(b, "null"...)
		}
	}
	return append(b, '}', '\n')
}

func (jw *jsonWriter[R]) Close() error { return jw.close() }

func (jw *jsonWriter[R]) Abort() error { return jw.abort() }
