package zeeklog_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a reader of Zeek's ASCII logs written for the tests, from Zeek's documentation of the format
// (the header lines, "-" unset, "(empty)" empty, "," between set elements, \xHH escapes) and independent of
// the writer: it parses every header, checks that #fields and #types agree with every line, and parses every
// value by its type.

// zlog is a parsed Zeek ASCII log.
type zlog struct {
	path, open, close string
	fields, types     []string
	rows              [][]zval
}

// zval is one parsed value.
type zval struct {
	set   bool
	raw   string // the field as written
	value any    // time, interval, double: float64; count, int, port: int64; bool; string (escapes decoded); set/vector: []any
}

var (
	reTime  = regexp.MustCompile(`^-?[0-9]+\.[0-9]{6}$`)
	reCount = regexp.MustCompile(`^[0-9]+$`)
	reInt   = regexp.MustCompile(`^-?[0-9]+$`)
	reStamp = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}$`)
)

// readZeek parses a Zeek ASCII log.
func readZeek(data []byte) (*zlog, error) {
	if !bytes.HasSuffix(data, []byte("\n")) {
		return nil, fmt.Errorf("the log does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := []string{"#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-"}
	if len(lines) < 9 {
		return nil, fmt.Errorf("%d lines: too short for the header", len(lines))
	}
	for i, w := range want {
		if lines[i] != w {
			return nil, fmt.Errorf("line %d is %q, want %q", i+1, lines[i], w)
		}
	}
	l := &zlog{}
	header := func(i int, key string) (string, error) {
		k, v, ok := strings.Cut(lines[i], "\t")
		if !ok || k != "#"+key {
			return "", fmt.Errorf("line %d is %q, want #%s", i+1, lines[i], key)
		}
		return v, nil
	}
	var err error
	if l.path, err = header(4, "path"); err != nil {
		return nil, err
	}
	if l.open, err = header(5, "open"); err != nil {
		return nil, err
	}
	f, err := header(6, "fields")
	if err != nil {
		return nil, err
	}
	t, err := header(7, "types")
	if err != nil {
		return nil, err
	}
	l.fields, l.types = strings.Split(f, "\t"), strings.Split(t, "\t")
	if len(l.fields) != len(l.types) {
		return nil, fmt.Errorf("%d fields but %d types", len(l.fields), len(l.types))
	}
	if l.close, err = header(len(lines)-1, "close"); err != nil {
		return nil, err
	}
	for _, s := range []string{l.open, l.close} {
		if !reStamp.MatchString(s) {
			return nil, fmt.Errorf("#open/#close %q is not %%Y-%%m-%%d-%%H-%%M-%%S", s)
		}
	}
	for i := 8; i < len(lines)-1; i++ {
		line := lines[i]
		if strings.HasPrefix(line, "#") {
			return nil, fmt.Errorf("line %d: a header line among the rows: %q", i+1, line)
		}
		for j := 0; j < len(line); j++ {
			if c := line[j]; (c < 0x20 && c != '\t') || c == 0x7f {
				return nil, fmt.Errorf("line %d: raw control byte %#x", i+1, c)
			}
		}
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("line %d: not valid UTF-8 (invalid bytes must be escaped)", i+1)
		}
		parts := strings.Split(line, "\t")
		if len(parts) != len(l.fields) {
			return nil, fmt.Errorf("line %d: %d values for %d fields", i+1, len(parts), len(l.fields))
		}
		row := make([]zval, len(parts))
		for j, p := range parts {
			v, err := parseValue(p, l.types[j])
			if err != nil {
				return nil, fmt.Errorf("line %d, field %s (%s): %w", i+1, l.fields[j], l.types[j], err)
			}
			row[j] = v
		}
		l.rows = append(l.rows, row)
	}
	return l, nil
}

// parseValue parses one field of type typ.
func parseValue(s, typ string) (zval, error) {
	if s == "-" {
		return zval{raw: s}, nil
	}
	v := zval{set: true, raw: s}
	for _, p := range []string{"set[", "vector["} {
		if strings.HasPrefix(typ, p) && strings.HasSuffix(typ, "]") {
			elem := typ[len(p) : len(typ)-1]
			if s == "(empty)" {
				v.value = []any{}
				return v, nil
			}
			var out []any
			for _, e := range strings.Split(s, ",") {
				ev, err := parseValue(e, elem)
				if err != nil {
					return v, err
				}
				if !ev.set {
					return v, fmt.Errorf("unset element in %q", s)
				}
				out = append(out, ev.value)
			}
			v.value = out
			return v, nil
		}
	}
	switch typ {
	case "time", "interval":
		if !reTime.MatchString(s) {
			return v, fmt.Errorf("%q is not a number with six decimals", s)
		}
		f, err := strconv.ParseFloat(s, 64)
		v.value = f
		return v, err
	case "double":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !strings.Contains(s, ".") && s != "nan" && s != "inf" && s != "-inf" {
			return v, fmt.Errorf("%q is not a double", s)
		}
		v.value = f
		return v, nil
	case "count", "port":
		if !reCount.MatchString(s) {
			return v, fmt.Errorf("%q is not a count", s)
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if typ == "port" && (err != nil || n > 65535) {
			return v, fmt.Errorf("%q is not a port", s)
		}
		v.value = n
		return v, err
	case "int":
		if !reInt.MatchString(s) {
			return v, fmt.Errorf("%q is not an int", s)
		}
		n, err := strconv.ParseInt(s, 10, 64)
		v.value = n
		return v, err
	case "bool":
		if s != "T" && s != "F" {
			return v, fmt.Errorf("%q is not T or F", s)
		}
		v.value = s == "T"
		return v, nil
	case "addr":
		a, err := netip.ParseAddr(s)
		if err != nil {
			return v, err
		}
		v.value = a.String()
		return v, nil
	case "string", "enum":
		if s == "(empty)" {
			v.value = ""
			return v, nil
		}
		d, err := unescape(s)
		v.value = d
		return v, err
	}
	return v, fmt.Errorf("unknown type %q", typ)
}

// unescape decodes Zeek's \xHH escapes; any other backslash is an error (Zeek escapes the backslash itself).
func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 >= len(s) || s[i+1] != 'x' {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		n, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(n))
		i += 3
	}
	return b.String(), nil
}

// readZeekJSON parses a Zeek JSON log: one object per line.
func readZeekJSON(data []byte) ([]map[string]any, error) {
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			return nil, fmt.Errorf("line %d: %w", len(out)+1, err)
		}
		if d.More() {
			return nil, fmt.Errorf("line %d: more than one value", len(out)+1)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// jsonForm gives the value of a parsed TSV field as Zeek's JSON writer shows it: bytes that are not valid UTF-8
// as the text \xHH.
func jsonForm(v any) any {
	switch x := v.(type) {
	case string:
		var b strings.Builder
		for i := 0; i < len(x); {
			r, size := utf8.DecodeRuneInString(x[i:])
			if r == utf8.RuneError && size == 1 {
				fmt.Fprintf(&b, `\x%02x`, x[i])
			} else {
				b.WriteString(x[i : i+size])
			}
			i += size
		}
		return b.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonForm(e)
		}
		return out
	}
	return v
}

// sameJSON compares a TSV value (in its JSON form) with a decoded JSON value; numbers within tol.
func sameJSON(tsv, js any, tol float64) bool {
	switch x := tsv.(type) {
	case float64:
		n, ok := js.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && math.Abs(f-x) <= tol
	case int64:
		n, ok := js.(json.Number)
		return ok && n.String() == strconv.FormatInt(x, 10)
	case []any:
		y, ok := js.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i], tol) {
				return false
			}
		}
		return true
	}
	return tsv == js
}

// readFile reads a file or returns an error naming it.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	return b, nil
}
