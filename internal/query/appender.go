package query

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/pcapframe/pcapframe/schema"
)

// CreateTableSQL returns the CREATE TABLE statement of table t: one column per schema column, with the DuckDB type
// that Type.SQL gives. A column named in derived is a virtual generated column computed by the given SQL
// expression over the others, instead of a stored one.
func CreateTableSQL[R any](t *schema.Table[R], derived map[string]string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(quoteIdent(t.Name))
	b.WriteString(" (")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.Name))
		b.WriteByte(' ')
		b.WriteString(c.Type.SQL())
		if expr, ok := derived[c.Name]; ok {
			b.WriteString(" GENERATED ALWAYS AS (")
			b.WriteString(expr)
			b.WriteString(") VIRTUAL")
		}
	}
	b.WriteString(")")
	return b.String()
}

// commentSQL returns the COMMENT ON statements that document t and its columns in the database, so that
// duckdb_columns() shows them.
func commentSQL[R any](t *schema.Table[R]) []string {
	out := []string{fmt.Sprintf("COMMENT ON TABLE %s IS %s", quoteIdent(t.Name), quoteString(t.Doc))}
	for _, c := range t.Columns {
		out = append(out, fmt.Sprintf("COMMENT ON COLUMN %s.%s IS %s", quoteIdent(t.Name), quoteIdent(c.Name), quoteString(c.Doc)))
	}
	return out
}

// Loader bulk-loads rows of one table into DuckDB through the appender.
//
// Rows are written straight into the memory of an appender data chunk of 2,048 rows (values, validity bits and
// short strings by the Go code; longer strings with one call into DuckDB each), which duckdb_append_data_chunk
// then hands to the table: there is no per-value boxing and no call into C per NULL. When the raw connection
// cannot be reached (another duckdb-go version), it falls back to duckdb-go's Appender.AppendRow.
type Loader[R any] struct {
	t    *schema.Table[R]
	cols []schema.Column[R] // the stored columns: t's, less the derived ones
	buf  []byte
	n    int64

	// Direct path.
	fast   bool
	app    bindings.Appender
	chunk  bindings.DataChunk
	types  []bindings.LogicalType
	vecs   []bindings.Vector
	data   []unsafe.Pointer
	valid  []unsafe.Pointer
	rowIdx int
	arena  []byte         // long strings of the current chunk; never grown, so its address is stable
	pin    runtime.Pinner // pins arena while DuckDB's chunk points into it

	// Fallback path.
	slow *duckdb.Appender
	vals []driver.Value
	offs []int
}

// NewLoader creates table t (replacing any table or view of that name) and returns a loader of its rows. Columns
// named in derived are computed by DuckDB from the others (see CreateTableSQL) and not loaded.
func NewLoader[R any](ctx context.Context, e *Engine, t *schema.Table[R], derived map[string]string) (*Loader[R], error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := e.dropTable(ctx, t.Name); err != nil {
		return nil, err
	}
	stmts := append([]string{CreateTableSQL(t, derived)}, commentSQL(t)...)
	for _, s := range stmts {
		if _, err := e.conn.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("create table %s: %w", t.Name, cleanError(err))
		}
	}
	l := &Loader[R]{t: t}
	for _, c := range t.Columns {
		if _, ok := derived[c.Name]; !ok {
			l.cols = append(l.cols, c)
		}
	}
	err := e.conn.Raw(func(dc any) error {
		if raw, ok := rawConn(dc); ok && !forceSlowLoader {
			return l.openFast(raw)
		}
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", t.Name)
		l.slow = app
		l.vals = make([]driver.Value, len(l.cols))
		l.offs = make([]int, len(l.cols))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load table %s: %w", t.Name, cleanError(err))
	}
	return l, nil
}

// forceSlowLoader makes NewLoader use the driver's Appender (AppendRow) instead of writing data chunks directly.
// It is true: the direct data-chunk path crashed a CI run with "found bad pointer in Go heap" (TestFlowsTable,
// intermittent), so it stays off until that is found and fixed. Only `--db FILE` loads through the appender
// (in-memory engines stage Parquet, see Stager), so the cost is load speed with --db.
var forceSlowLoader = true

// rawConn returns the DuckDB connection handle inside a duckdb-go driver connection.
func rawConn(dc any) (bindings.Connection, bool) {
	v := reflect.ValueOf(dc)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return bindings.Connection{}, false
	}
	f := v.Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != reflect.TypeFor[bindings.Connection]() || !f.CanAddr() {
		return bindings.Connection{}, false
	}
	c := *(*bindings.Connection)(unsafe.Pointer(f.UnsafeAddr()))
	return c, c.Ptr != nil
}

