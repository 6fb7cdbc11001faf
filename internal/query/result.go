package query

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/pcapframe/pcapframe/internal/atexit"
	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
)

// Format is an output format of query results.
type Format string

// The result formats.
const (
	Table    Format = "table"    // aligned columns for a terminal
	Markdown Format = "markdown" // a Markdown table
	CSV      Format = "csv"      // through sink, as `pcapframe convert` writes it
	JSONL    Format = "jsonl"    // through sink
	Parquet  Format = "parquet"  // through sink
)

// Formats lists the result formats.
var Formats = []Format{Table, CSV, JSONL, Markdown, Parquet}

// ParseFormat returns the format called name.
func ParseFormat(name string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(name))); f {
	case Table, Markdown, CSV, JSONL, Parquet:
		return f, nil
	case "ndjson", "json":
		return JSONL, nil
	case "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown format %q (formats: table, csv, jsonl, markdown, parquet)", name)
}

// Result is the open result of a query: its columns, then its rows one at a time. The rows stream from DuckDB
// as they are read (see stream.go): a result is never held whole in memory.
type Result struct {
	Columns []ColumnInfo
	rows    rowSource
	kinds   []schema.Type
	vals    []any
	err     error
	closed  bool
}

// Query runs one statement and returns its result (in the sandbox, a text of several statements is refused: see
// checkStatement). A failed query returns an *SQLError that lists the tables.
func (e *Engine) Query(ctx context.Context, q string) (*Result, error) {
	if err := e.checkStatement(ctx, q); err != nil {
		return nil, e.explain(ctx, err)
	}
	src, err := e.streamQuery(ctx, q)
	if err != nil {
		return nil, e.explain(ctx, err)
	}
	if src == nil {
		rows, err := e.conn.QueryContext(ctx, q)
		if err != nil {
			return nil, e.explain(ctx, err)
		}
		src = &sqlRows{rows: rows}
	}
	cols, err := src.columns()
	if err != nil {
		src.close()
		return nil, e.explain(ctx, err)
	}
	r := &Result{rows: src, Columns: cols}
	for _, c := range cols {
		r.kinds = append(r.kinds, kindOf(c.Type))
	}
	r.vals = make([]any, len(cols))
	return r, nil
}

// Next reads the next row; it returns false at the end or on error (see Err).
func (r *Result) Next() bool {
	if r.err != nil || r.closed {
		return false
	}
	if err := r.rows.next(r.vals); err != nil {
		if !errors.Is(err, io.EOF) {
			r.err = err
		}
		r.Close()
		return false
	}
	return true
}

// Values returns the current row's values, valid until the next call to Next.
func (r *Result) Values() []any { return r.vals }

// Err returns the error that ended the rows, if any.
func (r *Result) Err() error { return cleanError(r.err) }

// Close releases the result.
func (r *Result) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.rows.close()
}

// kindOf maps a DuckDB type name to the schema type used to write it.
func kindOf(dbType string) schema.Type {
	if elem, ok := strings.CutSuffix(strings.ToUpper(dbType), "[]"); ok {
		// A list of scalars is written as a list (Parquet LIST, JSON array); other lists (of lists, of structs)
		// are written as their text.
		switch kindOf(elem) {
		case schema.String:
			if elem == "VARCHAR" {
				return schema.StringList
			}
		case schema.Int32, schema.Int64:
			return schema.Int64List
		case schema.Float64:
			return schema.Float64List
		}
		return schema.String
	}
	switch strings.ToUpper(dbType) {
	case "BOOLEAN":
		return schema.Bool
	case "TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT":
		return schema.Int32
	case "BIGINT", "UINTEGER", "HUGEINT", "UBIGINT", "UHUGEINT":
		return schema.Int64
	case "FLOAT", "DOUBLE":
		return schema.Float64
	case "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return schema.Timestamp
	case "BLOB":
		return schema.Bytes
	}
	if strings.HasPrefix(strings.ToUpper(dbType), "DECIMAL") {
		return schema.Float64
	}
	return schema.String
}

