package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
	"github.com/pcapframe/pcapframe/tables"
)

// tableDef is a table the engine builds from captures: one of the list of package tables, with its name and
// columns (to recognise its Parquet files).
type tableDef struct {
	name    string
	columns []string
	def     *tables.Def
}

// captureTables lists the tables built from captures, in load order: the list of package tables (packets,
// flows, endpoints, then the protocol tables). Adding a table is one line there.
var captureTables = func() []tableDef {
	var out []tableDef
	for _, d := range tables.List() {
		out = append(out, tableDef{name: d.Name(), columns: d.Info.Names(), def: d})
	}
	return out
}()

// packetDerived lists the packet columns that DuckDB computes from the others instead of storing them: the
// payload in hex is the payload bytes, hex-encoded, so it costs no memory and no load time.
var packetDerived = tables.Packets.Derived

// oneToOne names, for each derived column that is a one-to-one function of one stored column (its expression in
// packetDerived), that column: two rows have the same derived value exactly when they have the same stored value,
// so counts of distinct values and of their occurrences are the stored column's, and cheaper to take there.
var oneToOne = map[string]string{"payload_hex": "payload_raw"}

// TableNames returns the names of the tables built from captures.
func TableNames() []string {
	out := make([]string, len(captureTables))
	for i, t := range captureTables {
		out[i] = t.name
	}
	return out
}

// defStager stages the rows of a table of the list, as the pass writes them (a tables.Writer).
type defStager struct{ *Stager[struct{}] }

// newDefStager starts staging the table d defines; its columns' names, types and docs come from d.Info.
func newDefStager(e *Engine, d *tables.Def) (defStager, error) {
	meta := &schema.Table[struct{}]{Name: d.Name(), Doc: d.Info.TableDoc()}
	for _, c := range d.Info.ColumnInfos() {
		meta.Columns = append(meta.Columns, schema.Column[struct{}]{Name: c.Name, Type: c.Type, Doc: c.Doc, Default: c.Default})
	}
	s, err := newStager(e, meta, d.Derived, func(stored []string, f io.Writer, opts sink.Options) (tables.Writer, error) {
		return d.NewWriter(stored, sink.Parquet, f, "", opts)
	})
	return defStager{s}, err
}

// Write stages rows, a slice of the table's row type.
func (s defStager) Write(rows any) error { return s.write(rows, reflect.ValueOf(rows).Len()) }

// Abort does nothing: the loader closes every stager.
func (s defStager) Abort() error { return nil }

// LoadOptions configure Load.
type LoadOptions struct {
	// Tables selects the tables to build from captures by name; empty means all (TableNames).
	Tables []string
	// Progress, if set, is called with the bytes and frames read, as pipeline.Options.Progress.
	Progress func(bytes, frames int64)
	// Workers is the number of captures decoded at once; 0 means one per core.
	Workers int
	// Filter, if set, drops capture records before they are decoded (pipeline.Options.Filter: a capture filter);
	// FilterKey names it (the filter expression) in what decides whether a database of the same inputs can be
	// reused. A filter with Parquet inputs is an error.
	Filter    func(*capture.Record) bool
	FilterKey string
}

// LoadStats says what Load did.
type LoadStats struct {
	// Rows is the number of rows loaded into each table built from captures.
	Rows map[string]int64
	// Views maps each Parquet-backed table to its files.
	Views map[string][]string
	// Reused is true when the database already held the tables of the same inputs and nothing was decoded.
	Reused bool
	// Skipped are the files inside directory inputs that were left out as not captures (nor Parquet).
	Skipped []string
	// Summaries are the capinfos-style summaries of the captures decoded (capture.Summarize's figures, counted
	// while they were read), in input order, without those that could not be opened; none when Reused.
	Summaries []*capture.Summary
}

// ErrMixed is returned when the captures and the Parquet files of one run would fill the same table.
var ErrMixed = errors.New("captures and Parquet files of the same table cannot be mixed in one run")