func (l *Loader[R]) openFast(conn bindings.Connection) error {
	if bindings.AppenderCreate(conn, "", l.t.Name, &l.app) == bindings.StateError {
		msg := bindings.AppenderError(l.app)
		bindings.AppenderDestroy(&l.app)
		return errors.New(msg)
	}
	l.fast = true
	for _, c := range l.cols {
		l.types = append(l.types, bindings.CreateLogicalType(duckType(c.Type)))
	}
	l.chunk = bindings.CreateDataChunk(l.types)
	l.vecs = make([]bindings.Vector, len(l.types))
	l.data = make([]unsafe.Pointer, len(l.types))
	l.valid = make([]unsafe.Pointer, len(l.types))
	l.arena = make([]byte, 0, arenaBytes)
	l.pin.Pin(&l.arena[:1][0])
	l.resetChunk()
	return nil
}

func duckType(t schema.Type) bindings.Type {
	switch t {
	case schema.Bool:
		return bindings.TypeBoolean
	case schema.Int32:
		return bindings.TypeInteger
	case schema.Int64:
		return bindings.TypeBigInt
	case schema.Float64:
		return bindings.TypeDouble
	case schema.Timestamp:
		return bindings.TypeTimestampNS
	case schema.Bytes:
		return bindings.TypeBlob
	}
	return bindings.TypeVarchar
}

// resetChunk empties the data chunk and fetches its vectors' memory again, with every row valid.
func (l *Loader[R]) resetChunk() {
	bindings.DataChunkReset(l.chunk)
	for i := range l.types {
		v := bindings.DataChunkGetVector(l.chunk, bindings.IdxT(i))
		bindings.VectorEnsureValidityWritable(v)
		l.vecs[i] = v
		l.data[i] = bindings.VectorGetData(v)
		l.valid[i] = bindings.VectorGetValidity(v)
	}
	l.rowIdx = 0
	l.arena = l.arena[:0]
}

// arenaBytes is the size of a loader's string arena. Strings that do not fit are copied into DuckDB one call each.
const arenaBytes = 8 << 20

// chunkRows is the capacity of a DuckDB data chunk (STANDARD_VECTOR_SIZE).
const chunkRows = 2048

// Append loads rows. It keeps no reference to them.
func (l *Loader[R]) Append(rows []R) error {
	if !l.fast {
		return l.appendSlow(rows)
	}
	cols := l.cols
	for i := range rows {
		r := &rows[i]
		row := l.rowIdx
		for j := range cols {
			c := &cols[j]
			p := l.data[j]
			switch c.Type {
			case schema.Bool:
				x, ok := c.Int(r)
				if !ok {
					setNull(l.valid[j], row)
					continue
				}
				*(*bool)(unsafe.Add(p, row)) = x != 0
			case schema.Int32:
				x, ok := c.Int(r)
				if !ok {
					setNull(l.valid[j], row)
					continue
				}
				*(*int32)(unsafe.Add(p, 4*row)) = int32(x)
			case schema.Int64, schema.Timestamp:
				x, ok := c.Int(r)
				if !ok {
					setNull(l.valid[j], row)
					continue
				}
				*(*int64)(unsafe.Add(p, 8*row)) = x
			case schema.Float64:
				x, ok := c.Float(r)
				if !ok {
					setNull(l.valid[j], row)
					continue
				}
				*(*float64)(unsafe.Add(p, 8*row)) = x
			case schema.String, schema.Bytes:
				// The value is appended to the chunk's arena; a long one stays there and the vector points to it.
				start := len(l.arena)
				out, ok := c.Append(r, l.arena[start:start:cap(l.arena)])
				if !ok {
					setNull(l.valid[j], row)
					continue
				}
				inArena := len(out) > 0 && start < cap(l.arena) && unsafe.SliceData(out) == &l.arena[:start+1][start]
				if c.Type == schema.String && !utf8.Valid(out) {
					out = []byte(strings.ToValidUTF8(string(out), "\uFFFD"))
					inArena = false
				}
				s := (*[16]byte)(unsafe.Add(p, 16*row))
				switch {
				case len(out) <= 12:
					// An inlined duckdb_string_t: the length, then up to 12 bytes, zero-padded.
					*(*uint32)(unsafe.Pointer(&s[0])) = uint32(len(out))
					n := copy(s[4:], out)
					clear(s[4+n:])
				case inArena:
					// A pointer duckdb_string_t: the length, a 4-byte prefix, then the address of the bytes, which
					// stay put (the arena is pinned) until the chunk is appended.
					*(*uint32)(unsafe.Pointer(&s[0])) = uint32(len(out))
					copy(s[4:8], out)
					*(*unsafe.Pointer)(unsafe.Pointer(&s[8])) = unsafe.Pointer(unsafe.SliceData(out))
					l.arena = l.arena[:start+len(out)]
				default:
					bindings.UnsafeVectorAssignStringElementLen(l.vecs[j], bindings.IdxT(row), out)
				}
			}
		}
		l.rowIdx++
		l.n++
		if l.rowIdx == chunkRows {
			if err := l.flushChunk(); err != nil {
				return err
			}
		}
	}
	return nil
}