// resultTable is the schema of a result's rows, for the sink writers: the values of a row by column index.
func resultTable(cols []ColumnInfo, kinds []schema.Type) *schema.Table[[]any] {
	t := &schema.Table[[]any]{Name: "result", Doc: "Query result."}
	for i, c := range cols {
		i := i
		col := schema.Column[[]any]{Name: c.Name, Type: kinds[i], Doc: c.Type, Default: true}
		switch kinds[i] {
		case schema.Bool, schema.Int32, schema.Int64, schema.Timestamp:
			col.Int = func(r *[]any) (int64, bool) { return toInt((*r)[i]) }
		case schema.Float64:
			col.Float = func(r *[]any) (float64, bool) { return toFloat((*r)[i]) }
		case schema.StringList:
			col.Strings = func(r *[]any) ([]string, bool) {
				l, ok := (*r)[i].([]any)
				if !ok {
					return nil, false
				}
				out := make([]string, 0, len(l))
				for _, e := range l {
					if e == nil {
						out = append(out, "")
						continue
					}
					out = append(out, formatValue(e))
				}
				return out, true
			}
		case schema.Int64List:
			col.Ints = func(r *[]any) ([]int64, bool) {
				l, ok := (*r)[i].([]any)
				if !ok {
					return nil, false
				}
				out := make([]int64, 0, len(l))
				for _, e := range l {
					v, _ := toInt(e)
					out = append(out, v)
				}
				return out, true
			}
		case schema.Float64List:
			col.Floats = func(r *[]any) ([]float64, bool) {
				l, ok := (*r)[i].([]any)
				if !ok {
					return nil, false
				}
				out := make([]float64, 0, len(l))
				for _, e := range l {
					v, ok := toFloat(e)
					if !ok {
						v = math.NaN()
					}
					out = append(out, v)
				}
				return out, true
			}
		}
		if kinds[i].IsList() {
			// DuckDB lists hold NULL elements (list(x) over rows where x is NULL): written as NULL, not as "" or 0.
			col.NullElems = func(r *[]any) []bool {
				l, _ := (*r)[i].([]any)
				var nulls []bool
				for j, e := range l {
					if e == nil {
						if nulls == nil {
							nulls = make([]bool, len(l))
						}
						nulls[j] = true
					}
				}
				return nulls
			}
		}
		switch kinds[i] {
		case schema.Bool, schema.Int32, schema.Int64, schema.Timestamp, schema.Float64, schema.StringList, schema.Int64List, schema.Float64List:
		default:
			col.Append = func(r *[]any, dst []byte) ([]byte, bool) {
				v := (*r)[i]
				if v == nil {
					return dst, false
				}
				if b, ok := v.([]byte); ok {
					return append(dst, b...), true
				}
				return append(dst, formatValue(v)...), true
			}
		}
		t.Columns = append(t.Columns, col)
	}
	return t
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case *big.Int:
		if !x.IsInt64() {
			return 0, false
		}
		return x.Int64(), true
	case time.Time:
		return x.UnixNano(), true
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case interface{ Float64() float64 }:
		return x.Float64(), true
	}
	if i, ok := toInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

// formatValue renders a value as text the way the table formats show it (not escaped for a terminal).
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case []byte:
		return blobText(x)
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.999999999")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case duckdb.Interval:
		return formatInterval(x)
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + formatValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case fmt.Stringer:
		return x.String()
	}
	if i, ok := toInt(v); ok {
		return strconv.FormatInt(i, 10)
	}
	return fmt.Sprint(v)
}

