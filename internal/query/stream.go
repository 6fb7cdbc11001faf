package query

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// Streaming results.
//
// duckdb-go (v2.20000.0) runs every query with duckdb_pending_prepared, whose result DuckDB materialises whole
// before the first row can be read, outside its memory_limit: `SELECT * FROM range(300000000)` held 2.5 GB and
// printed nothing for 14 s. DuckDB's C API has streaming results (duckdb_pending_prepared_streaming, then
// duckdb_fetch_chunk runs the query a chunk at a time), which duckdb-go does not offer yet (duckdb/duckdb-go pull
// request 165 is a draft). So a query is prepared through duckdb-go, executed here with the streaming call of its
// mapping package, and its chunks read by duckdb-go's own row reader (newRowsWithStmt, reached by go:linkname),
// which converts values exactly as database/sql's path does. The unexported fields this needs are found by
// reflection and checked for their types: if they are not what this file expects (another duckdb-go version),
// streaming is off and queries go through database/sql as before (TestStreamingAvailable fails then, so the
// change is seen).

//go:linkname newRowsWithStmt github.com/duckdb/duckdb-go/v2.newRowsWithStmt
func newRowsWithStmt(res mapping.Result, stmt *duckdb.Stmt) unsafe.Pointer

// rowSource is what a Result reads its rows from.
type rowSource interface {
	columns() ([]ColumnInfo, error)
	next(dst []any) error // io.EOF at the end
	close() error
}

var (
	rowsTypeOnce sync.Once
	rowsTypeDone bool         // the shape was checked
	rowsType     reflect.Type // duckdb-go's rows, if its shape is the expected one
)

// streamingOK reports whether the unexported parts of duckdb-go that streaming uses have the expected shape;
// probe is a driver.Rows of duckdb-go, from which its rows type is taken.
func streamingOK(probe driver.Rows) bool {
	rowsTypeOnce.Do(func() {
		rowsTypeDone = true
		t := reflect.TypeOf(probe)
		if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
			return
		}
		e := t.Elem()
		res, ok1 := e.FieldByName("res")
		stmt, ok2 := e.FieldByName("stmt")
		st := reflect.TypeFor[duckdb.Stmt]()
		ps, ok3 := st.FieldByName("preparedStmt")
		cn, ok4 := st.FieldByName("conn")
		cor, ok5 := st.FieldByName("closeOnRowsClose")
		if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || res.Type != reflect.TypeFor[mapping.Result]() ||
			stmt.Type != reflect.TypeFor[*duckdb.Stmt]() || ps.Type != reflect.TypeFor[*mapping.PreparedStatement]() ||
			cn.Type != reflect.TypeFor[*duckdb.Conn]() || cor.Type.Kind() != reflect.Bool {
			return
		}
		if c, ok := reflect.TypeFor[duckdb.Conn]().FieldByName("conn"); !ok || c.Type != reflect.TypeFor[mapping.Connection]() {
			return
		}
		rowsType = e
	})
	return rowsType != nil
}

// fieldAt returns a pointer to the field called name of the struct *p.
func fieldAt[T any](p any, name string) *T {
	f := reflect.ValueOf(p).Elem().FieldByName(name)
	return (*T)(f.Addr().UnsafePointer())
}

