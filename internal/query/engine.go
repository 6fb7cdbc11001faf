package query

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/pcapframe/pcapframe/internal/atexit"
)

// Options configure an Engine. The zero value is valid: an in-memory database with the default memory limit, in
// which queries can read no file.
type Options struct {
	// Path is the DuckDB database file that keeps the loaded tables between runs; "" keeps them in memory only.
	// An existing file must be a DuckDB database that pcapframe made (see Foreign).
	Path string
	// Foreign lets Path be a DuckDB database that pcapframe did not create: its tables and views named as
	// pcapframe's (packets, flows, ...) are replaced by a load. Without it such a database is refused
	// (ErrForeignDatabase).
	Foreign bool
	// MemoryLimit is DuckDB's memory_limit: a size such as "4GB" or "512MiB", or a share of the machine's memory
	// such as "50%". "" means DefaultMemoryLimit. Past the limit DuckDB spills to a private temporary directory.
	MemoryLimit string
	// TempDir is where the private temporary directory (DuckDB's spill files, staged tables) is created; ""
	// means the system's. The directory named here is never given to DuckDB itself: only the private directory
	// inside it, which Close removes.
	TempDir string
	// Threads is the number of DuckDB threads; 0 means one per core.
	Threads int
	// Inputs are the inputs the run will load (as Load takes them). Their Parquet files are the only files
	// outside the private temporary directory that queries can read, unless AllowFiles. Load refuses Parquet
	// files not named here.
	Inputs []string
	// AllowFiles keeps DuckDB's access to every file (read_csv, COPY ... TO, ATTACH, ...). By default the sandbox
	// is in force from the first statement: a query can read the Parquet inputs and nothing else, cannot write
	// files, load extensions or change the configuration (see Sandbox).
	AllowFiles bool
}

// DefaultMemoryShare is the share of the machine's memory (or of the cgroup's limit, when lower) that DuckDB may
// use when Options.MemoryLimit is empty.
const DefaultMemoryShare = 50

// Engine is an embedded DuckDB database with the tables of the inputs. It is not safe for concurrent use.
type Engine struct {
	opts     Options
	db       *sql.DB
	conn     *sql.Conn
	tmp      string   // private temporary directory (spill files, staging), removed by Close
	stage    string   // private staging directory for tables built from captures, inside tmp
	staged   int      // staging files made so far, to name the next one
	readable []string // Parquet inputs (absolute), the only outside files a locked query may read
	created  bool     // the database file did not exist before Open
	complete bool     // the database file holds a complete state (Close removes a created one that does not)
	foreign  bool     // the database file holds tables or views but no pcapframe mark
	building bool     // tables are being built under temporary names (a reload of a database file)
	locked   bool
	main     *Engine      // for a session (Session): the engine it belongs to
	conns    atomic.Int32 // connections open to db: the engine's and its open sessions' (closed from any goroutine)
}

