package sink

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/pcapframe/pcapframe/schema"
)

const (
	// chunkRows is the number of rows whose values are gathered per column before they are handed to parquet-go,
	// and the unit of work shared among the workers. Large enough to amortise the per-call and per-hand-off costs,
	// small enough that the rows and the value buffers stay in the CPU cache. 4096 rather than 1024, so that a
	// batch of package pipeline (2048 packets) is one chunk: with two workers, half the waits at the ends of
	// chunks (loading a million packets into DuckDB was 0.96-1.02 M rows/s against 0.92-0.98 M), and no
	// measurable change on one core.
	chunkRows = 4096

	// parallelRows is the smallest batch for which the workers are woken; smaller batches are written by the
	// calling goroutine alone.
	parallelRows = 128

	// dictionaryMaxBytes is the size above which a String column's dictionary gives way to plain encoding for the
	// rest of the row group, so that high-cardinality strings (payload hex, URIs) stop paying for a useless
	// dictionary.
	dictionaryMaxBytes = 1 << 20
)

// The zstd codecs, shared by all writers so that their pools of encoders are too.
var (
	zstdFastest = newZstdPageCodec(zstd.SpeedFastest)
	zstdDefault = newZstdPageCodec(zstd.SpeedDefault)
)

// Knobs for benchmarks that compare alternatives.
var (
	zstdCodec   = zstdFastest
	useDict     = true
	deltaInts   = true // Int32, Int64 and Timestamp columns are DELTA_BINARY_PACKED
	bytesSnappy = true // Bytes columns get Snappy when the file gets zstd
)

// parquetWriter writes rows to a Parquet file column by column; see the package doc.
type parquetWriter[R any] struct {
	state
	cols    []schema.Column[R]
	order   []int // column indices, the costliest types first, in the order the workers take them
	pw      *parquet.Writer
	maxRows int
	maxSize int64
	cutSize int   // bytes of String or Bytes values handed to parquet-go at once
	rows    int   // rows in the current row group
	size    int64 // uncompressed size of the values in the current row group
	rowSize int64 // uncompressed size of the fixed-size values of one row

	scratch []*columnScratch // one per worker; scratch[0] belongs to the calling goroutine

	// pending counts, per String column, the bytes of values written since Write last cut a page. parquet-go cuts
	// the pages of a dictionary-encoded column by the size of its indexes alone, and checks the dictionary limit
	// only when it cuts one, so without these cuts the dictionary of a column of long unique strings would grow
	// to tens of MiB before falling back to plain encoding. Each column is written by one worker at a time.
	pending  []int
	pageSize int

	// Hand-off to the background workers, used while a chunk is written in parallel.
	chunk   []R            // rows of the current chunk
	next    atomic.Int64   // index into order of the next column to take
	wake    chan struct{}  // one receive per worker per chunk; closed to stop the workers
	done    sync.WaitGroup // the workers that have not finished the current chunk
	started bool
}

// columnScratch holds one worker's buffers.
type columnScratch struct {
	vals  []parquet.Value // values of one column for one chunk
	arena []byte          // String and Bytes values of one column
	ends  []int           // end of each row's value in arena, -1 if absent
	fix   []byte          // copy of a String value that is not valid UTF-8
	size  int64           // bytes of String and Bytes values written in the current chunk
	err   error
}

