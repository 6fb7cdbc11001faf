package sink

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pcapframe/pcapframe/schema"
)

// Format is an output file format.
type Format string

// The supported formats.
const (
	Parquet Format = "parquet"
	CSV     Format = "csv"
	JSONL   Format = "jsonl"
)

// Formats lists the supported formats.
var Formats = []Format{Parquet, CSV, JSONL}

// ErrClosed is returned by Write and Close after the writer was closed or aborted.
var ErrClosed = errors.New("sink: writer already closed")

// ParseFormat returns the format called name ("parquet", "csv", "jsonl"; "ndjson" is accepted for "jsonl").
func ParseFormat(name string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "parquet":
		return Parquet, nil
	case "csv":
		return CSV, nil
	case "jsonl", "ndjson":
		return JSONL, nil
	}
	return "", fmt.Errorf("unknown output format %q (formats: parquet, csv, jsonl)", name)
}

// FormatFromPath returns the format named by the extension of path: .parquet, .csv, .jsonl or .ndjson (in any
// letter case).
func FormatFromPath(path string) (Format, error) {
	ext := filepath.Ext(path)
	switch strings.ToLower(ext) {
	case ".parquet":
		return Parquet, nil
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	}
	if ext == "" {
		return "", fmt.Errorf("cannot tell the output format of %q: the name has no extension (use .parquet, .csv or .jsonl)", path)
	}
	return "", fmt.Errorf("cannot tell the output format of %q: unknown extension %q (use .parquet, .csv or .jsonl)", path, ext)
}

// The defaults of Options.
const (
	// DefaultRowGroupRows is the default maximum number of rows in a Parquet row group. It is DuckDB's own row
	// group size (60 vectors of 2,048 rows): large enough for good compression and few row groups, small enough
	// that a reader scans row groups in parallel.
	DefaultRowGroupRows = 122_880
	// DefaultRowGroupBytes is the default limit on the uncompressed size of the values in a Parquet row group.
	// It bounds the memory a writer holds for tables with wide rows, such as payloads.
	DefaultRowGroupBytes = 32 << 20
	// DefaultPageBytes is the default uncompressed size at which a Parquet column page is compressed and cut
	// (parquet-go's default too). Each page is compressed on its own, so larger pages compress a little better, but
	// on packet tables 1 MiB pages made files only 2% smaller for twice the garbage.
	DefaultPageBytes = 256 << 10
)

// Parquet files name the table they hold in their key-value metadata, so that a file of any subset of a table's
// columns (convert --columns) is recognised by sql, stats, report and plot whatever its name.
const (
	MetaTable         = "pcapframe.table"          // the table's name (packets, flows, ...)
	MetaSchemaVersion = "pcapframe.schema_version" // SchemaVersion when written
	SchemaVersion     = "1"
)

// Options configures a writer. The zero value selects the defaults; only Parquet reads the options.
type Options struct {
	// Compression is the Parquet compression codec: "zstd" (the default when empty), "snappy" or "none". Under
	// "zstd", Bytes columns are compressed with Snappy (see the package doc).
	Compression string
	// RowGroupRows is the maximum number of rows in a Parquet row group. If <= 0, DefaultRowGroupRows.
	RowGroupRows int
	// RowGroupBytes ends a Parquet row group early once the uncompressed size of its values reaches this many
	// bytes. If <= 0, DefaultRowGroupBytes.
	RowGroupBytes int64
	// PageBytes is the uncompressed size at which a Parquet page is cut. If <= 0, DefaultPageBytes.
	PageBytes int
	// TimestampUTC writes Parquet Timestamp columns with isAdjustedToUTC=true instead of the default false
	// ("timestamp without time zone"). The stored values are the same nanoseconds since the Unix epoch in UTC
	// either way, but DuckDB 1.x has no nanosecond type with a time zone: it reads an isAdjustedToUTC=true column
	// as TIMESTAMP WITH TIME ZONE and truncates it to microseconds, whereas it reads the default as TIMESTAMP_NS
	// with every nanosecond. So the default keeps nanoseconds for DuckDB, pandas and Spark alike.
	TimestampUTC bool
	// TimeFormat is how CSV writes Timestamp columns: TimeISO (the default: ISO 8601 in UTC with nanoseconds,
	// which pd.read_csv(..., parse_dates=["time"]) and spreadsheets read as times), TimeEpoch (seconds with nine
	// decimals) or TimeNanos (integer nanoseconds). JSON Lines and Parquet are not affected.
	TimeFormat string
	// CSVRaw writes CSV String values as their raw bytes, quoted as RFC 4180 says (a field holding a comma, a
	// quote, CR or LF is in double quotes, its quotes doubled), instead of the default escapes for display
	// (\xHH, \\, the leading single quote before a formula): for files read by programs, not shown on a
	// terminal or opened in a spreadsheet. Bytes values lose their leading single quote too. Other formats are
	// not affected.
	CSVRaw bool
	// Workers is the number of goroutines, the caller's included, that encode and compress Parquet columns in
	// parallel. If <= 0, runtime.GOMAXPROCS(0); 1 writes everything on the calling goroutine.
	Workers int
}