// Open starts an engine: it opens (or creates) the database and, before anything else runs in it, switches off
// extension loading, applies the memory limit and the private temporary directory, and (unless AllowFiles)
// locks file access and the configuration. Nothing stored in the database file can change these settings.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	limit, err := memoryLimit(opts.MemoryLimit)
	if err != nil {
		return nil, err
	}
	readable, err := parquetInputs(opts.Inputs)
	if err != nil {
		return nil, err
	}
	created := false
	if opts.Path != "" {
		if created, err = checkDatabaseFile(opts.Path); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp(opts.TempDir, "pcapframe-duckdb-")
	if err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	atexit.Remove(tmp) // removed by a forced exit too (Close forgets it)
	e := &Engine{opts: opts, tmp: tmp, readable: readable, created: created}
	fail := func(err error) (*Engine, error) {
		e.Close()
		if created {
			removeDatabase(opts.Path)
		}
		return nil, err
	}
	// Extensions are neither installed nor loaded automatically, from the opening of the file on: a database
	// file of another kind (SQLite, ...) would otherwise make DuckDB download its extension.
	dsn := opts.Path + "?autoinstall_known_extensions=false&autoload_known_extensions=false&allow_community_extensions=false"
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil && opts.Path != "" && strings.Contains(err.Error(), "replaying WAL") {
		// DuckDB 2.0 can replay a write-ahead log (what a run killed before its checkpoint leaves) before it has
		// loaded its own built-in extensions, and then fails on a function such as hex() in a generated column.
		// Replaying it again with the built-in extensions loadable recovers the database; nothing is installed
		// (autoinstall stays off, so nothing is downloaded), and autoloading is switched off again below, before
		// any other statement.
		connector, err = duckdb.NewConnector(opts.Path+"?autoinstall_known_extensions=false&autoload_known_extensions=true&allow_community_extensions=false", nil)
	}
	if err != nil {
		return fail(fmt.Errorf("open database %q: %w", opts.Path, cleanError(err)))
	}
	e.db = sql.OpenDB(connector)
	e.conns.Store(1)
	e.db.SetMaxOpenConns(1)
	e.conn, err = e.db.Conn(ctx)
	if err != nil {
		return fail(fmt.Errorf("open database %q: %w", opts.Path, cleanError(err)))
	}
	e.stage = filepath.Join(tmp, "stage")
	if err := os.Mkdir(e.stage, 0o700); err != nil {
		return fail(fmt.Errorf("create staging directory: %w", err))
	}
	settings := []string{
		"SET autoload_known_extensions = false",
		"SET memory_limit = " + quoteString(limit),
		"SET temp_directory = " + quoteString(filepath.Join(tmp, "spill")),
		// Rows keep the order in which they were loaded (file and frame order) unless a query sorts them.
		"SET preserve_insertion_order = true",
		"SET parquet_metadata_cache = true",
	}
	if opts.Threads > 0 {
		settings = append(settings, "SET threads = "+strconv.Itoa(opts.Threads))
	}
	if !opts.AllowFiles {
		settings = append(settings, sandboxSettings(tmp, readable)...)
	}
	for _, s := range settings {
		if _, err := e.conn.ExecContext(ctx, s); err != nil {
			return fail(fmt.Errorf("configure duckdb (%s): %w", s, cleanError(err)))
		}
	}
	e.locked = !opts.AllowFiles
	if opts.Path != "" && !created {
		if err := e.checkOwner(ctx); err != nil {
			return fail(err)
		}
	}
	if err := e.createServices(ctx); err != nil && !e.foreign {
		return fail(err)
	}
	e.complete = !created || len(opts.Inputs) == 0
	return e, nil
}

// Session opens another connection to the engine's database, for queries that run at the same time as the
// engine's own (DuckDB runs both on its one pool of threads, so a query that leaves a thread idle, such as the
// quartiles of describe, lends it to the other). The session sees the engine's tables and views, has the
// proto_name macro, and shares the configuration (memory limit, locked file access). Close it before the engine;
// like the engine, it is not safe for concurrent use.
func (e *Engine) Session(ctx context.Context) (*Engine, error) {
	if e.main != nil {
		return e.main.Session(ctx)
	}
	e.db.SetMaxOpenConns(int(e.conns.Add(1)))
	conn, err := e.db.Conn(ctx)
	if err != nil {
		e.db.SetMaxOpenConns(int(e.conns.Add(-1)))
		return nil, fmt.Errorf("open a second connection: %w", cleanError(err))
	}
	s := &Engine{opts: e.opts, db: e.db, conn: conn, readable: e.readable, locked: e.locked, main: e}
	if _, err := conn.ExecContext(ctx, sqlProtoName); err != nil {
		s.Close()
		return nil, fmt.Errorf("open a second connection: %w", cleanError(err))
	}
	return s, nil
}