// streamQuery runs q (one statement) with a streaming result on the engine's connection. It returns nil and no
// error if streaming is not available; the caller then queries through database/sql.
func (e *Engine) streamQuery(ctx context.Context, q string) (rowSource, error) {
	var src *streamRows
	err := e.conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return nil
		}
		if !rowsTypeDone {
			probe, err := c.QueryContext(ctx, "SELECT 1", nil)
			if err != nil {
				return err
			}
			streamingOK(probe)
			probe.Close()
		}
		if rowsType == nil {
			return nil
		}
		ds, err := c.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		s := ds.(*duckdb.Stmt)
		ps := *fieldAt[*mapping.PreparedStatement](s, "preparedStmt")
		conn := *fieldAt[mapping.Connection](*fieldAt[*duckdb.Conn](s, "conn"), "conn")
		// DuckDB runs the query in ExecutePending and in every fetch: an interrupt of the connection stops it
		// there whenever ctx is done, until the rows are closed.
		stop := context.AfterFunc(ctx, func() { mapping.Interrupt(conn) })
		fail := func(err error) error {
			stop()
			s.Close()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		var pending mapping.PendingResult
		if bindings.PendingPreparedStreaming(*ps, &pending) == mapping.StateError {
			err := duckdbError(mapping.PendingError(pending))
			mapping.DestroyPending(&pending)
			return fail(err)
		}
		var res mapping.Result
		state := mapping.ExecutePending(pending, &res)
		mapping.DestroyPending(&pending)
		if state == mapping.StateError {
			err := duckdbError(mapping.ResultError(&res))
			mapping.DestroyResult(&res)
			return fail(err)
		}
		// The rows close the statement when they are closed, as after duckdb-go's own QueryContext.
		*fieldAt[bool](s, "closeOnRowsClose") = true
		p := newRowsWithStmt(res, s)
		rows := reflect.NewAt(rowsType, p).Interface().(driver.Rows)
		src = &streamRows{ctx: ctx, rows: rows, res: fieldAt[mapping.Result](rows, "res"), stop: stop}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, nil
	}
	return src, nil
}

// duckdbError makes an error of a DuckDB error message ("Binder Error: ..."), on one line as cleanError makes
// duckdb-go's.
func duckdbError(msg string) error {
	if msg == "" {
		msg = "unknown DuckDB error"
	}
	return errors.New(oneLine(msg))
}

// streamRows reads a streaming result through duckdb-go's row reader.
type streamRows struct {
	ctx  context.Context
	rows driver.Rows
	res  *mapping.Result // the rows' result, for the error that ends a stream
	stop func() bool
	vals []driver.Value
	done bool
}

func (s *streamRows) columns() ([]ColumnInfo, error) {
	names := s.rows.Columns()
	typed, ok := s.rows.(driver.RowsColumnTypeDatabaseTypeName)
	if !ok {
		return nil, errors.New("duckdb-go rows without column types")
	}
	cols := make([]ColumnInfo, len(names))
	for i, n := range names {
		cols[i] = ColumnInfo{Name: n, Type: typed.ColumnTypeDatabaseTypeName(i)}
	}
	s.vals = make([]driver.Value, len(names))
	return cols, nil
}

func (s *streamRows) next(dst []any) error {
	if s.done {
		return io.EOF
	}
	err := s.rows.Next(s.vals)
	if errors.Is(err, io.EOF) {
		s.done = true
		// A streaming result that ends early (an error in the query, an interrupt) ends like a complete one in
		// duckdb-go's reader: the error is the result's.
		if msg := mapping.ResultError(s.res); msg != "" {
			if s.ctx.Err() != nil {
				return s.ctx.Err()
			}
			return duckdbError(msg)
		}
		if s.ctx.Err() != nil {
			return s.ctx.Err()
		}
		return io.EOF
	}
	if err != nil {
		return err
	}
	for i, v := range s.vals {
		dst[i] = v
	}
	return nil
}

func (s *streamRows) close() error {
	err := s.rows.Close()
	s.stop()
	return err
}

// sqlRows reads a result through database/sql (when streaming is not available).
type sqlRows struct {
	rows *sql.Rows
	ptrs []any
	vals []any
}

func (s *sqlRows) columns() ([]ColumnInfo, error) {
	types, err := s.rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]ColumnInfo, len(types))
	for i, t := range types {
		cols[i] = ColumnInfo{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	s.vals = make([]any, len(types))
	s.ptrs = make([]any, len(types))
	for i := range s.vals {
		s.ptrs[i] = &s.vals[i]
	}
	return cols, nil
}

func (s *sqlRows) next(dst []any) error {
	if !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	if err := s.rows.Scan(s.ptrs...); err != nil {
		return fmt.Errorf("read row: %w", err)
	}
	copy(dst, s.vals)
	return nil
}

func (s *sqlRows) close() error { return s.rows.Close() }