func (o Options) withDefaults() (Options, error) {
	switch strings.ToLower(o.Compression) {
	case "", "zstd":
		o.Compression = "zstd"
	case "snappy", "none":
		o.Compression = strings.ToLower(o.Compression)
	case "uncompressed":
		o.Compression = "none"
	default:
		return o, fmt.Errorf("unknown parquet compression %q (use zstd, snappy or none)", o.Compression)
	}
	switch o.TimeFormat {
	case "", TimeISO, TimeEpoch, TimeNanos:
	default:
		return o, fmt.Errorf("unknown time format %q (use iso, epoch or ns)", o.TimeFormat)
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.RowGroupBytes <= 0 {
		o.RowGroupBytes = DefaultRowGroupBytes
	}
	if o.PageBytes <= 0 {
		o.PageBytes = DefaultPageBytes
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}

// Writer writes batches of rows of one table.
//
// A Writer is not safe for concurrent use. After Write returned an error, the writer is broken: later calls to
// Write and Close return that error, and Abort discards the output.
type Writer[R any] interface {
	// Write writes rows. The rows are only read during the call: the writer keeps no reference to them or to
	// anything they point to.
	Write(rows []R) error
	// Close flushes buffered rows and finishes the output (the Parquet footer). A writer made by New does not
	// close its io.Writer. A writer made by Create renames its temporary file to the final path, and removes the
	// temporary file instead if anything failed.
	Close() error
	// Abort stops the writer without finishing the output. A writer made by Create removes its temporary file,
	// so nothing appears at the final path; a writer made by New leaves whatever it already wrote to its
	// io.Writer. Abort after Close does nothing and returns nil, so it is safe to defer.
	Abort() error
}

// New returns a writer of rows of table t in format to w, such as standard output. Close flushes but does not
// close w. The table is validated first.
func New[R any](t *schema.Table[R], format Format, w io.Writer, opts Options) (Writer[R], error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %s has no columns to write", t.Name)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	switch format {
	case Parquet:
		if directParquet {
			return newDirectWriter(t, w, opts)
		}
		return newParquetWriter(t, w, opts)
	case CSV:
		tf := opts.TimeFormat
		if tf == "" {
			tf = TimeISO
		}
		cw := newCSVWriter(t, w, tf)
		cw.raw = opts.CSVRaw
		return cw, nil
	case JSONL:
		return newJSONWriter(t, w), nil
	}
	return nil, fmt.Errorf("unknown output format %q (formats: parquet, csv, jsonl)", format)
}

// Create returns a writer of rows of table t in format to the file at path, published atomically: the rows go to
// a hidden temporary file in the same directory (".NAME.tmp-XXXXXXXX"), which Close renames to path only after
// everything was written. Until then path is untouched (an existing file stays as it was); after Abort or a
// failed Close, nothing new is left behind. The file is not synced to disk.
func Create[R any](t *schema.Table[R], format Format, path string, opts Options) (Writer[R], error) {
	f, tmp, err := createTemp(path)
	if err != nil {
		return nil, err
	}
	w, err := New(t, format, f, opts)
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &fileWriter[R]{w: w, f: f, tmp: tmp, path: path}, nil
}

// createTemp creates a new hidden file next to path. Unlike os.CreateTemp it creates the file with mode 0666
// (before umask), the mode os.Create would give the final file.
func createTemp(path string) (*os.File, string, error) {
	dir, name := filepath.Split(path)
	if name == "" {
		return nil, "", fmt.Errorf("create %q: not a file name", path)
	}
	var suffix [4]byte
	for range 100 {
		if _, err := rand.Read(suffix[:]); err != nil {
			return nil, "", fmt.Errorf("create %q: %w", path, err)
		}
		tmp := filepath.Join(dir, "."+name+".tmp-"+hex.EncodeToString(suffix[:]))
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("create %q: %w", path, err)
		}
		return f, tmp, nil
	}
	return nil, "", fmt.Errorf("create %q: cannot find a free temporary name", path)
}

// fileWriter publishes the output of w, written to the temporary file f, at path on Close.
type fileWriter[R any] struct {
	w         Writer[R]
	f         *os.File
	tmp, path string
	done      bool
}

func (fw *fileWriter[R]) Write(rows []R) error {
	if fw.done {
		return ErrClosed
	}
	return fw.w.Write(rows)
}

func (fw *fileWriter[R]) Close() error {
	if fw.done {
		return ErrClosed
	}
	fw.done = true
	err := fw.w.Close()
	if cerr := fw.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %q: %w", fw.path, cerr)
	}
	if err == nil {
		if rerr := os.Rename(fw.tmp, fw.path); rerr != nil {
			err = fmt.Errorf("write %q: %w", fw.path, rerr)
		}
	}
	if err != nil {
		os.Remove(fw.tmp)
		return err
	}
	return nil
}

func (fw *fileWriter[R]) Abort() error {
	if fw.done {
		return nil
	}
	fw.done = true
	fw.w.Abort()
	fw.f.Close()
	if err := os.Remove(fw.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort %q: %w", fw.path, err)
	}
	return nil
}

// state holds what every format writer tracks between calls: the first error and whether it is finished.
type state struct {
	err    error
	closed bool
}

// check returns the error that a call must return before doing anything, or nil.
func (s *state) check() error {
	if s.closed {
		return ErrClosed
	}
	return s.err
}

// fail records err as the writer's error and returns it.
func (s *state) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return err
}
