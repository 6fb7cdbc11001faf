package query

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// The sandbox (see docs/DESIGN.md, "The SQL sandbox"): who is trusted is the person at the command line, and
// only what that person gave on the command line (the inputs, the flags) configures it. Capture contents,
// database files, Parquet footers and query text are not trusted: nothing read from them decides which files a
// query may touch, and nothing stored in a database file runs before the sandbox is in force.
//
// Without Options.AllowFiles, from the first statement of the connection:
//   - DuckDB's external access is off; the files a query can still read are the Parquet inputs (allowed_paths)
//     and the engine's private temporary directory (allowed_directories), which pcapframe creates and removes;
//   - extensions are neither installed nor loaded (also not automatically when the database file is opened);
//   - the configuration is locked (SET, RESET, PRAGMA that would change a setting fail);
//   - a user statement (Engine.Query, Engine.Exec) runs only if DuckDB's parser finds exactly one statement in
//     its text and that statement's type is one that cannot write files (checkStatement): COPY, EXPORT, ATTACH,
//     DETACH, INSTALL/LOAD, PREPARE/EXECUTE and EXPLAIN of any of them are refused. DuckDB lets a query write to
//     its allowed paths and to its own database file; refusing the statements that write keeps the inputs and
//     the database read-only to queries.

// ErrNotDuckDB is returned by Open for a database path that holds a file of another kind.
var ErrNotDuckDB = errors.New("not a DuckDB database")

// ErrForeignDatabase is returned by Open for a DuckDB database that pcapframe did not create (Options.Foreign).
var ErrForeignDatabase = errors.New("a DuckDB database that pcapframe did not create")

// ErrRefused is the error of a statement the sandbox does not run.
var ErrRefused = errors.New("refused by the sandbox")

// metaTable marks a database file as pcapframe's and records which inputs its tables were loaded from. It is
// hidden from table listings, as every table whose name starts with internalPrefix.
const (
	metaTable      = "_pcapframe_meta"
	internalPrefix = "_pcapframe"
	buildPrefix    = "_pcapframe_new_"
)

// isInternal reports whether a table of the main schema is pcapframe's own bookkeeping.
func isInternal(name string) bool { return strings.HasPrefix(name, internalPrefix) }

// sandboxSettings are the statements that put the sandbox in force: the private directory tmp and the Parquet
// inputs stay readable, nothing else.
func sandboxSettings(tmp string, readable []string) []string {
	quoted := make([]string, len(readable))
	for i, p := range readable {
		quoted[i] = quoteString(p)
	}
	return []string{
		"SET allowed_directories = [" + quoteString(tmp+string(filepath.Separator)) + "]",
		"SET allowed_paths = [" + strings.Join(quoted, ", ") + "]",
		"SET enable_external_access = false",
		"SET allow_community_extensions = false",
		"SET lock_configuration = true",
	}
}

// parquetInputs returns the absolute paths of the Parquet files among inputs (as Load classifies them).
func parquetInputs(inputs []string) ([]string, error) {
	if len(inputs) == 0 {
		return nil, nil
	}
	_, parquets, _, err := classify(inputs)
	return parquets, err
}