func newParquetWriter[R any](t *schema.Table[R], w io.Writer, opts Options) (*parquetWriter[R], error) {
	var codec compress.Codec
	switch opts.Compression {
	case "zstd":
		codec = zstdCodec
	case "snappy":
		codec = s2SnappyCodec
	case "none":
		codec = &parquet.Uncompressed
	}
	config := []parquet.WriterOption{
		parquet.NewSchema(t.Name, parquetNode(t, opts.TimestampUTC, bytesCodec(opts.Compression))),
		parquet.Compression(codec),
		parquet.PageBufferSize(opts.PageBytes),
		parquet.WriteBufferSize(256 << 10),
		parquet.DictionaryMaxBytes(dictionaryMaxBytes),
		// Write cuts row groups itself (by rows and bytes) with Flush.
		parquet.MaxRowsPerRowGroup(1 << 62),
		parquet.KeyValueMetadata(MetaTable, t.Name),
		parquet.KeyValueMetadata(MetaSchemaVersion, SchemaVersion),
	}
	for _, c := range t.Columns {
		if c.Type == schema.Bytes {
			// Min/max of payloads help no query, so Bytes columns skip the column index bounds.
			config = append(config, parquet.SkipPageBounds(c.Name))
		}
	}
	x := &parquetWriter[R]{
		cols:     t.Columns,
		pw:       parquet.NewWriter(w, config...),
		maxRows:  opts.RowGroupRows,
		maxSize:  opts.RowGroupBytes,
		cutSize:  max(opts.PageBytes/2, 4<<10),
		pending:  make([]int, len(t.Columns)),
		pageSize: opts.PageBytes,
	}
	for i, c := range t.Columns {
		x.order = append(x.order, i)
		x.rowSize += int64(fixedSize(c.Type))
	}
	slices.SortStableFunc(x.order, func(a, b int) int {
		return cmp.Compare(typeCost(t.Columns[b].Type), typeCost(t.Columns[a].Type))
	})
	workers := opts.Workers
	if workers > len(t.Columns) {
		workers = len(t.Columns)
	}
	for range workers {
		x.scratch = append(x.scratch, &columnScratch{vals: make([]parquet.Value, chunkRows), ends: make([]int, 0, chunkRows)})
	}
	return x, nil
}

// fixedSize returns the size of a value of type t in bytes, or 0 for String and Bytes.
func fixedSize(t schema.Type) int {
	switch t {
	case schema.Bool:
		return 1
	case schema.Int32:
		return 4
	case schema.Int64, schema.Timestamp, schema.Float64:
		return 8
	}
	return 0
}

// typeCost ranks the types by the usual cost of writing a column of them.
func typeCost(t schema.Type) int {
	switch t {
	case schema.Bytes:
		return 3
	case schema.String:
		return 2
	case schema.Bool:
		return 0
	}
	return 1
}

// bytesCodec returns the codec of Bytes columns under the named compression, or nil for the file's codec.
// Payload bytes compress poorly (packet payloads: by about 30%, mostly encrypted), and zstd spends most of a
// packet table's write time on them, so with zstd they get Snappy instead: S2's Snappy encoder is three times
// as fast as zstd's fastest level on them for output 2% larger.
func bytesCodec(compression string) compress.Codec {
	if compression == "zstd" && bytesSnappy {
		return s2SnappyCodec
	}
	return nil
}

// parquetNode returns the Parquet schema of t: one optional leaf per column, in table order, or for a list column
// an optional group of the standard three-level LIST layout (see list.go). utc is the
// isAdjustedToUTC flag of Timestamp columns; bytesCodec, if not nil, is the codec of the Bytes columns.
func parquetNode[R any](t *schema.Table[R], utc bool, bytesCodec compress.Codec) parquet.Node {
	g := make(orderedGroup, len(t.Columns))
	for i, c := range t.Columns {
		var n parquet.Node
		switch c.Type {
		case schema.Bool:
			n = parquet.Leaf(parquet.BooleanType)
		case schema.Int32:
			n = parquet.Leaf(parquet.Int32Type)
			if deltaInts {
				n = parquet.Encoded(n, &parquet.DeltaBinaryPacked)
			}
		case schema.Int64:
			n = parquet.Leaf(parquet.Int64Type)
			if deltaInts {
				n = parquet.Encoded(n, &parquet.DeltaBinaryPacked)
			}
		case schema.Float64:
			n = parquet.Leaf(parquet.DoubleType)
		case schema.Timestamp:
			n = parquet.TimestampAdjusted(parquet.Nanosecond, utc)
			if deltaInts {
				n = parquet.Encoded(n, &parquet.DeltaBinaryPacked)
			}
		case schema.String:
			n = parquet.String()
			if useDict {
				n = parquet.Encoded(n, &parquet.RLEDictionary)
			}
		case schema.Bytes:
			// PLAIN rather than parquet-go's default DELTA_LENGTH_BYTE_ARRAY: every reader has it, and zstd
			// compresses it as well.
			n = parquet.Encoded(parquet.Leaf(parquet.ByteArrayType), &parquet.Plain)
			if bytesCodec != nil {
				n = parquet.Compressed(n, bytesCodec)
			}
		case schema.StringList:
			e := parquet.String()
			if useDict {
				e = parquet.Encoded(e, &parquet.RLEDictionary)
			}
			n = parquet.List(parquet.Optional(e))
		case schema.Int64List:
			e := parquet.Leaf(parquet.Int64Type)
			if deltaInts {
				e = parquet.Encoded(e, &parquet.DeltaBinaryPacked)
			}
			n = parquet.List(parquet.Optional(e))
		case schema.Float64List:
			n = parquet.List(parquet.Optional(parquet.Leaf(parquet.DoubleType)))
		}
		g[i] = &groupField{Node: parquet.Optional(n), name: c.Name, index: i}
	}
	return g
}

