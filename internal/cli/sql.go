package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/peterh/liner"
	"github.com/spf13/cobra"

	"github.com/pcapframe/pcapframe/internal/atexit"
	"github.com/pcapframe/pcapframe/internal/query"
	"github.com/pcapframe/pcapframe/sink"
)

// EngineOptions are the flags shared by the commands that load inputs into DuckDB (sql, stats).
type EngineOptions struct {
	DB          string
	DBForeign   bool
	MemoryLimit string
	TempDir     string
	AllowFiles  bool
	Quiet       bool
}

func (o *EngineOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.DB, "db", "", "keep the loaded tables in this DuckDB database `FILE`; a later run with the same inputs (or none) reuses them without decoding again")
	f.BoolVar(&o.DBForeign, "db-foreign", false, "let --db name a DuckDB database that pcapframe did not create (its tables named packets, flows, ... are replaced)")
	f.StringVar(&o.MemoryLimit, "memory-limit", "", "DuckDB memory limit, e.g. 4GB or 25% (default 50% of the machine's memory); past it DuckDB spills to disk. It covers DuckDB's buffer manager only: not one huge value a function computes (repeat('a', 1000000000)), nor pcapframe's own memory; results stream and are not held")
	f.StringVar(&o.TempDir, "temp-dir", "", "`DIR` in which a private temporary directory is made for DuckDB's spill files and staged tables (default: the system's)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress on standard error")
}

// SQLOptions are the options of `pcapframe sql`.
type SQLOptions struct {
	EngineOptions
	Exec    string
	Format  string
	Output  string
	Tables  []string
	MaxRows int
}

// NewCmdSQL builds `pcapframe sql`.
func NewCmdSQL(io *IO) *cobra.Command {
	o := &SQLOptions{}
	cmd := &cobra.Command{
		Use:   "sql [INPUT...] [-e QUERY]",
		Short: "Query captures or their Parquet tables with SQL (embedded DuckDB)",
		Long: `Load the inputs into an embedded DuckDB database and run SQL over them: the query given with -e, or an
interactive prompt without it.

Inputs are capture files (pcap, pcapng, compressed), directories of them, or the Parquet files and directories
that 'pcapframe convert' writes. Captures are decoded straight into the tables (` + strings.Join(query.TableNames(), ", ") + `);
Parquet files are read in place, as views named after the table their columns belong to. The table services
(port, transport, service) names well-known ports, and proto_name(proto) names transport protocols.

By default a query can read the Parquet inputs and nothing else, and cannot write files, load extensions or
change DuckDB's configuration: from its first statement DuckDB's external access is off except for those inputs
and a private temporary directory, its configuration is locked, and statements that write files (COPY, EXPORT,
ATTACH, INSTALL, LOAD, PREPARE/EXECUTE, EXPLAIN of them) are refused; --allow-files lifts all of that. Nothing
in a --db database file changes it. A --db database must be one pcapframe made (--db-foreign to use another). DuckDB keeps
under --memory-limit and spills to a temporary directory beyond it.

The prompt reads statements ending with ';' over one or more lines, keeps a history in ~/.pcapframe_history, and
knows .tables, .schema TABLE, .mode FORMAT, .help and .quit.`,
		Example: `  pcapframe sql capture.pcap -e "SELECT src, count(*) FROM packets GROUP BY ALL ORDER BY 2 DESC LIMIT 5"
  pcapframe sql out/ -e "SELECT dport, sum(payload) FROM packets GROUP BY dport" --format csv -o ports.csv
  pcapframe sql big.pcap --db big.duckdb        # decode once; later: pcapframe sql --db big.duckdb -e ...
  pcapframe sql capture.pcap                     # interactive prompt`,
		RunE: func(cmd *cobra.Command, args []string) error { return runSQL(cmd.Context(), io, o, args) },
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.Exec, "execute", "e", "", "run `QUERY` (one or more statements, separated by ';', as DuckDB's parser reads them: a text it cannot parse runs none; each query's rows are printed, statements that change the database print nothing; with -o or parquet only the last one's rows are written) instead of the prompt")
	f.StringVarP(&o.Format, "format", "f", "", "result format: table, csv, jsonl, markdown or parquet (default: table on a terminal, csv otherwise; from the extension of -o)")
	f.StringVarP(&o.Output, "output", "o", "", "write the result to `FILE` (atomically) instead of standard output")
	f.StringSliceVar(&o.Tables, "tables", nil, "tables to build from captures (default all: "+strings.Join(query.TableNames(), ",")+")")
	f.IntVar(&o.MaxRows, "max-rows", 10000, "rows the table and markdown formats hold to size their columns (and at most 64 MiB of text): on a terminal only those are shown and the rest counted; to a file or a pipe every row is written, the later ones with the same column widths")
	f.BoolVar(&o.AllowFiles, "allow-files", false, "let queries read and write other files (read_csv, COPY ... TO, ATTACH, ...)")
	return cmd
}

