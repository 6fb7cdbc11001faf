package zeeklog

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"
)

// Writer writes one log. It is a tables.Writer: Write takes the rows of the log's table as a []R.
type Writer interface {
	Write(rows any) error
	// Close publishes the log (nothing when no row was logged).
	Close() error
	// Abort removes what was written.
	Abort() error
	// Rows returns the number of rows logged so far.
	Rows() int64
}

// ErrClosed is returned by a writer used after Close or Abort.
var ErrClosed = errors.New("zeek log writer is closed")

// writer writes the log d to path.
type writer[R any] struct {
	d      *Def[R]
	format Format
	path   string

	f    *os.File // the body (TSV) or the whole log (JSON), a hidden temporary file next to path
	tmp  string
	bw   *bufio.Writer
	line []byte
	v    Value

	rows        int64
	first, last int64 // earliest ts, latest end, in nanoseconds
	err         error
	done        bool
}

// NewWriter returns a writer of the log in format to the file at path (Log).
func (d *Def[R]) NewWriter(format Format, path string) (Writer, error) {
	if format != TSV && format != JSON {
		return nil, fmt.Errorf("zeek log %s: unknown format %q", d.Path, format)
	}
	if d.fields == nil {
		if err := d.compile(); err != nil {
			return nil, err
		}
	}
	f, tmp, err := createTemp(path)
	if err != nil {
		return nil, err
	}
	return &writer[R]{d: d, format: format, path: path, f: f, tmp: tmp, bw: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (w *writer[R]) Rows() int64 { return w.rows }

func (w *writer[R]) Write(rows any) error {
	if w.done {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	rs, ok := rows.([]R)
	if !ok {
		return fmt.Errorf("zeek log %s: rows of type %T, want %T", w.d.Path, rows, rs)
	}
	for i := range rs {
		r := &rs[i]
		if w.d.Keep != nil && !w.d.Keep(r) {
			continue
		}
		if w.format == TSV {
			w.line = w.appendTSV(w.line[:0], r)
		} else {
			w.line = w.appendJSON(w.line[:0], r)
		}
		w.line = append(w.line, '\n')
		if _, err := w.bw.Write(w.line); err != nil {
			w.err = fmt.Errorf("write %q: %w", w.path, err)
			return w.err
		}
		w.rows++
	}
	return nil
}

// span records the row's times for #open and #close.
func (w *writer[R]) span(r *R, ts int64) {
	end := ts
	if w.d.End != nil {
		end = w.d.End(r)
	}
	if w.rows == 0 || ts < w.first {
		w.first = ts
	}
	if w.rows == 0 || end > w.last {
		w.last = end
	}
}

// appendTSV appends the row as one line of Zeek's ASCII format, without the newline.
func (w *writer[R]) appendTSV(dst []byte, r *R) []byte {
	start := len(dst)
	for i := range w.d.fields {
		f := &w.d.fields[i]
		if i > 0 {
			dst = append(dst, '\t')
		}
		if !f.get(r, &w.v) {
			dst = append(dst, '-')
			continue
		}
		if f.isTS && f.kind == kTime && !f.list {
			w.span(r, w.v.Int)
		}
		dst = appendTSVValue(dst, f.kind, f.list, &w.v)
	}
	if len(dst) > start && dst[start] == '#' { // Zeek escapes a line that would read as a header
		dst = append(dst[:start], append([]byte(`\x23`), dst[start+1:]...)...)
	}
	return dst
}

// appendJSON appends the row as one object of Zeek's JSON format, without the newline.
func (w *writer[R]) appendJSON(dst []byte, r *R) []byte {
	dst = append(dst, '{')
	n := 0
	for i := range w.d.fields {
		f := &w.d.fields[i]
		if !f.get(r, &w.v) {
			continue
		}
		if f.isTS && f.kind == kTime && !f.list {
			w.span(r, w.v.Int)
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendJSONString(dst, f.zname)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, f.kind, f.list, &w.v)
	}
	return append(dst, '}')
}

// appendTSVValue encodes a set value as Zeek's ASCII writer does.
func appendTSVValue(dst []byte, k kind, list bool, v *Value) []byte {
	if !list {
		switch k {
		case kTime:
			return appendTime(dst, v.Int)
		case kInterval:
			return appendFixed6(dst, v.Float)
		case kDouble:
			return appendDouble(dst, v.Float)
		case kCount, kInt, kPort:
			return strconv.AppendInt(dst, v.Int, 10)
		case kBool:
			if v.Int != 0 {
				return append(dst, 'T')
			}
			return append(dst, 'F')
		}
		return appendTSVString(dst, v.Bytes, false)
	}
	n := 0
	switch {
	case k == kString:
		n = len(v.Strings)
		for i, s := range v.Strings {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendTSVString(dst, []byte(s), true)
		}
	case k == kInterval || k == kDouble:
		n = len(v.Floats)
		for i, x := range v.Floats {
			if i > 0 {
				dst = append(dst, ',')
			}
			if k == kInterval {
				dst = appendFixed6(dst, x)
			} else {
				dst = appendDouble(dst, x)
			}
		}
	default:
		n = len(v.Ints)
		for i, x := range v.Ints {
			if i > 0 {
				dst = append(dst, ',')
			}
			switch k {
			case kTime:
				dst = appendTime(dst, x)
			case kBool:
				if x != 0 {
					dst = append(dst, 'T')
				} else {
					dst = append(dst, 'F')
				}
			default:
				dst = strconv.AppendInt(dst, x, 10)
			}
		}
	}
	if n == 0 {
		return append(dst, "(empty)"...)
	}
	return dst
}

// appendTSVString escapes s as Zeek's ASCII writer with enable_utf_8 does: the separator, control bytes, DEL,
// a backslash, bytes that are not valid UTF-8 (and, in a set or vector, the set separator) become \xHH; a value
// that is exactly the unset or the empty marker has its first byte escaped; an empty value is (empty).
func appendTSVString(dst, s []byte, inSet bool) []byte {
	switch string(s) {
	case "":
		return append(dst, "(empty)"...)
	case "-":
		return append(dst, `\x2d`...)
	case "(empty)":
		return append(dst, `\x28empty)`...)
	}
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == 0x7f || b == '\\' || (inSet && b == ',') {
				dst = appendHexEscape(dst, b)
			} else {
				dst = append(dst, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if (r == utf8.RuneError && size == 1) || (r >= 0x80 && r < 0xa0) {
			for j := range size {
				dst = appendHexEscape(dst, s[i+j])
			}
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

const hexDigits = "0123456789abcdef"

func appendHexEscape(dst []byte, b byte) []byte {
	return append(dst, '\\', 'x', hexDigits[b>>4], hexDigits[b&15])
}

// appendTime writes nanoseconds since the epoch as seconds with six decimals (rounded to the nearest
// microsecond, halves away from zero), as Zeek renders a time.
func appendTime(dst []byte, ns int64) []byte {
	neg := ns < 0
	var u uint64
	if neg {
		u = uint64(-(ns + 1)) + 1 // |ns| without overflow at math.MinInt64
	} else {
		u = uint64(ns)
	}
	us := u / 1000
	if u%1000 >= 500 {
		us++
	}
	if neg && us != 0 {
		dst = append(dst, '-')
	}
	dst = strconv.AppendUint(dst, us/1_000_000, 10)
	dst = append(dst, '.')
	s := strconv.AppendUint(make([]byte, 0, 8), us%1_000_000+1_000_000, 10)
	return append(dst, s[1:]...)
}

// appendFixed6 renders an interval with six decimals, as Zeek does.
func appendFixed6(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return appendNonFinite(dst, f)
	}
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}

// appendDouble renders a double as Zeek's ASCII writer does: at most six decimals, trailing zeros left out, and
// ".0" when the value is integral.
func appendDouble(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return appendNonFinite(dst, f)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 6, 64)
	for dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	if dst[len(dst)-1] == '.' {
		dst = append(dst, '0')
	}
	if string(dst[start:]) == "-0.0" {
		dst = append(dst[:start], "0.0"...)
	}
	return dst
}

func appendNonFinite(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case f > 0:
		return append(dst, "inf"...)
	}
	return append(dst, "-inf"...)
}

// appendJSONValue encodes a set value as Zeek's JSON writer does.
func appendJSONValue(dst []byte, k kind, list bool, v *Value) []byte {
	if !list {
		switch k {
		case kTime:
			return appendJSONTime(dst, v.Int)
		case kInterval, kDouble:
			return appendJSONNumber(dst, v.Float)
		case kCount, kInt, kPort:
			return strconv.AppendInt(dst, v.Int, 10)
		case kBool:
			if v.Int != 0 {
				return append(dst, "true"...)
			}
			return append(dst, "false"...)
		}
		return appendJSONString(dst, v.Bytes)
	}
	dst = append(dst, '[')
	switch {
	case k == kString:
		for i, s := range v.Strings {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, []byte(s))
		}
	case k == kInterval || k == kDouble:
		for i, x := range v.Floats {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONNumber(dst, x)
		}
	default:
		for i, x := range v.Ints {
			if i > 0 {
				dst = append(dst, ',')
			}
			switch k {
			case kTime:
				dst = appendJSONTime(dst, x)
			case kBool:
				if x != 0 {
					dst = append(dst, "true"...)
				} else {
					dst = append(dst, "false"...)
				}
			default:
				dst = strconv.AppendInt(dst, x, 10)
			}
		}
	}
	return append(dst, ']')
}

// appendJSONTime writes a time as seconds since the epoch, microseconds at most, trailing zeros left out.
func appendJSONTime(dst []byte, ns int64) []byte {
	dst = appendTime(dst, ns)
	for dst[len(dst)-1] == '0' && dst[len(dst)-2] != '.' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// appendJSONNumber writes a double as the shortest decimal that reads back as it (".0" when integral), null
// when it is not finite, as Zeek's JSON writer (rapidjson) does.
func appendJSONNumber(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

// appendJSONString writes s as a JSON string as Zeek's JSON writer does: bytes that are not valid UTF-8 become
// the four characters \xHH (util::json_escape_utf8), then JSON's escapes (rapidjson: \" \\ \b \f \n \r \t and
// \u00XX for other control bytes).
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"':
				dst = append(dst, '\\', '"')
			case b == '\\':
				dst = append(dst, '\\', '\\')
			case b == '\b':
				dst = append(dst, '\\', 'b')
			case b == '\f':
				dst = append(dst, '\\', 'f')
			case b == '\n':
				dst = append(dst, '\\', 'n')
			case b == '\r':
				dst = append(dst, '\\', 'r')
			case b == '\t':
				dst = append(dst, '\\', 't')
			case b < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', upperHex[b>>4], upperHex[b&15])
			default:
				dst = append(dst, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, '\\', '\\', 'x', hexDigits[b>>4], hexDigits[b&15])
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

const upperHex = "0123456789ABCDEF"

// zeekTime formats packet time as Zeek formats #open and #close ("%Y-%m-%d-%H-%M-%S"), in UTC.
func zeekTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02-15-04-05")
}

// header returns the TSV header lines up to #types.
func (w *writer[R]) header() []byte {
	var b []byte
	b = append(b, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t"...)
	b = appendTSVString(b, []byte(w.d.Path), false)
	b = append(b, "\n#open\t"...)
	b = append(b, zeekTime(w.first)...)
	b = append(b, "\n#fields"...)
	for _, f := range w.d.Fields {
		b = append(b, '\t')
		b = append(b, f.Name...)
	}
	b = append(b, "\n#types"...)
	for _, f := range w.d.Fields {
		b = append(b, '\t')
		b = append(b, f.Type...)
	}
	return append(b, '\n')
}

func (w *writer[R]) Close() error {
	if w.done {
		return ErrClosed
	}
	w.done = true
	err := w.err
	if err == nil {
		if ferr := w.bw.Flush(); ferr != nil {
			err = fmt.Errorf("write %q: %w", w.path, ferr)
		}
	}
	if err != nil || w.rows == 0 {
		w.f.Close()
		os.Remove(w.tmp)
		if err == nil {
			// No rows: no file, and none left from an earlier run into the same directory, so that the
			// directory holds the logs of these inputs only.
			if rerr := os.Remove(w.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return fmt.Errorf("remove %q: %w", w.path, rerr)
			}
		}
		return err
	}
	if w.format == JSON {
		if cerr := w.f.Close(); cerr != nil {
			os.Remove(w.tmp)
			return fmt.Errorf("write %q: %w", w.path, cerr)
		}
		return publish(w.tmp, w.path)
	}
	// TSV: the header needs the earliest time, known only now: header, body, #close into a second file.
	defer w.f.Close()
	defer os.Remove(w.tmp)
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("write %q: %w", w.path, err)
	}
	out, tmp, err := createTemp(w.path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	bw.Write(w.header())
	_, err = io.Copy(bw, w.f)
	if err == nil {
		bw.WriteString("#close\t" + zeekTime(w.last) + "\n")
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", w.path, err)
	}
	return publish(tmp, w.path)
}

func (w *writer[R]) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort %q: %w", w.path, err)
	}
	return nil
}

// publish renames the complete temporary file tmp to path.
func publish(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

// createTemp creates a new hidden file next to path (".NAME.tmp-XXXXXXXX"), mode 0666 before umask.
func createTemp(path string) (*os.File, string, error) {
	dir, name := filepath.Split(path)
	if name == "" {
		return nil, "", fmt.Errorf("create %q: not a file name", path)
	}
	var suffix [4]byte
	for range 100 {
		if _, err := rand.Read(suffix[:]); err != nil {
			return nil, "", fmt.Errorf("create %q: %w", path, err)
		}
		tmp := filepath.Join(dir, "."+name+".tmp-"+hex.EncodeToString(suffix[:]))
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("create %q: %w", path, err)
		}
		return f, tmp, nil
	}
	return nil, "", fmt.Errorf("create %q: cannot find a free temporary name", path)
}
