package sink

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/pcapframe/pcapframe/schema"
)

// elementType returns the type of the elements of list type t.
func elementType(t schema.Type) schema.Type {
	switch t {
	case schema.StringList:
		return schema.String
	case schema.Int64List:
		return schema.Int64
	case schema.Float64List:
		return schema.Float64
	}
	return t
}

// The definition levels of a list column, whose schema is the standard three-level LIST:
//
//	optional group <name> (LIST) {
//	  repeated group list {
//	    optional <type> element;
//	  }
//	}
//
// A row is one level for a NULL list (0) or an empty list (1), and one level per element otherwise (3; 2 would be
// a NULL element, which the accessors cannot return). The repetition level is 0 for a row's first level and 1
// for the following elements of its list.
const (
	defNullList = 0
	defEmpty    = 1
	defNullElem = 2
	defElement  = 3
)

// isNull reports whether element j is NULL by nulls (schema.Column.NullElems).
func isNull(nulls []bool, j int) bool { return j < len(nulls) && nulls[j] }

// nullElems returns the NULL elements of column c's list in r, or nil when the column has none.
func nullElems[R any](c *schema.Column[R], r *R) []bool {
	if c.NullElems == nil {
		return nil
	}
	return c.NullElems(r)
}

// bytesOf returns the bytes of s without a copy. They must not be modified.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// listRow adds the levels of a row holding a list of n elements (present is false for NULL), of which those
// that nulls marks are NULL, to d's page.
func (d *directColumn) listRow(present bool, n int, nulls []bool) {
	d.prows++
	switch {
	case !present:
		d.reps, d.defs = append(d.reps, 0), append(d.defs, defNullList)
		d.nulls++
		d.n++
	case n == 0:
		d.reps, d.defs = append(d.reps, 0), append(d.defs, defEmpty)
		d.nulls++
		d.n++
	case nulls != nil:
		for j := range n {
			rep, def := byte(1), byte(defElement)
			if j == 0 {
				rep = 0
			}
			if isNull(nulls, j) {
				def = defNullElem
				d.nulls++
			}
			d.reps, d.defs = append(d.reps, rep), append(d.defs, def)
		}
		d.n += n
	default:
		d.reps, d.defs = append(d.reps, 0), append(d.defs, defElement)
		for range n - 1 {
			d.reps, d.defs = append(d.reps, 1), append(d.defs, defElement)
		}
		d.n += n
	}
}

// appendList appends the values of list column c of rows to d's current page, cutting pages between rows as they
// fill (a page of a DataPage v2 holds whole rows, so one long list makes one large page). It returns the bytes of
// the values appended.
func appendList[R any](d *directColumn, c *schema.Column[R], rows []R) (int64, error) {
	var total int64
	switch d.typ {
	case schema.Int64:
		return appendNumList(d, c, rows, c.Ints, func(x int64) {
			d.i64 = append(d.i64, x)
			d.page.addInt(x)
		}, func() int { return len(d.i64) })
	case schema.Float64:
		return appendNumList(d, c, rows, c.Floats, func(x float64) {
			d.f64 = append(d.f64, x)
			d.page.addFloat(x)
		}, func() int { return len(d.f64) })
	case schema.String:
		for i := range rows {
			v, ok := c.Strings(&rows[i])
			if !ok {
				v = nil
			}
			nulls := nullElems(c, &rows[i])
			d.listRow(ok, len(v), nulls)
			for j, s := range v {
				if isNull(nulls, j) {
					continue
				}
				if len(s) > math.MaxInt32 {
					return total, fmt.Errorf("write parquet column %s: value of %d bytes is too large", d.name, len(s))
				}
				d.putString(bytesOf(s))
				total += int64(len(s))
				d.vsize += len(s)
			}
			if d.vsize >= d.pageBytes || d.n >= d.pageBytes {
				if err := d.cutPage(); err != nil {
					return total, err
				}
			}
			if d.useDict && len(d.dictData) > dictionaryMaxBytes {
				if err := d.cutPage(); err != nil {
					return total, err
				}
				d.useDict = false
			}
		}
		if cap(d.fix) > 1<<20 {
			d.fix = nil
		}
	default:
		return 0, fmt.Errorf("write parquet column %s: lists of %s are not supported", d.name, d.typ)
	}
	return total, nil
}