// Load makes the tables of the inputs: captures are decoded into the capture tables; Parquet files and
// directories become views. A damaged capture does not stop the load: its rows before the damage are kept and
// the error is returned (joined with the others) after everything else was loaded. With a database file that
// already holds the same inputs, unchanged, nothing is loaded again.
func (e *Engine) Load(ctx context.Context, inputs []string, opts LoadOptions) (LoadStats, error) {
	st := LoadStats{Rows: map[string]int64{}, Views: map[string][]string{}}
	captures, parquets, skipped, err := classify(inputs)
	if err != nil {
		return st, err
	}
	st.Skipped = skipped
	defs := captureTables
	if len(opts.Tables) > 0 {
		defs = nil
		for _, name := range opts.Tables {
			i := slices.IndexFunc(captureTables, func(t tableDef) bool { return t.name == name })
			if i < 0 {
				return st, fmt.Errorf("unknown table %q (tables: %s)", name, strings.Join(TableNames(), ", "))
			}
			defs = append(defs, captureTables[i])
		}
	}
	views, err := e.groupParquet(ctx, parquets)
	if err != nil {
		return st, err
	}
	if len(captures) > 0 {
		for name := range views {
			if slices.ContainsFunc(defs, func(t tableDef) bool { return t.name == name }) {
				return st, fmt.Errorf("table %s: %w", name, ErrMixed)
			}
		}
	}
	if opts.Filter != nil && len(parquets) > 0 {
		return st, fmt.Errorf("a capture filter applies to captures, not to the Parquet input %q", parquets[0])
	}
	key, err := inputsKey(captures, parquets, defs)
	if err != nil {
		return st, err
	}
	if key != "" && opts.Filter != nil {
		key += "\nfilter " + opts.FilterKey
	}
	if e.locked {
		for _, p := range parquets {
			if !slices.Contains(e.readable, p) {
				return st, fmt.Errorf("parquet input %q was not named when the engine was opened (query.Options.Inputs)", p)
			}
		}
	}
	if e.opts.Path != "" {
		if err := e.checkLoad(); err != nil {
			return st, err
		}
		if same, err := e.sameInputs(ctx, key); err != nil {
			return st, err
		} else if same {
			st.Reused = true
			e.complete = true
			return st, nil
		}
		// A reload builds the new tables under temporary names and swaps them in with one transaction, so that a
		// run killed at any point leaves the old tables or the new ones.
		if err := e.dropBuilt(ctx); err != nil {
			return st, err
		}
		e.building = true
		defer func() { e.building = false }()
	}
	for _, name := range sortedKeys(views) {
		if err := e.createView(ctx, e.builtName(name), views[name]); err != nil {
			return st, err
		}
		st.Views[name] = views[name]
	}
	var loadErr error
	if len(captures) > 0 {
		sums := make([]*capture.Summary, len(captures))
		loadErr = e.loadCaptures(ctx, captures, defs, opts, st.Rows, sums)
		if loadErr != nil && !isDamage(loadErr) {
			if e.opts.Path != "" {
				e.dropBuilt(context.WithoutCancel(ctx))
			}
			return st, loadErr
		}
		for _, s := range sums {
			if s != nil {
				st.Summaries = append(st.Summaries, s)
			}
		}
	}
	if e.opts.Path != "" {
		if err := e.swap(ctx, key); err != nil {
			e.dropBuilt(context.WithoutCancel(ctx))
			return st, err
		}
		e.complete = true
	}
	return st, loadErr
}

// loadCaptures decodes the captures once and builds every table in defs in one pass (package tables); sums[i]
// receives the summary of captures[i].
func (e *Engine) loadCaptures(ctx context.Context, captures []string, defs []tableDef, opts LoadOptions, rows map[string]int64, sums []*capture.Summary) error {
	stagers := make([]defStager, 0, len(defs))
	outs := make([]tables.Output, 0, len(defs))
	for _, d := range defs {
		s, err := newDefStager(e, d.def)
		if err != nil {
			for _, s := range stagers {
				s.Close()
			}
			return err
		}
		stagers = append(stagers, s)
		outs = append(outs, tables.Output{Def: d.def, Writer: s})
	}
	if len(outs) == 0 {
		return nil
	}
	summary := func(i int, s *capture.Summary) { sums[i] = s } // each input's own element: no lock needed
	_, runErr := tables.Run(ctx, captures, outs, tables.Options{Pipeline: pipeline.Options{Workers: opts.Workers, Progress: opts.Progress, Summary: summary, Filter: opts.Filter}})
	var errs []error
	for i, s := range stagers {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
		rows[defs[i].name] = s.Rows()
	}
	if runErr != nil && (ctx.Err() != nil || !isDamage(runErr)) {
		return runErr
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return runErr
}

// isDamage reports whether err (possibly joined) is only damaged or unreadable inputs, after which the other rows
// are still worth keeping.
func isDamage(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) {
		for _, e := range multi.Unwrap() {
			if !isDamage(e) {
				return false
			}
		}
		return true
	}
	return isCaptureError(err)
}

