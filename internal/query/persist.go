package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pcapframe/pcapframe/capture"
)

// inputsTable records, in a database file, which inputs its tables were loaded from, so that the next run with
// the same inputs reuses them instead of decoding again. It is hidden from table listings.
const inputsTable = "_pcapframe_inputs"

// loadFormat changes whenever the tables built from captures change shape, so that old database files are
// loaded again instead of reused.
const loadFormat = "pcapframe-load-1"

var errNoRows = sql.ErrNoRows

// expandCaptures turns capture inputs (files, directories, "-") into the list of files that pipeline.Run reads.
func expandCaptures(inputs []string) ([]string, error) { return capture.Expand(inputs) }

// isCaptureError reports whether err is a problem of one capture (damaged, truncated, not a capture) after which
// the rows of the other inputs are still loaded.
func isCaptureError(err error) bool {
	var ce *capture.Error
	return errors.As(err, &ce)
}

// inputsKey identifies the inputs of a load: every file with its size and modification time, and the tables
// built. It is "" when the inputs cannot be identified (standard input), which is never reused.
func inputsKey(captures, parquets []string, defs []tableDef) (string, error) {
	var b strings.Builder
	b.WriteString(loadFormat)
	for _, d := range defs {
		b.WriteString("\ntable " + d.name + " " + strconv.Itoa(len(d.columns)))
	}
	for _, list := range [][]string{captures, parquets} {
		for _, p := range list {
			if p == "-" {
				return "", nil
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				return "", fmt.Errorf("open %q: %w", p, err)
			}
			fi, err := os.Stat(p)
			if err != nil {
				return "", fmt.Errorf("open %q: %w", p, unwrapPathError(err))
			}
			fmt.Fprintf(&b, "\n%s %d %d", abs, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String(), nil
}

// sameInputs reports whether the database was loaded from the inputs that key identifies.
func (e *Engine) sameInputs(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	ok, err := e.HasTable(ctx, inputsTable)
	if err != nil || !ok {
		return false, err
	}
	var old string
	err = e.conn.QueryRowContext(ctx, "SELECT key FROM "+inputsTable+" LIMIT 1").Scan(&old)
	if errors.Is(err, errNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", inputsTable, cleanError(err))
	}
	return old == key, nil
}

// saveInputs records key as the inputs of the database's tables.
func (e *Engine) saveInputs(ctx context.Context, key string) error {
	stmts := []string{
		"CREATE OR REPLACE TABLE " + inputsTable + " (key VARCHAR)",
		"INSERT INTO " + inputsTable + " VALUES (" + quoteString(key) + ")",
		"CHECKPOINT",
	}
	for _, s := range stmts {
		if _, err := e.conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("save %s: %w", inputsTable, cleanError(err))
		}
	}
	return nil
}

// forgetInputs removes the record of the inputs, before a load replaces the tables.
func (e *Engine) forgetInputs(ctx context.Context) error {
	if _, err := e.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+inputsTable); err != nil {
		return fmt.Errorf("drop %s: %w", inputsTable, cleanError(err))
	}
	return nil
}

// storedParquet returns the Parquet files recorded as inputs of the database file's tables.
func (e *Engine) storedParquet(ctx context.Context) ([]string, error) {
	ok, err := e.HasTable(ctx, inputsTable)
	if err != nil || !ok {
		return nil, err
	}
	var key string
	err = e.conn.QueryRowContext(ctx, "SELECT key FROM "+inputsTable+" LIMIT 1").Scan(&key)
	if errors.Is(err, errNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", inputsTable, cleanError(err))
	}
	var out []string
	for _, line := range strings.Split(key, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] == "table" {
			continue
		}
		// "PATH SIZE MTIME": the path may hold spaces.
		p := strings.TrimSpace(line[:len(line)-len(f[len(f)-1])-len(f[len(f)-2])-2])
		if isParquet(p) {
			out = append(out, p)
		}
	}
	return out, nil
}
