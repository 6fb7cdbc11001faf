package query

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// Stager builds a table from rows by writing them to an uncompressed Parquet file in the engine's private
// staging directory. The file is binary, typed Parquet written from the schema: no text round-trip.
//
// For an in-memory engine, Close makes the table a view over that file: DuckDB scans it in parallel and without
// holding the rows in memory, which keeps memory flat. For an engine with a database file, Close creates a
// native table (see CreateTableSQL), fills it with one parallel INSERT ... SELECT FROM read_parquet, and removes
// the file. Columns named in derived are computed by DuckDB in either case, from the stored columns: by the view,
// or as virtual generated columns of the table.
type Stager[R any] struct {
	e       *Engine
	t       *schema.Table[R]
	derived map[string]string
	stored  []string // the columns written to the file: t's, less the derived ones
	path    string
	f       *os.File
	w       tables.Writer // a sink.Writer[R] for NewStager; a table definition's writer for the table list
	n       int64
	closed  bool
}

// NewStager starts staging table t.
func NewStager[R any](e *Engine, t *schema.Table[R], derived map[string]string) (*Stager[R], error) {
	return newStager(e, t, derived, func(stored []string, f io.Writer, opts sink.Options) (tables.Writer, error) {
		sel, err := t.Select(stored)
		if err != nil {
			return nil, err
		}
		w, err := sink.New(sel, sink.Parquet, f, opts)
		if err != nil {
			return nil, err
		}
		return tables.Erase(w), nil
	})
}

// newStager starts staging table t (whose columns' names, types and docs only are read) with the Parquet writer
// of its stored columns that open makes.
func newStager[R any](e *Engine, t *schema.Table[R], derived map[string]string, open func(stored []string, f io.Writer, opts sink.Options) (tables.Writer, error)) (*Stager[R], error) {
	var stored []string
	for _, c := range t.Columns {
		if _, ok := derived[c.Name]; !ok {
			stored = append(stored, c.Name)
		}
	}
	dir, err := e.stageDir()
	if err != nil {
		return nil, err
	}
	// Every staging file has a new name: DuckDB caches Parquet metadata by path (parquet_metadata_cache), and a
	// table that is staged again in the same engine must not be read through the old file's metadata.
	e.staged++
	path := filepath.Join(dir, t.Name+"-"+strconv.Itoa(e.staged)+".parquet")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("stage table %s: %w", t.Name, err)
	}
	// The writer's writes are large (the pages of a column chunk, the footer), so the file takes them unbuffered.
	// Twice as many column workers as cores: the decoding goroutine shares the cores with them, and with more
	// workers the columns of a chunk are spread more finely over the time the cores are free (measured: 2-4%
	// faster loading with 4 workers than with 2 on two cores).
	w, err := open(stored, f, sink.Options{Compression: "none", Workers: 2 * runtime.GOMAXPROCS(0)})
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("stage table %s: %w", t.Name, err)
	}
	return &Stager[R]{e: e, t: t, derived: derived, stored: stored, path: path, f: f, w: w}, nil
}

// Append writes rows to the staging file.
func (s *Stager[R]) Append(rows []R) error { return s.write(rows, len(rows)) }

// write writes n rows (a slice of the writer's row type) to the staging file.
func (s *Stager[R]) write(rows any, n int) error {
	if s.closed {
		return fmt.Errorf("stage table %s: %w", s.t.Name, sink.ErrClosed)
	}
	if err := s.w.Write(rows); err != nil {
		return fmt.Errorf("stage table %s: %w", s.t.Name, err)
	}
	s.n += int64(n)
	return nil
}

// Rows returns the number of rows staged.
func (s *Stager[R]) Rows() int64 { return s.n }

// Close completes the staging file and makes the table from it: a view for an in-memory engine, a native table
// for a database file. It is safe to call twice.
func (s *Stager[R]) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.w.Close()
	if cerr := s.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(s.path)
		return fmt.Errorf("stage table %s: %w", s.t.Name, err)
	}
	ctx := context.Background()
	if s.e.opts.Path != "" {
		err := s.insert(ctx)
		if rerr := os.Remove(s.path); err == nil && rerr != nil {
			err = fmt.Errorf("stage table %s: %w", s.t.Name, rerr)
		}
		return err
	}
	return s.view(ctx)
}

// view makes the table a view over the staging file: the stored columns from the file and the derived ones
// computed, in the table's column order.
func (s *Stager[R]) view(ctx context.Context) error {
	cols := make([]string, len(s.t.Columns))
	for i, c := range s.t.Columns {
		if expr, ok := s.derived[c.Name]; ok {
			cols[i] = fmt.Sprintf("CAST(%s AS %s) AS %s", expr, c.Type.SQL(), quoteIdent(c.Name))
		} else {
			cols[i] = quoteIdent(c.Name)
		}
	}
	if err := s.e.dropTable(ctx, s.t.Name); err != nil {
		return err
	}
	stmt := fmt.Sprintf("CREATE VIEW %s AS SELECT %s FROM read_parquet(%s)", quoteIdent(s.t.Name), strings.Join(cols, ", "), quoteString(s.path))
	if _, err := s.e.conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("create view %s: %w", s.t.Name, cleanError(err))
	}
	return nil
}

// insert creates the native table (replacing any table or view of that name), documents it, and fills its
// stored columns from the staging file.
func (s *Stager[R]) insert(ctx context.Context) error {
	name := s.e.builtName(s.t.Name) // a temporary name while a database file is reloaded (Engine.swap)
	if err := s.e.dropTable(ctx, name); err != nil {
		return err
	}
	cols := make([]string, len(s.stored))
	for i, c := range s.stored {
		cols[i] = quoteIdent(c)
	}
	list := strings.Join(cols, ", ")
	// One transaction, so that a failed load leaves no half-filled table. DuckDB writes the rows of a large
	// insert straight to the database file (not through the write-ahead log) and compresses them on the way.
	built := *s.t
	built.Name = name
	stmts := []string{"BEGIN TRANSACTION", CreateTableSQL(&built, s.derived)}
	stmts = append(stmts, commentSQL(&built)...)
	stmts = append(stmts, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM read_parquet(%s)", quoteIdent(name), list, list, quoteString(s.path)), "COMMIT")
	for _, stmt := range stmts {
		if _, err := s.e.conn.ExecContext(ctx, stmt); err != nil {
			s.e.conn.ExecContext(ctx, "ROLLBACK")
			return fmt.Errorf("load table %s: %w", s.t.Name, cleanError(err))
		}
	}
	return nil
}

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

// stageDir returns the engine's private staging directory (inside its private temporary directory, which Close
// removes; a session stages in its engine's).
func (e *Engine) stageDir() (string, error) {
	if e.main != nil {
		return e.main.stageDir()
	}
	return e.stage, nil
}
