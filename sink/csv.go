package sink

import (
	"bytes"
	"io"
	"math"
	"strconv"

	"github.com/pcapframe/pcapframe/schema"
)

// csvWriter writes rows as CSV with a header row; see the package doc for the encoding of each type.
type csvWriter[R any] struct {
	textOut
	cols    []schema.Column[R]
	scratch []byte // value of the current String or Bytes field
	header  bool   // the header row was written
	time    string // TimeISO, TimeEpoch or TimeNanos
	raw     bool   // Options.CSVRaw
}

func newCSVWriter[R any](t *schema.Table[R], w io.Writer, timeFormat string) *csvWriter[R] {
	return &csvWriter[R]{
		textOut: textOut{w: w, buf: make([]byte, 0, flushBytes+flushBytes/4)},
		cols:    t.Columns,
		time:    timeFormat,
	}
}

func (cw *csvWriter[R]) writeHeader() {
	for i, c := range cw.cols {
		if i > 0 {
			cw.buf = append(cw.buf, ',')
		}
		cw.buf = appendCSVString(cw.buf, []byte(c.Name))
	}
	cw.buf = append(cw.buf, '\n')
	cw.header = true
}

func (cw *csvWriter[R]) Write(rows []R) error {
	if err := cw.check(); err != nil {
		return err
	}
	if !cw.header {
		cw.writeHeader()
	}
	for i := range rows {
		cw.buf = cw.appendRow(cw.buf, &rows[i])
		if err := cw.endRow(); err != nil {
			return err
		}
	}
	return nil
}

func (cw *csvWriter[R]) appendRow(b []byte, r *R) []byte {
	for i := range cw.cols {
		c := &cw.cols[i]
		if i > 0 {
			b = append(b, ',')
		}
		switch c.Type {
		case schema.Bool:
			if v, ok := c.Int(r); ok {
				b = strconv.AppendBool(b, v != 0)
			}
		case schema.Int32, schema.Int64:
			if v, ok := c.Int(r); ok {
				b = strconv.AppendInt(b, v, 10)
			}
		case schema.Timestamp:
			if v, ok := c.Int(r); ok {
				b = appendTime(b, v, cw.time)
			}
		case schema.Float64:
			if v, ok := c.Float(r); ok {
				if math.IsInf(v, 1) {
					b = append(b, "Inf"...) // not +Inf, which DuckDB's CSV sniffer takes for text
				} else {
					b = strconv.AppendFloat(b, v, 'g', -1, 64)
				}
			}
		case schema.String:
			var ok bool
			if cw.scratch, ok = c.Append(r, cw.scratch[:0]); ok {
				if cw.raw {
					b = appendCSVRaw(b, cw.scratch)
				} else {
					b = appendCSVString(b, cw.scratch)
				}
			}
		case schema.Bytes:
			var ok bool
			if cw.scratch, ok = c.Append(r, cw.scratch[:0]); ok {
				if cw.raw {
					b = appendBase64(b, cw.scratch)
				} else {
					b = appendCSVBase64(b, cw.scratch)
				}
			}
		case schema.StringList, schema.Int64List, schema.Float64List:
			var ok bool
			if cw.scratch, ok = appendJSONList(cw.scratch[:0], c, r, true); ok {
				b = appendCSVQuoted(b, cw.scratch)
			}
		}
	}
	return append(b, '\n')
}

func (cw *csvWriter[R]) Close() error {
	if cw.check() == nil && !cw.header {
		cw.writeHeader()
	}
	return cw.close()
}

func (cw *csvWriter[R]) Abort() error { return cw.abort() }

// appendCSVRaw appends s unchanged as an RFC 4180 field (Options.CSVRaw): in double quotes, its quotes doubled,
// when it is empty (so that a reader tells it from an absent value) or holds a comma, a quote, CR or LF.
func appendCSVRaw(dst, s []byte) []byte {
	if len(s) > 0 && bytes.IndexAny(s, ",\"\r\n") < 0 {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for {
		i := bytes.IndexByte(s, '"')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}