// openEngine opens DuckDB and loads the inputs. A damaged input does not stop it: the error is returned as
// damaged, with the engine, so the command can still answer and exit with status 3.
func openEngine(ctx context.Context, io *IO, o *EngineOptions, args, tables []string) (*query.Engine, error, error) {
	e, _, damaged, err := openEngineStats(ctx, io, o, args, tables)
	return e, damaged, err
}

// openEngineStats is openEngine that also returns what loading the inputs did (query.LoadStats).
func openEngineStats(ctx context.Context, io *IO, o *EngineOptions, args, tables []string) (*query.Engine, query.LoadStats, error, error) {
	var st query.LoadStats
	if len(args) == 0 && o.DB == "" {
		return nil, st, nil, usagef("no input: name capture files, directories or Parquet files, or a --db database")
	}
	if len(args) == 0 && io.filter != nil {
		return nil, st, nil, usagef("--filter applies to the captures read: name them (the --db database holds tables already built)")
	}
	if o.DB != "" {
		for _, a := range args {
			if a != "-" && sameFile(a, o.DB) {
				return nil, st, nil, usagef("--db %q is also an input", o.DB)
			}
		}
	}
	e, err := query.Open(ctx, query.Options{Path: o.DB, Foreign: o.DBForeign, MemoryLimit: o.MemoryLimit, TempDir: o.TempDir, Inputs: args, AllowFiles: o.AllowFiles})
	if errors.Is(err, query.ErrNotDuckDB) || errors.Is(err, query.ErrForeignDatabase) {
		return nil, st, nil, usagef("%v", err)
	}
	if err != nil {
		return nil, st, nil, err
	}
	var damaged error
	if len(args) > 0 {
		p := startProgress(io, o.Quiet).setAfter("loading the tables into DuckDB")
		st, err = e.Load(ctx, args, query.LoadOptions{Tables: tables, Progress: p.callback(), Filter: io.recordFilter(), FilterKey: io.filterKey()})
		p.finish()
		warnFilter(io)
		warnSkipped(io, st.Skipped)
		if errors.Is(err, query.ErrForeignDatabase) {
			e.Close()
			return nil, st, nil, usagef("%v", err)
		}
		if err != nil {
			if errors.Is(err, context.Canceled) || isFatalInput(err) {
				e.Close()
				return nil, st, nil, err
			}
			damaged = &DamagedError{err}
		}
	}
	return e, st, damaged, nil
}

func sameFile(a, b string) bool {
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	if aa == bb {
		return true
	}
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(ai, bi)
}