// formatInterval writes an interval as DuckDB prints it: "1 year 2 months 3 days 04:05:06.789".
func formatInterval(v duckdb.Interval) string {
	var parts []string
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		s := strconv.FormatInt(n, 10) + " " + name
		if n != 1 && n != -1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	unit(int64(v.Months/12), "year")
	unit(int64(v.Months%12), "month")
	unit(int64(v.Days), "day")
	if v.Micros != 0 || len(parts) == 0 {
		us := v.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		s := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if frac := us % 1_000_000; frac != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// formatFloat shows a float with up to 6 decimals, without trailing zeros.
func formatFloat(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	if x != 0 && (math.Abs(x) >= 1e15 || math.Abs(x) < 1e-4) {
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	s := strconv.FormatFloat(x, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// blobText shows bytes as DuckDB does: printable ASCII as itself, other bytes as \xHH.
func blobText(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '\\' {
			sb.WriteByte(c)
		} else {
			sb.WriteString(`\x`)
			sb.WriteString(hex.EncodeToString([]byte{c}))
		}
	}
	return sb.String()
}

// WriteOptions configure Write.
type WriteOptions struct {
	// Escape makes text safe to print (for a terminal); nil leaves it as it is. Used by the table and Markdown
	// formats.
	Escape func(string) string
	// MaxRows is how many rows the table and Markdown formats hold to size their columns; 0 means 10,000. They
	// also hold no more than MaxTextBytes of cell text.
	MaxRows int
	// All makes the table and Markdown formats write every row (to a file or a pipe): the rows after the held ones
	// are written as they come, with the column widths of the held rows (a longer cell shifts the rest of its
	// line). Without it (a terminal) only the held rows are shown and the others are counted in a last line.
	All bool
	// MaxWidth caps the width of a cell in the table format, in characters; 0 means 60.
	MaxWidth int
}

// MaxTextBytes bounds the cell text that the table and Markdown formats hold at once (see WriteOptions.MaxRows).
const MaxTextBytes = 64 << 20

// Write writes the rows of r in format f to w, and closes r. CSV, JSON Lines and Parquet go through the sink
// writers, so their escaping and types are those of `pcapframe convert`.
func Write(r *Result, f Format, w io.Writer, opts WriteOptions) error {
	defer r.Close()
	switch f {
	case Table, Markdown:
		return writeText(r, f, w, opts)
	}
	sw, err := sink.New(resultTable(r.Columns, r.kinds), sink.Format(f), w, sink.Options{})
	if err != nil {
		return err
	}
	if err := copyRows(r, sw); err != nil {
		sw.Abort()
		return err
	}
	return sw.Close()
}

// WriteFile writes the rows of r in format f (csv, jsonl or parquet) to the file at path, atomically (a hidden
// temporary file next to it, renamed when complete, removed on failure and, through package atexit, on a forced
// exit), and closes r.
func WriteFile(r *Result, f Format, path string) error {
	defer r.Close()
	if f == Table || f == Markdown {
		return fmt.Errorf("write %q: format %s is for the terminal (use csv, jsonl or parquet)", path, f)
	}
	file, err := createTemp(path)
	if err != nil {
		return err
	}
	defer atexit.Remove(file.Name())()
	fail := func(err error) error {
		file.Close()
		os.Remove(file.Name())
		return err
	}
	sw, err := sink.New(resultTable(r.Columns, r.kinds), sink.Format(f), file, sink.Options{})
	if err != nil {
		return fail(err)
	}
	if err := copyRows(r, sw); err != nil {
		sw.Abort()
		return fail(err)
	}
	if err := sw.Close(); err != nil {
		return fail(err)
	}
	if err := file.Close(); err != nil {
		os.Remove(file.Name())
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(file.Name(), path); err != nil {
		os.Remove(file.Name())
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

// createTemp creates a new hidden file next to path, with the mode os.Create would give path (0666 before the
// umask).
func createTemp(path string) (*os.File, error) {
	dir, name := filepath.Split(path)
	if name == "" {
		return nil, fmt.Errorf("create %q: not a file name", path)
	}
	var suffix [4]byte
	for range 100 {
		if _, err := rand.Read(suffix[:]); err != nil {
			return nil, fmt.Errorf("create %q: %w", path, err)
		}
		f, err := os.OpenFile(filepath.Join(dir, "."+name+".tmp-"+hex.EncodeToString(suffix[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create %q: %w", path, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("create %q: no free temporary name", path)
}

// copyRows writes the rows of r to sw in batches of at most copyBatchRows rows and about copyBatchBytes bytes of
// values, so that wide rows (payloads) do not pile up.
func copyRows(r *Result, sw sink.Writer[[]any]) error {
	rows := make([][]any, 0, copyBatchRows)
	size := 0
	for r.Next() {
		row := make([]any, len(r.vals))
		copy(row, r.vals)
		rows = append(rows, row)
		size += rowBytes(row)
		if len(rows) == copyBatchRows || size >= copyBatchBytes {
			if err := sw.Write(rows); err != nil {
				return err
			}
			clear(rows)
			rows, size = rows[:0], 0
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	if len(rows) > 0 {
		return sw.Write(rows)
	}
	return nil
}

// The batches of copyRows.
const (
	copyBatchRows  = 1024
	copyBatchBytes = 4 << 20
)

// rowBytes estimates the bytes a row's values hold.
func rowBytes(row []any) int {
	n := 0
	for _, v := range row {
		switch x := v.(type) {
		case string:
			n += len(x)
		case []byte:
			n += len(x)
		default:
			n += 16
		}
	}
	return n
}

// writeText renders the table and Markdown formats. It holds at most opts.MaxRows rows and MaxTextBytes of
// text to size the columns, then writes them; the rest of the rows are written as they come (opts.All) or
// counted.
func writeText(r *Result, f Format, w io.Writer, opts WriteOptions) error {
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = 10000
	}
	maxWidth := opts.MaxWidth
	if maxWidth <= 0 {
		maxWidth = 60
	}
	esc := opts.Escape
	if esc == nil {
		esc = func(s string) string { return s }
	}
	cell := func(v any) string {
		s := formatValue(v)
		if f == Table && len(s) > 4*maxWidth {
			s = s[:4*maxWidth] // at least maxWidth characters: no need to escape a huge value whole
		}
		s = esc(s)
		if f == Markdown {
			s = strings.ReplaceAll(strings.ReplaceAll(s, `|`, `\|`), "\n", " ")
		} else if utf8.RuneCountInString(s) > maxWidth {
			s = string([]rune(s)[:maxWidth-1]) + "…"
		}
		return s
	}
	row := func() []string {
		cells := make([]string, len(r.vals))
		for i, v := range r.vals {
			cells[i] = cell(v)
		}
		return cells
	}
	header := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		header[i] = cell(c.Name)
	}
	var body [][]string
	held, full := 0, false
	for !full && r.Next() {
		cells := row()
		body = append(body, cells)
		for _, c := range cells {
			held += len(c)
		}
		full = len(body) == maxRows || held >= MaxTextBytes
	}
	right := make([]bool, len(r.kinds))
	for i, k := range r.kinds {
		right[i] = k == schema.Int32 || k == schema.Int64 || k == schema.Float64
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	g := newGrid(header, body, right, f == Markdown)
	g.header(bw, header)
	for _, cells := range body {
		g.line(bw, cells)
	}
	shown := len(body)
	body = nil
	more := 0
	if full && !opts.All {
		// The rows shown come out now; counting the others may take a while.
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if full {
		for r.Next() {
			if opts.All {
				g.line(bw, row())
			} else {
				more++
			}
		}
	}
	if err := r.Err(); err != nil {
		bw.Flush()
		return err
	}
	if more > 0 {
		fmt.Fprintf(bw, "(%d more rows not shown: %d rows are shown at most (--max-rows); use --format csv or jsonl, or -o FILE, for all)\n", more, shown)
	}
	if f == Table {
		fmt.Fprintf(bw, "(%d %s)\n", g.rows+more, plural(g.rows+more, "row"))
	}
	return bw.Flush()
}

// grid writes aligned columns (or a Markdown table) line by line, with the widths of the rows it was made with.
type grid struct {
	width    []int
	right    []bool
	markdown bool
	rows     int // body lines written
	lb       strings.Builder
}

func newGrid(header []string, body [][]string, right []bool, markdown bool) *grid {
	g := &grid{width: make([]int, len(header)), right: right, markdown: markdown}
	for i, h := range header {
		g.width[i] = utf8.RuneCountInString(h)
	}
	for _, row := range body {
		for i, c := range row {
			g.width[i] = max(g.width[i], utf8.RuneCountInString(c))
		}
	}
	if markdown {
		for i := range g.width {
			g.width[i] = max(g.width[i], 3)
		}
	}
	return g
}

// header writes the header and the separator line.
func (g *grid) header(w io.StringWriter, header []string) {
	sep := make([]string, len(header))
	for i := range sep {
		n := max(g.width[i], 1)
		switch {
		case g.markdown && g.right[i]:
			sep[i] = strings.Repeat("-", n-1) + ":"
		default:
			sep[i] = strings.Repeat("-", n)
		}
	}
	g.write(w, header)
	g.write(w, sep)
}

// line writes a body line.
func (g *grid) line(w io.StringWriter, cells []string) {
	g.write(w, cells)
	g.rows++
}

func (g *grid) write(w io.StringWriter, cells []string) {
	lb := &g.lb
	lb.Reset()
	if g.markdown {
		lb.WriteString("| ")
	}
	for i, c := range cells {
		if i > 0 {
			if g.markdown {
				lb.WriteString(" | ")
			} else {
				lb.WriteString("  ")
			}
		}
		pad := strings.Repeat(" ", max(0, g.width[i]-utf8.RuneCountInString(c)))
		if g.right[i] {
			lb.WriteString(pad + c)
		} else {
			lb.WriteString(c + pad)
		}
	}
	if g.markdown {
		lb.WriteString(" |")
		w.WriteString(lb.String())
	} else {
		// No trailing blanks (an empty last header, short bars).
		w.WriteString(strings.TrimRight(lb.String(), " "))
	}
	w.WriteString("\n")
}

// renderGrid writes aligned columns (or a Markdown table) with a header.
func renderGrid(b *strings.Builder, header []string, body [][]string, right []bool, markdown bool) {
	g := newGrid(header, body, right, markdown)
	g.header(b, header)
	for _, row := range body {
		g.line(b, row)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// PrintsRows reports whether DuckDB's shell would print the result of stmt: a query does (SELECT, EXPLAIN,
// PRAGMA, CALL, EXECUTE ...), a statement that only changes the database (CREATE, DROP, ALTER, SET, COPY,
// ATTACH ...) does not, and neither does INSERT, UPDATE or DELETE unless it has a RETURNING clause, which the
// caller tells from the result (see IsChangeCount). A statement that cannot be prepared is reported as
// printing, so that running it gives its error.
func (e *Engine) PrintsRows(ctx context.Context, stmt string) (prints, changes bool) {
	if n, err := CountStatements(stmt); err != nil || n != 1 {
		// Preparing a text of several statements would run all but the last: leave it to Query, which refuses it
		// in the sandbox.
		return true, false
	}
	typ := duckdb.STATEMENT_TYPE_SELECT
	err := e.conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.ErrUnsupported
		}
		s, err := pc.PrepareContext(ctx, stmt)
		if err != nil {
			return err
		}
		defer s.Close()
		if ds, ok := s.(*duckdb.Stmt); ok {
			typ, err = ds.StatementType()
		}
		return err
	})
	if err != nil {
		return true, false
	}
	switch typ {
	case duckdb.STATEMENT_TYPE_INSERT, duckdb.STATEMENT_TYPE_UPDATE, duckdb.STATEMENT_TYPE_DELETE:
		return true, true
	case duckdb.STATEMENT_TYPE_CREATE, duckdb.STATEMENT_TYPE_DROP, duckdb.STATEMENT_TYPE_ALTER,
		duckdb.STATEMENT_TYPE_TRANSACTION, duckdb.STATEMENT_TYPE_COPY, duckdb.STATEMENT_TYPE_VARIABLE_SET,
		duckdb.STATEMENT_TYPE_CREATE_FUNC, duckdb.STATEMENT_TYPE_SET, duckdb.STATEMENT_TYPE_LOAD,
		duckdb.STATEMENT_TYPE_ATTACH, duckdb.STATEMENT_TYPE_DETACH, duckdb.STATEMENT_TYPE_VACUUM,
		duckdb.STATEMENT_TYPE_PREPARE, duckdb.STATEMENT_TYPE_EXPORT, duckdb.STATEMENT_TYPE_ANALYZE:
		return false, false
	}
	return true, false
}

// IsChangeCount reports whether a result is DuckDB's count of changed rows (one BIGINT column named Count), as
// INSERT, UPDATE and DELETE without RETURNING give.
func (r *Result) IsChangeCount() bool {
	return len(r.Columns) == 1 && r.Columns[0].Name == "Count" && strings.EqualFold(r.Columns[0].Type, "BIGINT")
}