// Close closes the database and removes the private temporary directory; for a session, its connection only.
func (e *Engine) Close() error {
	if e.main != nil {
		if e.conn == nil {
			return nil
		}
		err := e.conn.Close()
		e.conn = nil
		e.main.db.SetMaxOpenConns(int(e.main.conns.Add(-1)))
		return err
	}
	var errs []error
	if e.conn != nil {
		errs = append(errs, e.conn.Close())
	}
	if e.db != nil {
		errs = append(errs, e.db.Close())
	}
	if e.tmp != "" {
		errs = append(errs, os.RemoveAll(e.tmp))
		atexit.Forget(e.tmp)
	}
	if e.created && !e.complete {
		// A database this run created and could not fill (a failed load, a full disk): no half-made file is left.
		removeDatabase(e.opts.Path)
	}
	return errors.Join(errs...)
}

// Conn returns the engine's single connection, for callers that need DuckDB beyond Query.
func (e *Engine) Conn() *sql.Conn { return e.conn }

// Exec runs a statement whose rows are not wanted (in the sandbox, one statement: see checkStatement).
func (e *Engine) Exec(ctx context.Context, stmt string) error {
	if err := e.checkStatement(ctx, stmt); err != nil {
		return e.explain(ctx, err)
	}
	if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
		return e.explain(ctx, err)
	}
	return nil
}

// TableInfo describes a table or view of the engine.
type TableInfo struct {
	Name    string
	Columns []ColumnInfo
}

// ColumnInfo is a column's name and DuckDB type.
type ColumnInfo struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Tables lists the user-visible tables and views with their columns, in name order.
func (e *Engine) Tables(ctx context.Context) ([]TableInfo, error) {
	rows, err := e.conn.QueryContext(ctx, `SELECT table_name, column_name, data_type
		FROM information_schema.columns WHERE table_schema = 'main' AND table_catalog = current_database()
		ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", cleanError(err))
	}
	defer rows.Close()
	var out []TableInfo
	for rows.Next() {
		var t, c, typ string
		if err := rows.Scan(&t, &c, &typ); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if isInternal(t) {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Name != t {
			out = append(out, TableInfo{Name: t})
		}
		out[len(out)-1].Columns = append(out[len(out)-1].Columns, ColumnInfo{c, typ})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return out, nil
}

// HasTable reports whether a table or view called name exists.
func (e *Engine) HasTable(ctx context.Context, name string) (bool, error) {
	var n int
	err := e.conn.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'main' AND table_catalog = current_database() AND table_name = ?`, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("list tables: %w", cleanError(err))
	}
	return n > 0, nil
}

// MissingColumns returns those of cols that table lacks (all of them when there is no such table), each once, in
// the order of cols.
func (e *Engine) MissingColumns(ctx context.Context, table string, cols []string) ([]string, error) {
	tables, err := e.Tables(ctx)
	if err != nil {
		return nil, err
	}
	var have []ColumnInfo
	for _, t := range tables {
		if t.Name == table {
			have = t.Columns
		}
	}
	return Missing(have, cols), nil
}

// Missing returns those of cols that are not among have, each once, in the order of cols.
func Missing(have []ColumnInfo, cols []string) []string {
	var missing []string
	for _, c := range cols {
		if !slices.ContainsFunc(have, func(h ColumnInfo) bool { return h.Name == c }) && !slices.Contains(missing, c) {
			missing = append(missing, c)
		}
	}
	return missing
}

// SQLError is a failed query: DuckDB's message and the tables that were there to query.
type SQLError struct {
	Msg    string
	Tables []TableInfo
}

// Error returns DuckDB's message and, where it helps, the tables or columns there are (hint).
func (e *SQLError) Error() string {
	return e.Msg + e.hint()
}