// classify splits the inputs into capture paths (as pipeline.Run takes them) and Parquet files (absolute, in
// order). A directory contributes its Parquet files and its other files as captures (sorted, hidden files and
// directories skipped, as capture.Expand walks them).
func classify(inputs []string) (captures, parquets, skipped []string, err error) {
	for _, in := range inputs {
		if in == "-" {
			captures = append(captures, in)
			continue
		}
		fi, err := os.Stat(in)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("open %q: %w", in, unwrapPathError(err))
		}
		if !fi.IsDir() {
			if isParquet(in) {
				abs, err := filepath.Abs(in)
				if err != nil {
					return nil, nil, nil, fmt.Errorf("open %q: %w", in, err)
				}
				parquets = append(parquets, abs)
			} else {
				captures = append(captures, in)
			}
			continue
		}
		var pq, others []string
		err = filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != in && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") || !d.Type().IsRegular() {
				return nil
			}
			if isParquet(p) {
				abs, err := filepath.Abs(p)
				if err != nil {
					return err
				}
				pq = append(pq, abs)
			} else {
				if capture.IsCapture(p) {
					others = append(others, p)
				} else {
					skipped = append(skipped, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read directory %q: %w", in, unwrapPathError(err))
		}
		if len(pq) == 0 && len(others) == 0 {
			return nil, nil, nil, fmt.Errorf("no input files found in %q", in)
		}
		sort.Strings(pq)
		sort.Strings(others)
		parquets = append(parquets, pq...)
		captures = append(captures, others...)
	}
	if len(captures) > 0 {
		captures, err = expandCaptures(captures)
		if err != nil {
			return nil, nil, nil, err
		}
	}
	return captures, parquets, skipped, nil
}

// isParquet reports whether the file at p is Parquet: by its name, or by its magic number.
func isParquet(p string) bool {
	if strings.EqualFold(filepath.Ext(p), ".parquet") {
		return true
	}
	// Only a regular file can be Parquet (a reader seeks to its footer). A FIFO is not opened here: opening it
	// would block until a writer comes (ignoring cancellation), and reading its magic would eat the capture's.
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "PAR1"
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// groupParquet assigns each Parquet file to a table: the known table whose columns hold all of the file's
// columns (ties broken by the file or directory name), else a table named after the file.
func (e *Engine) groupParquet(ctx context.Context, files []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, f := range files {
		cols, err := e.parquetColumns(ctx, f)
		if err != nil {
			return nil, err
		}
		name := parquetTable(f, cols)
		if named, err := e.parquetTableMeta(ctx, f); err != nil {
			return nil, err
		} else if i := slices.IndexFunc(captureTables, func(t tableDef) bool { return t.name == named }); i >= 0 && allIn(cols, captureTables[i].columns) {
			name = named // the table the file says it holds (pcapframe's key-value metadata), any subset of its columns
		}
		out[name] = append(out[name], f)
	}
	return out, nil
}

// parquetTableMeta returns the table a Parquet file written by pcapframe names in its key-value metadata
// (sink.MetaTable), or "". The name only chooses which table the file's rows belong to: it is checked against
// the known tables and their columns, and never touches the sandbox.
func (e *Engine) parquetTableMeta(ctx context.Context, file string) (string, error) {
	var name []byte
	err := e.conn.QueryRowContext(ctx, "SELECT value FROM parquet_kv_metadata("+quoteString(file)+") WHERE key = "+quoteString(sink.MetaTable)+"::BLOB LIMIT 1").Scan(&name)
	if errors.Is(err, errNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read parquet %q: %w", file, cleanError(err))
	}
	return string(name), nil
}

// parquetTable names the table of a Parquet file with the given columns: a known table whose name the file or
// its directory bears and whose columns hold the file's; else a known table whose columns hold the file's when
// the file has at least minColumns of them (a `pcapframe convert` output, whatever its name); else a table named
// after the file.
func parquetTable(file string, cols []string) string {
	base := strings.ToLower(strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	dir := strings.ToLower(filepath.Base(filepath.Dir(file)))
	for _, t := range captureTables {
		if (base == t.name || dir == t.name) && allIn(cols, t.columns) {
			return t.name
		}
	}
	for _, t := range captureTables {
		if len(cols) >= min(minColumns, len(t.columns)) && allIn(cols, t.columns) {
			return t.name
		}
	}
	return identifier(base)
}

// minColumns is how many of a known table's columns a Parquet file must have to be taken for that table
// without bearing its name.
const minColumns = 8

func allIn(cols, names []string) bool {
	for _, c := range cols {
		if !slices.Contains(names, c) {
			return false
		}
	}
	return true
}

// identifier turns a file name into a table name: lowercase letters, digits and underscores.
func identifier(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "_")
	if out == "" || out[0] >= '0' && out[0] <= '9' {
		out = "t_" + out
	}
	return out
}

// parquetColumns returns the top-level column names of a Parquet file.
func (e *Engine) parquetColumns(ctx context.Context, file string) ([]string, error) {
	rows, err := e.conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet("+quoteString(file)+"))")
	if err != nil {
		return nil, fmt.Errorf("read parquet %q: %w", file, cleanError(err))
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read parquet %q: %w", file, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read parquet %q: %w", file, cleanError(err))
	}
	return cols, nil
}

