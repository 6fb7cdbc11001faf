package tables

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pcapframe/pcapframe/analyzer"
	"github.com/pcapframe/pcapframe/analyzer/credentials"
	"github.com/pcapframe/pcapframe/analyzer/dhcp"
	"github.com/pcapframe/pcapframe/analyzer/dns"
	"github.com/pcapframe/pcapframe/analyzer/files"
	"github.com/pcapframe/pcapframe/analyzer/http"
	"github.com/pcapframe/pcapframe/analyzer/ssh"
	"github.com/pcapframe/pcapframe/analyzer/tls"
	"github.com/pcapframe/pcapframe/flow"
	"github.com/pcapframe/pcapframe/packet"
	"github.com/pcapframe/pcapframe/pipeline"
	"github.com/pcapframe/pcapframe/schema"
	"github.com/pcapframe/pcapframe/sink"
)

// list is the one ordered list of tables built from captures. Adding a table is one package and one line here:
// Analyzer(xyz.Table, xyz.New) for a protocol analyzer (package analyzer).
var list = []*Def{
	Packets,
	Flows,
	Endpoints,
	Analyzer(dns.Table, dns.New),
	Analyzer(tls.Table, tls.New),
	Analyzer(ssh.Table, ssh.New),
	Analyzer(dhcp.Table, dhcp.New),
	Analyzer(credentials.Table, credentials.New),
	Analyzer(http.Table, http.New),
	Analyzer(files.Table, files.New),
}

// The tables every run can build.
var (
	// Packets is the packet table: one row per frame. DuckDB computes payload_hex from payload_raw.
	Packets = wide(Define(packet.Table, map[string]string{"payload_hex": "lower(hex(payload_raw))"}, newPackets))
	// Flows is the flows table: one row per conversation, from the run's flow tracker.
	Flows = Define(flow.Table, nil, newFlows)
	// Endpoints is the endpoints table: one row per IP address.
	Endpoints = Define(flow.EndpointTable, nil, newEndpoints)
)

// List returns the table definitions in order: packets, flows, endpoints, then the protocol tables. The
// definitions are shared: do not modify them.
func List() []*Def { return slices.Clone(list) }

// Names returns the names of the tables, in order.
func Names() []string {
	out := make([]string, len(list))
	for i, d := range list {
		out[i] = d.Name()
	}
	return out
}

// Lookup returns the table called name, or nil.
func Lookup(name string) *Def {
	for _, d := range list {
		if d.Name() == name {
			return d
		}
	}
	return nil
}

// Select returns the tables called names, in the order given; an unknown or repeated name is an error that
// lists the tables. The one name "all" selects every table of the list.
func Select(names []string) ([]*Def, error) {
	if len(names) == 1 && strings.TrimSpace(names[0]) == "all" {
		return List(), nil
	}
	var out []*Def
	for _, n := range names {
		n = strings.TrimSpace(n)
		d := Lookup(n)
		if d == nil {
			return nil, fmt.Errorf("unknown table %q (tables: %s)", n, strings.Join(Names(), ", "))
		}
		if slices.Contains(out, d) {
			return nil, fmt.Errorf("table %q named twice", n)
		}
		out = append(out, d)
	}
	return out, nil
}

// Def defines one table: its schema and how the one pass builds it. Make one with Define or Analyzer.
type Def struct {
	// Info is the table's schema: name, doc and columns.
	Info schema.Info
	// Derived maps columns that DuckDB computes from the stored ones (the SQL expression) instead of storing
	// them; writers to files write every column.
	Derived map[string]string

	service bool // the builder is an analyzer that names services (analyzer.Service)
	wide    bool // Parquet pages of sink.DefaultPageBytes rather than narrowPageBytes (see wide)

	start  func(w Writer, env *env) (any, error)
	writer func(columns []string, format sink.Format, w io.Writer, path string, opts sink.Options) (Writer, error)
	text   func(w io.Writer, columns []string, clean func(string) string) (Writer, error)
}

// Name returns the table's name.
func (d *Def) Name() string { return d.Info.TableName() }

// Writer receives the rows of one table. rows is always a []R of the table's row type, read only during the
// call. Writers made by Def.NewWriter and Def.NewText wrap a sink.Writer and the text table; a consumer may
// provide its own (the SQL loader stages rows for DuckDB).
type Writer interface {
	Write(rows any) error
	Close() error
	Abort() error
}

// NewWriter returns a writer of the table's rows in format, with the given columns (none: the default
// selection; "all": every column): to the file at path, published atomically (sink.Create), or to w when path
// is "". A wrong column name is an error that lists the table's columns.
func (d *Def) NewWriter(columns []string, format sink.Format, w io.Writer, path string, opts sink.Options) (Writer, error) {
	return d.writer(columns, format, w, path, opts)
}