func (x *parquetWriter[R]) Write(rows []R) error {
	if err := x.check(); err != nil {
		return err
	}
	for len(rows) > 0 {
		n := min(len(rows), chunkRows, x.maxRows-x.rows)
		if err := x.writeChunk(rows[:n]); err != nil {
			return x.fail(err)
		}
		rows = rows[n:]
		x.rows += n
		x.size += int64(n) * x.rowSize
		if x.rows >= x.maxRows || x.size >= x.maxSize {
			if err := x.pw.Flush(); err != nil {
				return x.fail(fmt.Errorf("write parquet row group: %w", err))
			}
			x.rows, x.size = 0, 0
		}
	}
	return nil
}

// writeChunk writes at most chunkRows rows. The columns are shared out among the workers: each takes the next
// column not yet taken (the costliest first) and writes all of the chunk's values of it.
func (x *parquetWriter[R]) writeChunk(rows []R) error {
	x.chunk = rows
	x.next.Store(0)
	helpers := 0
	if len(rows) >= parallelRows {
		helpers = len(x.scratch) - 1
	}
	if helpers > 0 && !x.started {
		x.wake = make(chan struct{})
		for _, s := range x.scratch[1:] {
			go x.work(s)
		}
		x.started = true
	}
	x.done.Add(helpers)
	for range helpers {
		x.wake <- struct{}{}
	}
	x.writeColumns(x.scratch[0])
	x.done.Wait()
	x.chunk = nil
	var errs []error
	for _, s := range x.scratch {
		x.size += s.size
		s.size = 0
		if s.err != nil {
			errs = append(errs, s.err)
			s.err = nil
		}
	}
	return errors.Join(errs...)
}

// work is a background worker: it helps with each chunk it is woken for, until wake is closed.
func (x *parquetWriter[R]) work(s *columnScratch) {
	for range x.wake {
		x.writeColumns(s)
		x.done.Done()
	}
}

// writeColumns takes columns of the current chunk and writes them, until none is left.
func (x *parquetWriter[R]) writeColumns(s *columnScratch) {
	cws := x.pw.ColumnWriters()
	for {
		k := int(x.next.Add(1)) - 1
		if k >= len(x.order) {
			return
		}
		ci := x.order[k]
		if err := x.writeColumn(s, cws[ci], ci, x.chunk); err != nil && s.err == nil {
			s.err = err
		}
	}
}

