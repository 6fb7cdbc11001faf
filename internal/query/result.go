package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/pcapframe/pcapframe/internal/sink"
	"github.com/pcapframe/pcapframe/schema"
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

// Result is the open result of a query: its columns, then its rows one at a time.
type Result struct {
	Columns []ColumnInfo
	rows    *sql.Rows
	kinds   []schema.Type
	vals    []any
	ptrs    []any
}

// Query runs one statement and returns its result (in the sandbox, a text of several statements is refused: see
// checkStatement). A failed query returns an *SQLError that lists the tables.
func (e *Engine) Query(ctx context.Context, q string) (*Result, error) {
	if err := e.checkStatement(ctx, q); err != nil {
		return nil, e.explain(ctx, err)
	}
	rows, err := e.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, e.explain(ctx, err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, e.explain(ctx, err)
	}
	r := &Result{rows: rows}
	for _, t := range types {
		r.Columns = append(r.Columns, ColumnInfo{Name: t.Name(), Type: t.DatabaseTypeName()})
		r.kinds = append(r.kinds, kindOf(t.DatabaseTypeName()))
	}
	r.vals = make([]any, len(types))
	r.ptrs = make([]any, len(types))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

// Next reads the next row; it returns false at the end or on error (see Err).
func (r *Result) Next() bool {
	if !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.rows.Close()
		return false
	}
	return true
}

// Values returns the current row's values, valid until the next call to Next.
func (r *Result) Values() []any { return r.vals }

// Err returns the error that ended the rows, if any.
func (r *Result) Err() error { return cleanError(r.rows.Err()) }

// Close releases the result.
func (r *Result) Close() error { return r.rows.Close() }

// kindOf maps a DuckDB type name to the schema type used to write it.
func kindOf(dbType string) schema.Type {
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
	// MaxRows caps the rows that the table and Markdown formats show (they hold them to align the columns); the
	// rest are counted. 0 means 10,000.
	MaxRows int
	// MaxWidth caps the width of a cell in the table format, in characters; 0 means 60.
	MaxWidth int
}

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

// WriteFile writes the rows of r in format f (csv, jsonl or parquet) to the file at path, atomically, and closes r.
func WriteFile(r *Result, f Format, path string) error {
	defer r.Close()
	if f == Table || f == Markdown {
		return fmt.Errorf("write %q: format %s is for the terminal (use csv, jsonl or parquet)", path, f)
	}
	sw, err := sink.Create(resultTable(r.Columns, r.kinds), sink.Format(f), path, sink.Options{})
	if err != nil {
		return err
	}
	if err := copyRows(r, sw); err != nil {
		sw.Abort()
		return err
	}
	return sw.Close()
}

// copyRows writes the rows of r to sw in batches.
func copyRows(r *Result, sw sink.Writer[[]any]) error {
	const batch = 1024
	rows := make([][]any, batch)
	for i := range rows {
		rows[i] = make([]any, len(r.Columns))
	}
	n := 0
	for r.Next() {
		copy(rows[n], r.vals)
		n++
		if n == batch {
			if err := sw.Write(rows[:n]); err != nil {
				return err
			}
			n = 0
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	if n > 0 {
		return sw.Write(rows[:n])
	}
	return nil
}

// writeText renders the table and Markdown formats.
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
		s := esc(formatValue(v))
		if f == Markdown {
			s = strings.ReplaceAll(strings.ReplaceAll(s, `|`, `\|`), "\n", " ")
		} else if utf8.RuneCountInString(s) > maxWidth {
			s = string([]rune(s)[:maxWidth-1]) + "…"
		}
		return s
	}
	header := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		header[i] = cell(c.Name)
	}
	var body [][]string
	more := 0
	for r.Next() {
		if len(body) == maxRows {
			more++
			continue
		}
		row := make([]string, len(r.vals))
		for i, v := range r.vals {
			row[i] = cell(v)
		}
		body = append(body, row)
	}
	if err := r.Err(); err != nil {
		return err
	}
	right := make([]bool, len(r.kinds))
	for i, k := range r.kinds {
		right[i] = k == schema.Int32 || k == schema.Int64 || k == schema.Float64
	}
	var b strings.Builder
	renderGrid(&b, header, body, right, f == Markdown)
	if more > 0 {
		fmt.Fprintf(&b, "(%d more rows not shown; use --format csv or jsonl for all)\n", more)
	}
	if f == Table {
		fmt.Fprintf(&b, "(%d %s)\n", len(body)+more, plural(len(body)+more, "row"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// renderGrid writes aligned columns (or a Markdown table) with a header.
func renderGrid(b *strings.Builder, header []string, body [][]string, right []bool, markdown bool) {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, row := range body {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var lb strings.Builder
	line := func(cells []string) {
		lb.Reset()
		if markdown {
			lb.WriteString("| ")
		}
		for i, c := range cells {
			if i > 0 {
				if markdown {
					lb.WriteString(" | ")
				} else {
					lb.WriteString("  ")
				}
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if right[i] {
				lb.WriteString(pad + c)
			} else {
				lb.WriteString(c + pad)
			}
		}
		if markdown {
			lb.WriteString(" |")
			b.WriteString(lb.String())
		} else {
			// No trailing blanks (an empty last header, short bars).
			b.WriteString(strings.TrimRight(lb.String(), " "))
		}
		b.WriteString("\n")
	}
	if markdown {
		for i := range width {
			width[i] = max(width[i], 3)
		}
	}
	sep := make([]string, len(header))
	for i := range sep {
		n := max(width[i], 1)
		switch {
		case markdown && right[i]:
			sep[i] = strings.Repeat("-", n-1) + ":"
		default:
			sep[i] = strings.Repeat("-", n)
		}
	}
	line(header)
	line(sep)
	for _, row := range body {
		line(row)
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