// NewText returns a writer of the table's rows as aligned text for a terminal (see TextTable); clean makes
// a cell safe to print.
func (d *Def) NewText(w io.Writer, columns []string, clean func(string) string) (Writer, error) {
	return d.text(w, columns, clean)
}

// Define defines table t, built in each run by start, which writes the table's rows to out. The builder start
// returns is one of:
//
//   - a BatchBuilder, which sees every batch of packets (and may run on a goroutine of its own);
//   - a FlowBuilder, which sees every flow as it ends;
//   - an analyzer.Analyzer, which sees the packets of every flow with their flow and the reassembled TCP
//     streams it asks for.
func Define[R any](t *schema.Table[R], derived map[string]string, start func(out *Rows[R], o *Options) any) *Def {
	d := new(Def) // the writer reads d.wide, which wide sets after Define
	*d = Def{
		Info:    t,
		Derived: derived,
		start: func(w Writer, e *env) (any, error) {
			b := start(&Rows[R]{w: w, buf: make([]R, 0, rowBatch), notes: newNoteSource(t, e.notes.counter(t.Name))}, &e.opts)
			switch b.(type) {
			case BatchBuilder, FlowBuilder, analyzer.Analyzer:
				return b, nil
			}
			return nil, fmt.Errorf("table %s: builder %T is none of BatchBuilder, FlowBuilder, analyzer.Analyzer", t.Name, b)
		},
		writer: func(columns []string, format sink.Format, w io.Writer, path string, opts sink.Options) (Writer, error) {
			sel, err := t.Select(columns)
			if err != nil {
				return nil, &ColumnError{err}
			}
			if !d.wide {
				if opts.PageBytes <= 0 {
					opts.PageBytes = narrowPageBytes
				}
				if opts.RowGroupBytes <= 0 {
					opts.RowGroupBytes = narrowRowGroupBytes
				}
			} else {
				if opts.PageBytes <= 0 {
					opts.PageBytes = widePageBytes
				}
				if opts.RowGroupBytes <= 0 {
					opts.RowGroupBytes = wideRowGroupBytes
				}
			}
			var sw sink.Writer[R]
			if path != "" {
				sw, err = sink.Create(sel, format, path, opts)
			} else {
				sw, err = sink.New(sel, format, w, opts)
			}
			if err != nil {
				return nil, err
			}
			return Erase(sw), nil
		},
		text: func(w io.Writer, columns []string, clean func(string) string) (Writer, error) {
			sel, err := t.Select(columns)
			if err != nil {
				return nil, &ColumnError{err}
			}
			return Erase[R](NewTextTable(w, sel, clean)), nil
		},
	}
	return d
}

// narrowPageBytes is the Parquet page size of every table but packets (sink.Options.PageBytes, when the caller
// leaves it zero). A Parquet writer holds a page of values, a first block and encoding buffers of about that size
// for each column; the flows, endpoints and protocol tables have few rows (one per flow or transaction, at most a
// few hundred thousand on the bench capture) and many columns, so that sink.DefaultPageBytes (256 KiB) made their
// three writers hold about 18 MB more at once in a one-pass conversion of every table (BENCHMARKS.md, "All tables
// in one pass").
const narrowPageBytes = 32 << 10

// narrowRowGroupBytes is the Parquet row group size (sink.Options.RowGroupBytes, uncompressed values) of every table
// but packets, when the caller leaves it zero: a writer holds its row group, compressed, and each String column's
// dictionary until the row group is written, so a table of a hundred thousand flows or handshakes in one row group
// (sink.DefaultRowGroupBytes is 32 MiB) grew by its whole compressed size during a run. Row groups of 4 MiB hold
// about ten thousand flows each, as many as DuckDB reads in parallel anyway.
var narrowRowGroupBytes int64 = 4 << 20

// wideRowGroupBytes is the Parquet row group size of the packets table written through NewWriter (convert --tables),
// when the caller leaves it zero: a quarter of sink.DefaultRowGroupBytes, which `convert -o FILE` keeps. Its payload
// pages, stored as they are when they do not compress, and its compressed pages stay in memory until the row group
// is written: 8 MiB row groups held about 25 MB less at the peak of a pass of packets, flows, dns and tls than
// 32 MiB ones, for the same CPU time (BENCHMARKS.md, "All tables in one pass"). A row group then holds about 10,000
// packets of the bench capture, still several per DuckDB thread.
var wideRowGroupBytes int64 = 8 << 20

// widePageBytes is the Parquet page size of the packets table written through NewWriter, when the caller leaves it
// zero: half of sink.DefaultPageBytes, since the writer holds a page of values for each of its 80 columns (and the
// byte arrays' pages of its row group): 128 KiB pages held about 13 MB less at the peak of the four-table pass.
var widePageBytes = 128 << 10

