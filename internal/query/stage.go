package query

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pcapframe/pcapframe/internal/sink"
	"github.com/pcapframe/pcapframe/schema"
)

// rowSink receives the rows of one table built from captures: the appender (Loader) for a database file, the
// staging writer (Stager) for an in-memory engine.
type rowSink[R any] interface {
	Append(rows []R) error
	Close() error
	Rows() int64
}

// Stager builds a table of an in-memory engine by writing its rows to an uncompressed Parquet file in the
// engine's private staging directory and making the table a view over that file. DuckDB scans the file in
// parallel and without holding the rows in memory, which makes loading a capture several times faster than the
// appender (which appends on one thread into DuckDB's memory; see BENCHMARKS.md) and keeps memory flat. The
// file is binary, typed Parquet written from the schema: no text round-trip. Columns named in derived are
// computed by the view, as the appender's tables compute them.
type Stager[R any] struct {
	e       *Engine
	t       *schema.Table[R]
	derived map[string]string
	path    string
	w       sink.Writer[R]
	n       int64
	closed  bool
}

// NewStager starts staging table t.
func NewStager[R any](e *Engine, t *schema.Table[R], derived map[string]string) (*Stager[R], error) {
	var stored []string
	for _, c := range t.Columns {
		if _, ok := derived[c.Name]; !ok {
			stored = append(stored, c.Name)
		}
	}
	sel, err := t.Select(stored)
	if err != nil {
		return nil, err
	}
	dir, err := e.stageDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, t.Name+".parquet")
	w, err := sink.Create(sel, sink.Parquet, path, sink.Options{Compression: "none"})
	if err != nil {
		return nil, fmt.Errorf("stage table %s: %w", t.Name, err)
	}
	return &Stager[R]{e: e, t: t, derived: derived, path: path, w: w}, nil
}

// Append writes rows to the staging file.
func (s *Stager[R]) Append(rows []R) error {
	if err := s.w.Write(rows); err != nil {
		return fmt.Errorf("stage table %s: %w", s.t.Name, err)
	}
	s.n += int64(len(rows))
	return nil
}

// Rows returns the number of rows staged.
func (s *Stager[R]) Rows() int64 { return s.n }

// Close completes the staging file and creates the view: the stored columns from the file and the derived ones
// computed, in the table's column order. It is safe to call twice.
func (s *Stager[R]) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("stage table %s: %w", s.t.Name, err)
	}
	cols := make([]string, len(s.t.Columns))
	for i, c := range s.t.Columns {
		if expr, ok := s.derived[c.Name]; ok {
			cols[i] = fmt.Sprintf("CAST(%s AS %s) AS %s", expr, c.Type.SQL(), quoteIdent(c.Name))
		} else {
			cols[i] = quoteIdent(c.Name)
		}
	}
	ctx := context.Background()
	if err := s.e.dropTable(ctx, s.t.Name); err != nil {
		return err
	}
	stmt := fmt.Sprintf("CREATE VIEW %s AS SELECT %s FROM read_parquet(%s)", quoteIdent(s.t.Name), strings.Join(cols, ", "), quoteString(s.path))
	if _, err := s.e.conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("create view %s: %w", s.t.Name, cleanError(err))
	}
	s.e.allowed = append(s.e.allowed, s.path)
	return nil
}

// stageDir returns the engine's private staging directory, creating it on first use; Close removes it.
func (e *Engine) stageDir() (string, error) {
	if e.stage != "" {
		return e.stage, nil
	}
	dir, err := os.MkdirTemp(e.opts.TempDir, "pcapframe-stage-")
	if err != nil {
		return "", fmt.Errorf("create staging directory: %w", err)
	}
	e.stage = dir
	return dir, nil
}