// writeColumn writes the values of column ci of rows.
func (x *parquetWriter[R]) writeColumn(s *columnScratch, cw *parquet.ColumnWriter, ci int, rows []R) error {
	c := &x.cols[ci]
	vals := s.vals[:len(rows)]
	null := parquet.NullValue().Level(0, 0, ci)
	switch c.Type {
	case schema.Bool:
		for i := range rows {
			if v, ok := c.Int(&rows[i]); ok {
				vals[i] = parquet.BooleanValue(v != 0)
				vals[i].SetDefinitionLevel(1)
				vals[i].SetColumnIndex(ci)
			} else {
				vals[i] = null
			}
		}
	case schema.Int32:
		for i := range rows {
			if v, ok := c.Int(&rows[i]); ok {
				vals[i] = parquet.Int32Value(int32(v))
				vals[i].SetDefinitionLevel(1)
				vals[i].SetColumnIndex(ci)
			} else {
				vals[i] = null
			}
		}
	case schema.Int64, schema.Timestamp:
		for i := range rows {
			if v, ok := c.Int(&rows[i]); ok {
				vals[i] = parquet.Int64Value(v)
				vals[i].SetDefinitionLevel(1)
				vals[i].SetColumnIndex(ci)
			} else {
				vals[i] = null
			}
		}
	case schema.Float64:
		for i := range rows {
			if v, ok := c.Float(&rows[i]); ok {
				vals[i] = parquet.DoubleValue(v)
				vals[i].SetDefinitionLevel(1)
				vals[i].SetColumnIndex(ci)
			} else {
				vals[i] = null
			}
		}
	case schema.String, schema.Bytes:
		return x.writeBytes(s, cw, ci, rows)
	case schema.StringList, schema.Int64List, schema.Float64List:
		return x.writeList(s, cw, ci, rows)
	}
	if _, err := cw.WriteRowValues(vals); err != nil {
		return fmt.Errorf("write parquet column %s: %w", c.Name, err)
	}
	return nil
}

// writeBytes writes a String or Bytes column. The values are appended to one arena, which is handed over whenever
// it holds cutSize bytes, so that pages stay near their target size even when values are large.
func (x *parquetWriter[R]) writeBytes(s *columnScratch, cw *parquet.ColumnWriter, ci int, rows []R) error {
	c := &x.cols[ci]
	null := parquet.NullValue().Level(0, 0, ci)
	arena, ends := s.arena[:0], s.ends[:0]
	for i := range rows {
		n := len(arena)
		var ok bool
		if arena, ok = c.Append(&rows[i], arena); !ok {
			arena = arena[:n] // an accessor may have appended before it found the value absent
			ends = append(ends, -1)
		} else {
			if c.Type == schema.String && !utf8.Valid(arena[n:]) {
				// Readers reject a STRING that is not UTF-8 (DuckDB refuses the whole file).
				s.fix = append(s.fix[:0], arena[n:]...)
				arena = appendValidUTF8(arena[:n], s.fix)
			}
			ends = append(ends, len(arena))
		}
		if len(arena) < x.cutSize && i < len(rows)-1 {
			continue
		}
		vals := s.vals[:len(ends)]
		start := 0
		for j, end := range ends {
			if end < 0 {
				vals[j] = null
				continue
			}
			vals[j] = parquet.ByteArrayValue(arena[start:end])
			vals[j].SetDefinitionLevel(1)
			vals[j].SetColumnIndex(ci)
			start = end
		}
		if _, err := cw.WriteRowValues(vals); err != nil {
			return fmt.Errorf("write parquet column %s: %w", c.Name, err)
		}
		s.size += int64(len(arena))
		if c.Type == schema.String {
			if x.pending[ci] += len(arena); x.pending[ci] >= x.pageSize {
				x.pending[ci] = 0
				if err := cw.Flush(); err != nil {
					return fmt.Errorf("write parquet column %s: %w", c.Name, err)
				}
			}
		}
		arena, ends = arena[:0], ends[:0]
	}
	if cap(arena) > 4*x.cutSize {
		arena = nil // one huge value: do not keep its memory
	}
	s.arena = arena
	return nil
}