// checkDatabaseFile checks the database path before DuckDB opens it: its directory exists, and the file, if
// there is one, is a DuckDB database (a file of another kind is refused before DuckDB sees it). created reports
// whether there is no database yet (no file, or an empty one, which is removed).
func checkDatabaseFile(path string) (created bool, err error) {
	if strings.ContainsAny(path, "?%") {
		return false, fmt.Errorf("database %q: a database path cannot contain '?' or '%%'", path)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return false, fmt.Errorf("open database %q: %w", path, unwrapPathError(err))
	}
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("open database %q: %w", path, unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("database %q: %w (not a regular file)", path, ErrNotDuckDB)
	}
	if fi.Size() == 0 {
		// What a failed creation can leave; DuckDB would refuse it.
		if err := os.Remove(path); err != nil {
			return false, fmt.Errorf("open database %q: %w", path, err)
		}
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("open database %q: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	var head [16]byte
	n, _ := io.ReadFull(f, head[:])
	switch {
	case n >= 12 && string(head[8:12]) == "DUCK":
		return false, nil
	case n >= 4 && string(head[:4]) == "PAR1":
		return false, fmt.Errorf("database %q: %w: it is a Parquet file (name it as an input instead)", path, ErrNotDuckDB)
	case n == 16 && string(head[:]) == "SQLite format 3\x00":
		return false, fmt.Errorf("database %q: %w: it is a SQLite database", path, ErrNotDuckDB)
	}
	return false, fmt.Errorf("database %q: %w", path, ErrNotDuckDB)
}

// removeDatabase removes a database file that this run created and could not complete, with its write-ahead
// log.
func removeDatabase(path string) {
	os.Remove(path)
	os.Remove(path + ".wal")
}

// checkOwner finds whether the database holds tables or views but no pcapframe mark (e.foreign). It reads only
// DuckDB's catalog (no view runs).
func (e *Engine) checkOwner(ctx context.Context) error {
	var objects, marks int
	err := e.conn.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE name = ? AND kind = 'table' AND schema_name = 'main')
		FROM (SELECT table_name AS name, 'table' AS kind, schema_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal
		      UNION ALL SELECT view_name, 'view', schema_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal)`,
		metaTable).Scan(&objects, &marks)
	if err != nil {
		return fmt.Errorf("read database %q: %w", e.opts.Path, cleanError(err))
	}
	e.foreign = objects > 0 && marks == 0
	return nil
}

// checkLoad refuses to load into a foreign database (one pcapframe did not create) unless Options.Foreign: the
// load would replace its tables named as pcapframe's.
func (e *Engine) checkLoad() error {
	if e.foreign && !e.opts.Foreign {
		return fmt.Errorf("database %q: %w: loading would replace its tables named as pcapframe's (say --db-foreign to allow it)", e.opts.Path, ErrForeignDatabase)
	}
	return nil
}

// allowedTypes are the statement types a user statement may have in the sandbox: none of them writes a file.
var allowedTypes = map[duckdb.StmtType]bool{
	duckdb.STATEMENT_TYPE_SELECT: true, duckdb.STATEMENT_TYPE_INSERT: true, duckdb.STATEMENT_TYPE_UPDATE: true,
	duckdb.STATEMENT_TYPE_DELETE: true, duckdb.STATEMENT_TYPE_CREATE: true, duckdb.STATEMENT_TYPE_DROP: true,
	duckdb.STATEMENT_TYPE_ALTER: true, duckdb.STATEMENT_TYPE_TRANSACTION: true, duckdb.STATEMENT_TYPE_ANALYZE: true,
	duckdb.STATEMENT_TYPE_VARIABLE_SET: true, duckdb.STATEMENT_TYPE_CREATE_FUNC: true,
	duckdb.STATEMENT_TYPE_PRAGMA: true, duckdb.STATEMENT_TYPE_VACUUM: true, duckdb.STATEMENT_TYPE_CALL: true,
	duckdb.STATEMENT_TYPE_SET: true,
}

var typeNames = map[duckdb.StmtType]string{
	duckdb.STATEMENT_TYPE_COPY: "COPY", duckdb.STATEMENT_TYPE_EXPORT: "EXPORT", duckdb.STATEMENT_TYPE_ATTACH: "ATTACH",
	duckdb.STATEMENT_TYPE_DETACH: "DETACH", duckdb.STATEMENT_TYPE_LOAD: "LOAD", duckdb.STATEMENT_TYPE_EXTENSION: "INSTALL",
	duckdb.STATEMENT_TYPE_PREPARE: "PREPARE", duckdb.STATEMENT_TYPE_EXECUTE: "EXECUTE",
}

// checkStatement returns nil when the sandbox lets the user statement q run: it is exactly one statement (so
// that nothing runs unchecked: DuckDB's driver runs every statement of a text but the last while preparing it)
// and of an allowed type; EXPLAIN is allowed when the statement it explains is.
func (e *Engine) checkStatement(ctx context.Context, q string) error {
	if !e.locked {
		return nil
	}
	n, err := CountStatements(q)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrEmptyQuery
	}
	if n > 1 {
		return fmt.Errorf("%w: %d statements in one query text; run them one at a time", ErrRefused, n)
	}
	return e.checkOne(ctx, q, 0)
}

func (e *Engine) checkOne(ctx context.Context, q string, depth int) error {
	typ, err := e.statementType(ctx, q)
	if err != nil {
		return nil // DuckDB reports the error when the statement runs; nothing ran
	}
	if typ == duckdb.STATEMENT_TYPE_EXPLAIN {
		inner, ok := explained(q)
		if !ok || depth > 0 {
			return fmt.Errorf("%w: EXPLAIN of this statement", ErrRefused)
		}
		if _, err := e.statementType(ctx, inner); err != nil {
			return fmt.Errorf("%w: EXPLAIN of a statement that cannot be checked (%v)", ErrRefused, cleanError(err))
		}
		if err := e.checkOne(ctx, inner, depth+1); err != nil {
			return err
		}
		return nil
	}
	if !allowedTypes[typ] {
		name := typeNames[typ]
		if name == "" {
			name = fmt.Sprintf("this kind of statement (type %d)", typ)
		}
		return fmt.Errorf("%w: %s cannot run without --allow-files (queries read the inputs only and write no file)", ErrRefused, name)
	}
	return nil
}

// statementType prepares the single statement q on the engine's connection and returns its type.
func (e *Engine) statementType(ctx context.Context, q string) (duckdb.StmtType, error) {
	typ := duckdb.STATEMENT_TYPE_INVALID
	err := e.conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.ErrUnsupported
		}
		s, err := pc.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer s.Close()
		ds, ok := s.(*duckdb.Stmt)
		if !ok {
			return errors.ErrUnsupported
		}
		typ, err = ds.StatementType()
		return err
	})
	return typ, err
}

// explained returns the statement that an EXPLAIN statement explains: the text after EXPLAIN, an optional
// ANALYZE (or ANALYSE) and an optional parenthesised option list, comments and blanks skipped.
func explained(q string) (string, bool) {
	i := skipBlank(q, 0)
	w, i := word(q, i)
	if !strings.EqualFold(w, "explain") {
		return "", false
	}
	j := skipBlank(q, i)
	if w, k := word(q, j); strings.EqualFold(w, "analyze") || strings.EqualFold(w, "analyse") {
		j = skipBlank(q, k)
	}
	if j < len(q) && q[j] == '(' {
		depth := 0
		for ; j < len(q); j++ {
			switch q[j] {
			case '(':
				depth++
			case ')':
				depth--
			case '\'', '"':
				return "", false // options never need quotes; refuse rather than scan strings here
			}
			if depth == 0 {
				j++
				break
			}
		}
		if depth != 0 {
			return "", false
		}
	}
	inner := strings.TrimSpace(q[j:])
	return inner, inner != ""
}

// skipBlank skips blanks and SQL comments (line comments end at LF or CR; block comments nest).
func skipBlank(q string, i int) int {
	for i < len(q) {
		switch {
		case q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r' || q[i] == '\f' || q[i] == '\v':
			i++
		case strings.HasPrefix(q[i:], "--"):
			for i < len(q) && q[i] != '\n' && q[i] != '\r' {
				i++
			}
		case strings.HasPrefix(q[i:], "/*"):
			depth := 0
			for i < len(q) {
				if strings.HasPrefix(q[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(q[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			return i
		}
	}
	return i
}

// word returns the run of ASCII letters at i.
func word(q string, i int) (string, int) {
	j := i
	for j < len(q) && (q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z') {
		j++
	}
	return q[i:j], j
}

// builtName returns the name under which table name is built: itself, or a temporary name while a database
// file is reloaded (the built tables replace the old ones in one transaction, swap).
func (e *Engine) builtName(name string) string {
	if e.building {
		return buildPrefix + name
	}
	return name
}

// isRefused reports whether err is a statement the sandbox refused.
func isRefused(err error) bool { return errors.Is(err, ErrRefused) }