func runSQL(ctx context.Context, io *IO, o *SQLOptions, args []string) error {
	if o.Output != "" && o.Output != "-" && o.DB != "" && sameFile(o.Output, o.DB) {
		return usagef("output %q is also the --db database: refusing to overwrite it", o.Output)
	}
	format, err := sqlFormat(io, o)
	if err != nil {
		return err
	}
	if o.Output != "" && o.Exec == "" {
		return usagef("--output needs a query (-e)")
	}
	for _, a := range args {
		if o.Output != "" && a != "-" && sameFile(a, o.Output) {
			return usagef("output %q is also an input: refusing to overwrite it", o.Output)
		}
	}
	e, damaged, err := openEngine(ctx, io, &o.EngineOptions, args, o.Tables)
	if err != nil {
		return err
	}
	defer e.Close()
	if o.Exec != "" {
		if err := runQuery(ctx, io, e, o.Exec, format, o.Output, o.MaxRows); err != nil {
			return err
		}
		return damaged
	}
	if damaged != nil {
		fmt.Fprintf(io.ErrOut, "pcapframe: warning: %s\n", Sanitize(strings.ReplaceAll(damaged.Error(), "\n", "; ")))
	}
	if err := repl(ctx, io, e, format, o.MaxRows); err != nil {
		return err
	}
	return damaged
}

// sqlFormat picks the result format from --format, the extension of --output, or the terminal.
func sqlFormat(io *IO, o *SQLOptions) (query.Format, error) {
	if o.Format != "" {
		f, err := query.ParseFormat(o.Format)
		if err != nil {
			return "", usagef("%v", err)
		}
		if f == query.Parquet && o.Output == "" && io.OutIsTerminal {
			return "", usagef("parquet output goes to a file (-o FILE) or a pipe, not a terminal")
		}
		return f, nil
	}
	if o.Output != "" {
		f, err := sink.FormatFromPath(o.Output)
		if err != nil {
			ext := strings.ToLower(filepath.Ext(o.Output))
			if ext == ".md" || ext == ".txt" {
				return query.Markdown, nil
			}
			return "", usagef("%v", err)
		}
		return query.Format(f), nil
	}
	if io.OutIsTerminal {
		return query.Table, nil
	}
	return query.CSV, nil
}

// runQuery runs the statements of q in order. To standard output, each statement's rows are written in format
// (a table or markdown result after the first is set apart by a blank line), as DuckDB's own shell prints them,
// and, as there, statements that change the database (CREATE, INSERT without RETURNING, ...) print nothing;
// to a file (output) or as Parquet, only the last statement's rows are written, the others having run.
func runQuery(ctx context.Context, io *IO, e *query.Engine, q string, format query.Format, output string, maxRows int) error {
	// The statements as DuckDB's parser delimits them; a text it cannot parse runs none.
	stmts, err := e.Statements(ctx, q)
	if err != nil {
		return err
	}
	if len(stmts) == 0 {
		stmts = []string{q} // no statement: running it says so (query.ErrEmptyQuery)
	}
	toFile := (output != "" && output != "-") || format == query.Parquet
	if len(stmts) == 1 && toFile {
		_, err := writeResult(ctx, io, e, stmts[0], format, output, maxRows, false, false)
		return err
	}
	printed := false
	for i, s := range stmts {
		if toFile && i < len(stmts)-1 {
			if err := e.Exec(ctx, s); err != nil && !errors.Is(err, query.ErrEmptyQuery) {
				return err
			}
			continue
		}
		changes := false
		if !toFile {
			// As DuckDB's shell, statements that change the database print nothing, nor do the counts of changed
			// rows of INSERT, UPDATE and DELETE without RETURNING.
			var prints bool
			if prints, changes = e.PrintsRows(ctx, s); !prints {
				if err := e.Exec(ctx, s); err != nil && !errors.Is(err, query.ErrEmptyQuery) {
					return err
				}
				continue
			}
		}
		wrote, err := writeResult(ctx, io, e, s, format, output, maxRows, printed && (format == query.Table || format == query.Markdown), changes)
		if errors.Is(err, query.ErrEmptyQuery) {
			continue // text DuckDB's parser finds no statement in, which it skips in a script too
		}
		if err != nil {
			return err
		}
		printed = printed || wrote
	}
	return nil
}