// hint returns what helps with the error beyond DuckDB's message: the table names for an unknown table, the
// columns of the table for an unknown column (DuckDB already names the closest candidates); nothing otherwise.
func (e *SQLError) hint() string {
	switch {
	case strings.Contains(e.Msg, "Table with name") && strings.Contains(e.Msg, "does not exist"):
		names := make([]string, len(e.Tables))
		for i, t := range e.Tables {
			names[i] = t.Name
		}
		if len(names) == 0 {
			return " (there are no tables)"
		}
		return " (tables: " + strings.Join(names, ", ") + ")"
	case strings.Contains(e.Msg, "Referenced column") && strings.Contains(e.Msg, "not found"):
		var parts []string
		for _, t := range e.Tables {
			if !hasWord(e.Msg, t.Name) { // the query's line is in DuckDB's message: the tables it names
				continue
			}
			cols := make([]string, len(t.Columns))
			for i, c := range t.Columns {
				cols[i] = c.Name
			}
			parts = append(parts, t.Name+": "+strings.Join(cols, ", "))
		}
		if len(parts) > 0 {
			return " (columns of " + strings.Join(parts, "; ") + ")"
		}
	}
	return ""
}

// hasWord reports whether w stands in s as a whole identifier.
func hasWord(s, w string) bool {
	isIdent := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if (j == 0 || !isIdent(s[j-1])) && (j+len(w) == len(s) || !isIdent(s[j+len(w)])) {
			return true
		}
		i = j + 1
	}
}

// Detail returns the message and then one line per table with its columns, for an interactive prompt.
func (e *SQLError) Detail() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	b.WriteString("\ntables:\n")
	for _, t := range e.Tables {
		names := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			names[i] = c.Name
		}
		fmt.Fprintf(&b, "  %s: %s\n", t.Name, strings.Join(names, ", "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// explain turns a DuckDB error into an SQLError that lists the tables. A cancelled context stays as it is.
func (e *Engine) explain(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err.Error() == "empty query" || errors.Is(err, ErrEmptyQuery) { // duckdb-go's error for text without a statement (its value is unexported)
		return ErrEmptyQuery
	}
	if errors.Is(err, ErrRefused) {
		return err
	}
	msg := cleanError(err).Error()
	if se := (*SQLError)(nil); errors.As(err, &se) {
		msg = se.Msg
	}
	tables, terr := e.Tables(context.WithoutCancel(ctx))
	if terr != nil {
		tables = nil
	}
	return &SQLError{Msg: msg, Tables: tables}
}

// ErrEmptyQuery is the error of a query in which DuckDB's parser finds no statement.
var ErrEmptyQuery = errors.New("empty query: no SQL statement")

// cleanError turns DuckDB's multi-line messages into one line.
func cleanError(err error) error {
	var de *duckdb.Error
	if errors.As(err, &de) {
		return errors.New(oneLine(de.Msg))
	}
	return err
}

func oneLine(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	return strings.Join(fields, " ")
}

// quoteString quotes s as a SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent quotes s as a SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// memoryLimit returns the DuckDB memory_limit for the option value v.
func memoryLimit(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		v = strconv.Itoa(DefaultMemoryShare) + "%"
	}
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || p <= 0 || p > 100 {
			return "", fmt.Errorf("invalid memory limit %q: a share must be between 0%% and 100%%", v)
		}
		total := machineMemory()
		if total == 0 {
			return "4GB", nil
		}
		mib := int64(float64(total) * p / 100 / (1 << 20))
		return strconv.FormatInt(max(mib, 64), 10) + "MiB", nil
	}
	if _, err := parseSize(v); err != nil {
		return "", fmt.Errorf("invalid memory limit %q: %w", v, err)
	}
	return v, nil
}

// parseSize checks a size such as 4GB, 512MiB or 1000000 (bytes) and returns it in bytes.
func parseSize(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a size such as 4GB, 512MiB or 50%")
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
	m, ok := mult[strings.TrimSpace(s[i:])]
	if !ok {
		return 0, errors.New("want a size such as 4GB, 512MiB or 50%")
	}
	return int64(n * m), nil
}

// machineMemory returns the memory available to the process in bytes: the machine's, or the cgroup's limit
// when lower; 0 when unknown.
func machineMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					total = kb << 10
				}
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if lim, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && lim > 0 && (total == 0 || lim < total) {
			total = lim
		}
	}
	return total
}