// setNull clears the validity bit of row.
func setNull(mask unsafe.Pointer, row int) {
	w := (*uint64)(unsafe.Add(mask, 8*(row>>6)))
	*w &^= 1 << (row & 63)
}

// flushChunk appends the rows of the chunk to the table.
func (l *Loader[R]) flushChunk() error {
	if l.rowIdx == 0 {
		return nil
	}
	bindings.DataChunkSetSize(l.chunk, bindings.IdxT(l.rowIdx))
	if bindings.AppendDataChunk(l.app, l.chunk) == bindings.StateError {
		return fmt.Errorf("load table %s: %s", l.t.Name, oneLine(bindings.AppenderError(l.app)))
	}
	l.resetChunk()
	return nil
}

func (l *Loader[R]) appendSlow(rows []R) error {
	cols := l.cols
	for i := range rows {
		r := &rows[i]
		l.buf = l.buf[:0]
		for j := range cols {
			c := &cols[j]
			var v driver.Value
			switch c.Type {
			case schema.Bool:
				if x, ok := c.Int(r); ok {
					v = x != 0
				}
			case schema.Int32, schema.Int64:
				if x, ok := c.Int(r); ok {
					v = x
				}
			case schema.Timestamp:
				if x, ok := c.Int(r); ok {
					v = time.Unix(0, x).UTC()
				}
			case schema.Float64:
				if x, ok := c.Float(r); ok {
					v = x
				}
			case schema.String, schema.Bytes:
				start := len(l.buf)
				var ok bool
				l.buf, ok = c.Append(r, l.buf)
				if ok && c.Type == schema.String && !utf8.Valid(l.buf[start:]) {
					l.buf = append(l.buf[:start], strings.ToValidUTF8(string(l.buf[start:]), "\uFFFD")...)
				}
				l.offs[j] = len(l.buf)
				if ok {
					v = textMark
				}
			}
			l.vals[j] = v
		}
		// The text values are sliced only now: buf may have moved while it grew.
		prev := 0
		for j := range cols {
			if cols[j].Type != schema.String && cols[j].Type != schema.Bytes {
				continue
			}
			if l.vals[j] != nil {
				l.vals[j] = l.buf[prev:l.offs[j]:l.offs[j]]
			}
			prev = l.offs[j]
		}
		if err := l.slow.AppendRow(l.vals...); err != nil {
			return fmt.Errorf("load table %s: %w", l.t.Name, cleanError(err))
		}
		l.n++
	}
	return nil
}

// textMark stands for a present text value until the row's text is complete.
var textMark = struct{}{}

// Rows returns the number of rows appended so far.
func (l *Loader[R]) Rows() int64 { return l.n }

// Close flushes the remaining rows into the table and releases the appender. It is safe to call twice.
func (l *Loader[R]) Close() error {
	if l.slow != nil {
		err := l.slow.Close()
		l.slow = nil
		if err != nil {
			return fmt.Errorf("load table %s: %w", l.t.Name, cleanError(err))
		}
		return nil
	}
	if !l.fast {
		return nil
	}
	l.fast = false
	err := l.flushChunk()
	if err == nil && bindings.AppenderClose(l.app) == bindings.StateError {
		err = fmt.Errorf("load table %s: %s", l.t.Name, oneLine(bindings.AppenderError(l.app)))
	}
	bindings.AppenderDestroy(&l.app)
	bindings.DestroyDataChunk(&l.chunk)
	l.pin.Unpin()
	l.arena = nil
	for i := range l.types {
		bindings.DestroyLogicalType(&l.types[i])
	}
	return err
}