// writeResult runs the statement q and writes its rows in format to output ("" or "-" for standard output),
// after a blank line when apart. With skipCount, a result that is only the count of changed rows is not written
// (wrote false).
func writeResult(ctx context.Context, io *IO, e *query.Engine, q string, format query.Format, output string, maxRows int, apart, skipCount bool) (wrote bool, err error) {
	res, err := e.Query(ctx, q)
	if err != nil {
		return false, err
	}
	if skipCount && res.IsChangeCount() {
		return false, res.Close()
	}
	wo := query.WriteOptions{Escape: Sanitize, MaxRows: maxRows, All: !io.OutIsTerminal}
	if output == "" || output == "-" {
		if apart {
			fmt.Fprintln(io.Out)
		}
		return true, query.Write(res, format, io.Out, wo)
	}
	if format == query.Table || format == query.Markdown {
		defer res.Close()
		f, err := createAtomic(output)
		if err != nil {
			return false, err
		}
		defer f.abort()
		defer atexit.Remove(f.Name())()
		wo.Escape, wo.All = nil, true
		if err := query.Write(res, format, f, wo); err != nil {
			return false, err
		}
		return true, f.commit()
	}
	return true, query.WriteFile(res, format, output)
}

// lineReader reads the lines of the prompt.
type lineReader interface {
	Prompt(prompt string) (string, error)
	Close() error
}

// bufReader reads lines from a non-terminal input, printing the prompt only when asked to.
type bufReader struct {
	sc   *bufio.Scanner
	out  io.Writer
	echo bool
}

func (r *bufReader) Prompt(p string) (string, error) {
	if r.echo {
		fmt.Fprint(r.out, p)
	}
	if !r.sc.Scan() {
		if err := r.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return r.sc.Text(), nil
}

func (r *bufReader) Close() error { return nil }

// linerReader is the line editor with history, on a terminal.
type linerReader struct {
	l       *liner.State
	history string
}

func (r *linerReader) Prompt(p string) (string, error) {
	s, err := r.l.Prompt(p)
	if err == nil && strings.TrimSpace(s) != "" {
		r.l.AppendHistory(s)
	}
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errAborted
	}
	return s, err
}

func (r *linerReader) Close() error {
	if r.history != "" {
		if f, err := os.OpenFile(r.history, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err == nil {
			r.l.WriteHistory(f)
			f.Close()
		}
	}
	return r.l.Close()
}

var errAborted = errors.New("aborted")

func newLineReader(io *IO) lineReader {
	if f, ok := io.In.(*os.File); ok && f == os.Stdin && isTerminal(os.Stdin) && io.OutIsTerminal {
		l := liner.NewLiner()
		l.SetCtrlCAborts(true)
		r := &linerReader{l: l}
		if home, err := os.UserHomeDir(); err == nil {
			r.history = filepath.Join(home, ".pcapframe_history")
			if f, err := os.Open(r.history); err == nil {
				l.ReadHistory(f)
				f.Close()
			}
		}
		return r
	}
	sc := bufio.NewScanner(io.In)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	return &bufReader{sc: sc, out: io.Out, echo: io.OutIsTerminal}
}

// repl runs the interactive prompt until .quit or the end of the input.
func repl(ctx context.Context, io *IO, e *query.Engine, format query.Format, maxRows int) error {
	lr := newLineReader(io)
	defer lr.Close()
	if io.OutIsTerminal {
		fmt.Fprintln(io.Out, "pcapframe sql: statements end with ';'. .tables, .schema TABLE, .mode FORMAT, .help, .quit")
	}
	var stmt strings.Builder
	for {
		prompt := "sql> "
		if stmt.Len() > 0 {
			prompt = "...> "
		}
		line, err := lr.Prompt(prompt)
		if errors.Is(err, errAborted) {
			stmt.Reset()
			continue
		}
		if err != nil {
			if errors.Is(err, errPromptEOF) {
				if strings.TrimSpace(stmt.String()) != "" {
					return runStatement(ctx, io, e, stmt.String(), format, maxRows)
				}
				return nil
			}
			return err
		}
		trimmed := strings.TrimSpace(line)
		if stmt.Len() == 0 && strings.HasPrefix(trimmed, ".") {
			quit, f, err := dotCommand(ctx, io, e, trimmed, format)
			if err != nil {
				fmt.Fprintf(io.ErrOut, "error: %s\n", Sanitize(err.Error()))
			}
			if quit {
				return nil
			}
			format = f
			continue
		}
		if stmt.Len() == 0 && trimmed == "" {
			continue
		}
		stmt.WriteString(line)
		stmt.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") && query.Complete(stmt.String()) { // DuckDB reads the ';' as the end of a statement
			if err := runStatement(ctx, io, e, stmt.String(), format, maxRows); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				var se *query.SQLError
				if errors.As(err, &se) {
					lines := strings.Split(se.Detail(), "\n")
					for i := range lines {
						lines[i] = Sanitize(lines[i])
					}
					fmt.Fprintf(io.ErrOut, "error: %s\n", strings.Join(lines, "\n"))
				} else {
					fmt.Fprintf(io.ErrOut, "error: %s\n", Sanitize(err.Error()))
				}
			}
			stmt.Reset()
		}
	}
}