// appendNumList appends the rows' values of a list column of numbers: get reads a row's list, add puts one
// element in the page, values is the number of values in the page. It returns the bytes of the elements
// written (8 each; NULL elements take none).
func appendNumList[R any, T int64 | float64](d *directColumn, c *schema.Column[R], rows []R, get func(*R) ([]T, bool), add func(T), values func() int) (int64, error) {
	var total int64
	for i := range rows {
		v, ok := get(&rows[i])
		if !ok {
			v = nil
		}
		nulls := nullElems(c, &rows[i])
		d.listRow(ok, len(v), nulls)
		for j, x := range v {
			if isNull(nulls, j) {
				continue
			}
			add(x)
			total += 8
		}
		if 8*values() >= d.pageBytes || d.n >= d.pageBytes {
			if err := d.cutPage(); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// putString adds the String value v, which it does not modify, to the page: as a dictionary index or PLAIN, with
// every byte that is not valid UTF-8 written as \xHH (as appendColumn does for String columns).
func (d *directColumn) putString(v []byte) {
	if d.useDict {
		k := d.last
		if k < 0 || !bytes.Equal(v, d.lastVal) {
			var ok bool
			if k, ok = d.dict[string(v)]; !ok {
				if !utf8.Valid(v) {
					d.fix = appendValidUTF8(d.fix[:0], v)
					v = d.fix
				}
				if k, ok = d.dict[string(v)]; !ok {
					k = d.dictN
					d.dictN++
					d.dict[string(v)] = k
					d.dictData = binary.LittleEndian.AppendUint32(d.dictData, uint32(len(v)))
					d.dictData = append(d.dictData, v...)
				}
			}
			d.last, d.lastVal = k, append(d.lastVal[:0], v...)
			d.page.addBytes(v)
		}
		d.idx = append(d.idx, k)
		return
	}
	if !utf8.Valid(v) {
		d.fix = appendValidUTF8(d.fix[:0], v)
		v = d.fix
	}
	d.page.addBytes(v)
	d.data = binary.LittleEndian.AppendUint32(d.data, uint32(len(v)))
	d.data = append(d.data, v...)
}

// appendJSONList appends the list value of column c of r as a JSON array, as described in the package doc, and
// reports whether it is present (if not, it appends nothing). With csv, non-finite floats are written as NaN,
// Infinity and -Infinity (which Python's json module reads) instead of null.
func appendJSONList[R any](b []byte, c *schema.Column[R], r *R, csv bool) ([]byte, bool) {
	switch c.Type {
	case schema.StringList:
		v, ok := c.Strings(r)
		if !ok {
			return b, false
		}
		nulls := nullElems(c, r)
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if isNull(nulls, i) {
				b = append(b, "null"...)
				continue
			}
			b = appendJSONString(b, bytesOf(s))
		}
		return append(b, ']'), true
	case schema.Int64List:
		v, ok := c.Ints(r)
		if !ok {
			return b, false
		}
		nulls := nullElems(c, r)
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if isNull(nulls, i) {
				b = append(b, "null"...)
				continue
			}
			b = strconv.AppendInt(b, x, 10)
		}
		return append(b, ']'), true
	case schema.Float64List:
		v, ok := c.Floats(r)
		if !ok {
			return b, false
		}
		nulls := nullElems(c, r)
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			switch {
			case isNull(nulls, i):
				b = append(b, "null"...)
			case x == 0 && math.Signbit(x):
				b = append(b, "-0.0"...) // not -0, which JSON readers take for the integer 0
			case !math.IsNaN(x) && !math.IsInf(x, 0):
				b = strconv.AppendFloat(b, x, 'g', -1, 64)
			case !csv:
				b = append(b, "null"...)
			case math.IsNaN(x):
				b = append(b, "NaN"...)
			case x > 0:
				b = append(b, "Infinity"...)
			default:
				b = append(b, "-Infinity"...)
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

// appendCSVQuoted appends the field s as it is, in double quotes with its quotes doubled if it contains a comma
// or a quote (RFC 4180). It is for list cells, JSON text that needs none of appendCSVString's escapes.
func appendCSVQuoted(dst, s []byte) []byte {
	if bytes.IndexByte(s, ',') < 0 && bytes.IndexByte(s, '"') < 0 {
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