// createView makes table name a view over the Parquet files.
func (e *Engine) createView(ctx context.Context, name string, files []string) error {
	if err := e.dropTable(ctx, name); err != nil {
		return err
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = quoteString(f)
	}
	stmt := fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM read_parquet([%s], union_by_name = true)", quoteIdent(name), strings.Join(quoted, ", "))
	if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("create view %s: %w", name, cleanError(err))
	}
	return nil
}

// dropTable drops the table or view called name, if there is one.
func (e *Engine) dropTable(ctx context.Context, name string) error {
	var kind string
	err := e.conn.QueryRowContext(ctx, `SELECT table_type FROM information_schema.tables
		WHERE table_schema = 'main' AND table_catalog = current_database() AND table_name = ?`, name).Scan(&kind)
	if err != nil {
		if errors.Is(err, errNoRows) {
			return nil
		}
		return fmt.Errorf("drop %s: %w", name, cleanError(err))
	}
	stmt := "DROP TABLE " + quoteIdent(name)
	if kind == "VIEW" {
		stmt = "DROP VIEW " + quoteIdent(name)
	}
	if _, err := e.conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("drop %s: %w", name, cleanError(err))
	}
	return nil
}

// swap replaces, in one transaction, what an earlier load left in the database file (the capture tables and the
// Parquet views) by the tables and views just built under temporary names, and records the inputs' key; then it
// checkpoints, so that the database file holds the new state without its write-ahead log.
func (e *Engine) swap(ctx context.Context, key string) error {
	built, err := e.objects(ctx, "starts_with(name, "+quoteString(buildPrefix)+")")
	if err != nil {
		return err
	}
	old, err := e.objects(ctx, "NOT starts_with(name, "+quoteString(internalPrefix)+") AND (kind = 'VIEW' AND sql ILIKE '%read_parquet(%' OR name IN ("+quotedList(TableNames())+"))")
	if err != nil {
		return err
	}
	stmts := []string{"BEGIN TRANSACTION"}
	for _, o := range old {
		stmts = append(stmts, "DROP "+o.kind+" "+quoteIdent(o.name))
	}
	for _, o := range built {
		name := strings.TrimPrefix(o.name, buildPrefix)
		if i := slices.IndexFunc(old, func(x object) bool { return x.name == name }); i < 0 {
			if err := e.dropTable(ctx, name); err != nil { // a table of the same name the user made (--db-foreign)
				e.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
				return err
			}
		}
		stmts = append(stmts, "ALTER "+o.kind+" "+quoteIdent(o.name)+" RENAME TO "+quoteIdent(name))
	}
	stmts = append(stmts, markSQL(key)...)
	stmts = append(stmts, "COMMIT")
	for _, s := range stmts {
		if _, err := e.conn.ExecContext(ctx, s); err != nil {
			// After an error DuckDB's COMMIT would still commit what ran before it: roll back instead.
			e.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return fmt.Errorf("replace the tables of %q: %w", e.opts.Path, cleanError(err))
		}
	}
	if _, err := e.conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("checkpoint %q: %w", e.opts.Path, cleanError(err))
	}
	return nil
}

// dropBuilt drops the tables and views a reload built under temporary names (left by a failed or killed run).
func (e *Engine) dropBuilt(ctx context.Context) error {
	built, err := e.objects(ctx, "starts_with(name, "+quoteString(buildPrefix)+")")
	if err != nil {
		return err
	}
	for _, o := range built {
		if _, err := e.conn.ExecContext(ctx, "DROP "+o.kind+" IF EXISTS "+quoteIdent(o.name)); err != nil {
			return fmt.Errorf("drop %s: %w", o.name, cleanError(err))
		}
	}
	return nil
}

// object is a table or view of the main schema.
type object struct{ name, kind string }

// objects lists the tables and views of the main schema for which cond (over name, kind and sql) holds, from
// DuckDB's catalog (no view runs).
func (e *Engine) objects(ctx context.Context, cond string) ([]object, error) {
	rows, err := e.conn.QueryContext(ctx, `SELECT name, kind FROM (
		SELECT table_name AS name, 'TABLE' AS kind, sql FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
		UNION ALL SELECT view_name, 'VIEW', sql FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal)
		WHERE `+cond+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", cleanError(err))
	}
	defer rows.Close()
	var out []object
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.name, &o.kind); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", cleanError(err))
	}
	return out, nil
}

// quotedList returns the names as a list of SQL string literals.
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteString(n)
	}
	return strings.Join(q, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