// wide marks the table of d as one of many rows (packets): its Parquet pages are widePageBytes, its row groups
// wideRowGroupBytes.
func wide(d *Def) *Def {
	d.wide = true
	return d
}

// ColumnError is a column selection that does not fit the table (an unknown or repeated name).
type ColumnError struct{ Err error }

func (e *ColumnError) Error() string { return e.Err.Error() }
func (e *ColumnError) Unwrap() error { return e.Err }

// Analyzer defines the table of a protocol analyzer: newAnalyzer builds the analyzer of a run around the
// function that takes each finished row (which must own its memory: the row is copied).
//
// If A implements analyzer.Service, its answers fill the flows table's service column of a run that builds
// both tables; with Options.Services it also runs, its rows dropped, whenever the flows table is built.
func Analyzer[R any, A analyzer.Analyzer](t *schema.Table[R], newAnalyzer func(emit func(*R) error) A) *Def {
	d := Define(t, nil, func(out *Rows[R], _ *Options) any {
		return &analyzerBuilder[R]{Analyzer: newAnalyzer(out.Add), out: out}
	})
	var a A
	_, d.service = any(a).(analyzer.Service)
	return d
}

// analyzerBuilder flushes the analyzer's rows when it closes.
type analyzerBuilder[R any] struct {
	analyzer.Analyzer
	out *Rows[R]
}

func (a *analyzerBuilder[R]) Close() error {
	if err := a.Analyzer.Close(); err != nil {
		return err
	}
	return a.out.Flush()
}

// Service passes the analyzer's analyzer.Service on, when it has one.
func (a *analyzerBuilder[R]) Service(uid string) string {
	if s, ok := a.Analyzer.(analyzer.Service); ok {
		return s.Service(uid)
	}
	return ""
}

// Abort passes the analyzer's analyzer.Aborter on.
func (a *analyzerBuilder[R]) Abort() {
	if ab, ok := a.Analyzer.(analyzer.Aborter); ok {
		ab.Abort()
	}
}

// WantStream passes the analyzer's analyzer.StreamFilter on; without one, every TCP connection may be wanted.
func (a *analyzerBuilder[R]) WantStream(f *analyzer.Flow) bool {
	if s, ok := a.Analyzer.(analyzer.StreamFilter); ok {
		return s.WantStream(f)
	}
	return true
}

// BatchBuilder builds a table from every batch of packets, in order (the packets and endpoints tables). Batch
// must not keep the batch; it may run on a goroutine of its own, concurrently with the other builders.
type BatchBuilder interface {
	Batch(b *pipeline.Batch) error
	// Close writes what is left.
	Close() error
}

// FlowBuilder builds a table from the flows of the run's tracker (the flows table): Flow is called with each
// flow as it ends, its service set from the analyzers; f is valid only during the call.
type FlowBuilder interface {
	Flow(f *flow.Flow) error
	Close() error
}

// rowBatch is how many rows a Rows buffers before writing them.
const rowBatch = 1024

// Rows buffers a builder's rows for its Writer, and counts the notes of the rows (Stats.Notes).
type Rows[R any] struct {
	w     Writer
	buf   []R
	notes *noteSource[R] // nil: the table has no note column, or the run does not count
}

// Add copies one row into the buffer, writing the buffer when it is full.
func (o *Rows[R]) Add(r *R) error {
	if o.notes != nil {
		o.notes.row(r)
	}
	o.buf = append(o.buf, *r)
	if len(o.buf) == cap(o.buf) {
		return o.Flush()
	}
	return nil
}

// Write writes rows at once, after the buffered ones.
func (o *Rows[R]) Write(rows []R) error {
	if err := o.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	if o.notes != nil {
		for i := range rows {
			o.notes.row(&rows[i])
		}
	}
	return o.w.Write(rows)
}

// Flush writes the buffered rows.
func (o *Rows[R]) Flush() error {
	if len(o.buf) == 0 {
		return nil
	}
	err := o.w.Write(o.buf)
	clear(o.buf)
	o.buf = o.buf[:0]
	return err
}

// Erase makes a typed writer (a sink.Writer, the text table) a Writer.
func Erase[R any](w interface {
	Write(rows []R) error
	Close() error
	Abort() error
}) Writer {
	return erased[R]{w}
}

type erased[R any] struct {
	w interface {
		Write(rows []R) error
		Close() error
		Abort() error
	}
}

func (e erased[R]) Write(rows any) error {
	r, ok := rows.([]R)
	if !ok {
		return fmt.Errorf("write rows: %T is not %T", rows, r)
	}
	return e.w.Write(r)
}
func (e erased[R]) Close() error { return e.w.Close() }
func (e erased[R]) Abort() error { return e.w.Abort() }