// writeList writes a list column: per row, one value with the levels of a NULL or empty list, or one value per
// element (repetition level 0 for the first, 1 for the others; definition level 3).
func (x *parquetWriter[R]) writeList(s *columnScratch, cw *parquet.ColumnWriter, ci int, rows []R) error {
	c := &x.cols[ci]
	vals := s.vals[:0]
	arena := s.arena[:0] // String elements that are not valid UTF-8, fixed
	level := func(v parquet.Value, j int) parquet.Value {
		if j > 0 {
			return v.Level(1, defElement, ci)
		}
		return v.Level(0, defElement, ci)
	}
	for i := range rows {
		n, ok := 0, false
		nulls := nullElems(c, &rows[i])
		start := len(vals)
		switch c.Type {
		case schema.StringList:
			var v []string
			if v, ok = c.Strings(&rows[i]); ok {
				n = len(v)
				for j, e := range v {
					b := bytesOf(e)
					if !utf8.Valid(b) {
						// The arena may move as it grows; values already made keep the array they point to.
						start := len(arena)
						arena = appendValidUTF8(arena, b)
						b = arena[start:]
					}
					vals = append(vals, level(parquet.ByteArrayValue(b), j))
					s.size += int64(len(b))
				}
			}
		case schema.Int64List:
			var v []int64
			if v, ok = c.Ints(&rows[i]); ok {
				n = len(v)
				for j, e := range v {
					vals = append(vals, level(parquet.Int64Value(e), j))
				}
				s.size += 8 * int64(n)
			}
		case schema.Float64List:
			var v []float64
			if v, ok = c.Floats(&rows[i]); ok {
				n = len(v)
				for j, e := range v {
					vals = append(vals, level(parquet.DoubleValue(e), j))
				}
				s.size += 8 * int64(n)
			}
		}
		for j := range n {
			if isNull(nulls, j) {
				rep := 1
				if j == 0 {
					rep = 0
				}
				vals[start+j] = parquet.NullValue().Level(rep, defNullElem, ci)
			}
		}
		switch {
		case !ok:
			vals = append(vals, parquet.NullValue().Level(0, defNullList, ci))
		case n == 0:
			vals = append(vals, parquet.NullValue().Level(0, defEmpty, ci))
		}
	}
	_, err := cw.WriteRowValues(vals)
	clear(vals) // drop the references to the rows' strings
	s.vals = vals[:cap(vals)]
	s.arena = arena[:0]
	if err != nil {
		return fmt.Errorf("write parquet column %s: %w", c.Name, err)
	}
	return nil
}

func (x *parquetWriter[R]) Close() error {
	if err := x.check(); err != nil {
		x.stop()
		return err
	}
	x.stop()
	if err := x.pw.Close(); err != nil {
		return x.fail(fmt.Errorf("write parquet: %w", err))
	}
	return nil
}

func (x *parquetWriter[R]) Abort() error {
	x.stop()
	return nil
}

// stop marks the writer closed and ends the workers.
func (x *parquetWriter[R]) stop() {
	x.closed = true
	if x.started {
		close(x.wake)
		x.started = false
	}
}

// orderedGroup is a Parquet group whose fields keep the order they are given in (parquet.Group sorts them by
// name).
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }

func (g orderedGroup) String() string {
	var b strings.Builder
	parquet.PrintSchema(&b, "", g)
	return b.String()
}

func (g orderedGroup) GoType() reflect.Type {
	fields := make([]reflect.StructField, len(g))
	for i, f := range g {
		fields[i] = reflect.StructField{
			Name: fmt.Sprintf("F%d", i),
			Type: f.GoType(),
			Tag:  reflect.StructTag(fmt.Sprintf(`parquet:%q`, f.Name())),
		}
	}
	return reflect.StructOf(fields)
}

// groupField names a node inside an orderedGroup.
type groupField struct {
	parquet.Node
	name  string
	index int // in the group, and so in the struct of the group's GoType
}

func (f *groupField) Name() string { return f.name }

func (f *groupField) Value(base reflect.Value) reflect.Value {
	for base.Kind() == reflect.Pointer || base.Kind() == reflect.Interface {
		base = base.Elem()
	}
	return base.Field(f.index)
}
