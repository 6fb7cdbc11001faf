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

// sameInputs reports whether the database was loaded from the inputs that key identifies. It reads the mark
// only if it is a table (not a view: nothing stored in the database runs here, and the sandbox is in force).
func (e *Engine) sameInputs(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	var n int
	err := e.conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?`, metaTable).Scan(&n)
	if err != nil || n == 0 {
		return false, err
	}
	var old string
	err = e.conn.QueryRowContext(ctx, "SELECT value FROM "+metaTable+" WHERE name = 'inputs' LIMIT 1").Scan(&old)
	if errors.Is(err, errNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", metaTable, cleanError(err))
	}
	return old == key, nil
}

// markSQL returns the statements that mark the database as pcapframe's and record the inputs' key.
func markSQL(key string) []string {
	return []string{
		"CREATE OR REPLACE TABLE " + metaTable + " (name VARCHAR, value VARCHAR)",
		"INSERT INTO " + metaTable + " VALUES ('format', " + quoteString(dbFormat) + "), ('inputs', " + quoteString(key) + ")",
	}
}

// dbFormat names the layout of pcapframe's database files.
const dbFormat = "pcapframe-db-1"