var errPromptEOF = io.EOF

func runStatement(ctx context.Context, io *IO, e *query.Engine, q string, format query.Format, maxRows int) error {
	if format == query.Parquet {
		return errors.New("parquet is not shown at the prompt: use .mode table, csv, jsonl or markdown")
	}
	return runQuery(ctx, io, e, q, format, "", maxRows)
}

// dotCommand runs a prompt command; it returns whether to quit and the (possibly changed) format.
func dotCommand(ctx context.Context, io *IO, e *query.Engine, line string, format query.Format) (bool, query.Format, error) {
	fields := strings.Fields(line)
	switch fields[0] {
	case ".quit", ".exit", ".q":
		return true, format, nil
	case ".help":
		fmt.Fprintln(io.Out, `.tables         list the tables
.schema TABLE   show the columns of TABLE and their types
.mode FORMAT    show results as table, csv, jsonl or markdown
.quit           leave (or Ctrl-D)
Statements end with ';' and may span lines.`)
		return false, format, nil
	case ".tables":
		tables, err := e.Tables(ctx)
		if err != nil {
			return false, format, err
		}
		for _, t := range tables {
			fmt.Fprintf(io.Out, "%s (%d columns)\n", Sanitize(t.Name), len(t.Columns))
		}
		return false, format, nil
	case ".schema":
		tables, err := e.Tables(ctx)
		if err != nil {
			return false, format, err
		}
		for _, t := range tables {
			if len(fields) > 1 && !slices.Contains(fields[1:], t.Name) {
				continue
			}
			fmt.Fprintf(io.Out, "%s:\n", Sanitize(t.Name))
			w := 0
			for _, c := range t.Columns {
				w = max(w, len(c.Name))
			}
			for _, c := range t.Columns {
				fmt.Fprintf(io.Out, "  %-*s  %s\n", w, Sanitize(c.Name), Sanitize(c.Type))
			}
		}
		return false, format, nil
	case ".mode":
		if len(fields) != 2 {
			return false, format, fmt.Errorf(".mode takes one of table, csv, jsonl, markdown")
		}
		f, err := query.ParseFormat(fields[1])
		if err != nil || f == query.Parquet {
			return false, format, fmt.Errorf("unknown mode %q (modes: table, csv, jsonl, markdown)", fields[1])
		}
		return false, f, nil
	}
	return false, format, fmt.Errorf("unknown command %s (try .help)", fields[0])
}
