package sink

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/pcapframe/pcapframe/internal/hugepage"
	"github.com/pcapframe/pcapframe/schema"
)

// directParquet selects the direct column-chunk encoder (directWriter) instead of parquet-go's writer.
var directParquet = true

// directWriter writes Parquet files by encoding pages itself: it reads each column's values through the accessors
// straight into typed buffers (definition levels, int32/int64/float64 values, PLAIN byte arrays), encodes a page
// when a buffer reaches the page size, compresses it and keeps it in the column's chunk buffer until the row group
// is written. The file's schema elements are taken from a file written by parquet-go with the same schema, so
// readers see exactly the same types as with parquetWriter.
type directWriter[R any] struct {
	state
	w         io.Writer
	off       int64
	cols      []schema.Column[R]
	cs        []*directColumn
	meta      format.FileMetaData
	maxRows   int
	maxSize   int64
	rows      int
	size      int64
	rowSize   int64
	pageBytes int
	header    thrift.Protocol

	chunk   []R
	next    atomic.Int64
	wake    chan struct{}
	done    sync.WaitGroup
	started bool
	workers int
	// Per row group, thrift-encoded as they are made, so that a file of many row groups does not keep their
	// metadata as Go structs (hundreds of bytes per column chunk) until the footer: its metadata (decoded back
	// into the footer at Close), and per column its column index and offset index (written as they are).
	rowGroups [][]byte
	colIndex  [][][]byte
	offIndex  [][][]byte
	order     []int   // column indexes, costliest type first: the order in which workers take columns
	errs      []error // one per worker
	sizes     []int64 // bytes of String/Bytes values per worker in the current chunk
}

// directColumn is the state of one column: the values of the current page and the pages of the current chunk.
type directColumn struct {
	typ       schema.Type // of the values: a list column's element type (String, Int64, Float64)
	list      bool        // a list column: a LIST of typ (see appendList)
	name      string
	path      []string // in the schema: the column's name, or name, "list", "element" for a list
	ptype     format.Type
	enc       format.Encoding // of the values when not dictionary-encoded
	codec     compress.Codec
	pageBytes int
	bounds    bool // keeps min/max statistics

	// current page
	defs  []byte // definition levels, kept from the page's first null on (a list column: always)
	reps  []byte // repetition levels of a list column
	n     int    // rows in the page (a list column: values, that is levels)
	prows int    // rows in the page of a list column
	i32   []int32
	i64   []int64
	f64   []float64
	bools []byte
	data  []byte  // PLAIN byte arrays
	idx   []int32 // dictionary indexes
	nulls int     // values in the page that are NULL (a list column: levels without an element)
	vsize int     // bytes of String values in the page
	page  stats

	// dictionary of a String column for the current chunk
	useDict   bool
	dict      map[string]int32
	dictData  []byte
	dictN     int32
	val       []byte
	last      int32 // dictionary index of lastVal, or -1
	lastVal   []byte
	usedDict  bool // a dictionary page was written in this chunk
	usedPlain bool

	// current chunk
	chunk        blockBuffer
	pages        []pageInfo
	numValues    int64
	numRows      int64
	nullCount    int64
	uncompressed int64
	stats        stats

	h                                   format.PageHeader
	hdrBuf                              bytes.Buffer
	henc                                *thrift.Encoder
	boundsBuf                           []byte // page bounds of the chunk
	skip                                int    // pages left to store without trying to compress them
	levels, encoded, compressed, rleBuf []byte
	defLevels                           []byte // encoded definition levels of a list column's page
	fix                                 []byte
}

// stats are the bounds of a page or chunk, each value in its PLAIN encoding (byte arrays without length).
type stats struct {
	has      bool
	min, max []byte
	imin     int64 // Int32/Int64/Timestamp/Bool as numbers while counting
	imax     int64
	fmin     float64
	fmax     float64
}

// pageInfo describes a data page for the page index.
type pageInfo struct {
	off      int64 // from the start of the chunk's data pages
	size     int32
	firstRow int64
	nulls    int64
	allNull  bool
	min, max span // in the column's boundsBuf
}

// A page whose compressed size is more than incompressible times its size is stored uncompressed, and the next
// skipPages pages of its column are not tried.
var (
	incompressible = 0.97
	skipPages      = 8
)

// allocValues gives each column of numbers its page of values at full size before the first page, rather than
// growing it value by value from empty, which would fault in each 4 KiB of every intermediate buffer (about
// 4,000 of a conversion's page faults on the bench capture), and the column of byte arrays its first page from the column's slab
// (blockBuffer.take). A page of values takes Options.PageBytes per number column (256 KiB by default).
func (x *directWriter[R]) allocValues() {
	for _, d := range x.cs {
		switch d.typ {
		case schema.Int32:
			d.i32 = make([]int32, 0, d.pageBytes/4+1)
		case schema.Int64, schema.Timestamp:
			d.i64 = make([]int64, 0, d.pageBytes/8+1)
		case schema.Float64:
			d.f64 = make([]float64, 0, d.pageBytes/8+1)
		case schema.Bytes:
			d.data = d.chunk.take(d.pageBytes + 64<<10)
		}
	}
}

// blockSize is the size of the blocks that hold the compressed pages of a row group.
const blockSize = 256 << 10

var blockPool = sync.Pool{New: func() any { b := newBlock(); return &b }}

// Blocks are cut from slabs of blockSlab bytes that the kernel may back with huge pages (package hugepage).
const blockSlab = 32 * blockSize

var (
	slabMu     sync.Mutex
	blockSlabs []byte
)

// newBlock returns an empty block of blockSize bytes.
func newBlock() []byte {
	slabMu.Lock()
	defer slabMu.Unlock()
	if cap(blockSlabs)-len(blockSlabs) < blockSize {
		blockSlabs = hugepage.Make[byte](blockSlab)
	}
	n := len(blockSlabs)
	blockSlabs = blockSlabs[:n+blockSize]
	return blockSlabs[n : n : n+blockSize]
}

// blockBuffer is a byte buffer in fixed-size pooled blocks, so that a growing row group neither copies itself
// nor leaves garbage behind. It is a list of segments written in order: runs of bytes copied into its blocks, and
// large pages stored as they are, whose buffers join the list without a copy (adopt).
//
// The blocks of a finished row group stay with the buffer for the next one (spare) rather than in blockPool: a
// sync.Pool drops its items at garbage collections, and the runtime returns freed memory to the system, so that
// every row group would fault its blocks in again (a third of the page faults of a conversion). Adopted buffers
// are kept the same way (free), for the column's next pages.
type blockBuffer struct {
	blocks  []*[]byte
	spare   []*[]byte
	segs    [][]byte  // the contents, in order: slices of blocks, and adopted buffers
	open    bool      // the last segment ends where the last block does, so the next write extends it
	adopted []*[]byte // buffers taken by adopt, given back to free by reset
	free    []*[]byte
	slab    []byte // where take cuts new buffers from
	n       int64
	small   bool // blocks of smallBlock bytes from ordinary memory (a column of pages under smallPage)
}

// smallBlock is the block size of the chunks of columns whose pages are under smallPage bytes (the narrow tables'
// 32 KiB pages, the packet table's 128 KiB pages in a pass of several tables): a compressed page fits, and a column
// whose chunk is a few KiB holds 64 KiB rather than a 256 KiB block, which counted towards the collector's goal
// though the kernel backed little of it.
const smallBlock = 64 << 10

func (b *blockBuffer) write(p []byte) {
	b.n += int64(len(p))
	for len(p) > 0 {
		if len(b.blocks) == 0 || len(*b.blocks[len(b.blocks)-1]) == cap(*b.blocks[len(b.blocks)-1]) {
			if k := len(b.spare); k > 0 {
				b.blocks = append(b.blocks, b.spare[k-1])
				b.spare = b.spare[:k-1]
			} else if b.small {
				// A column of small pages (the narrow tables): small blocks from ordinary memory, never pooled.
				blk := make([]byte, 0, smallBlock)
				b.blocks = append(b.blocks, &blk)
			} else if len(b.blocks) == 0 {
				// A column's first block: most columns need no other, and only fill part of it, which a block of
				// huge pages would keep in memory whole. (A first block of smallBlock bytes, which sent the
				// columns that need more to the huge-page slabs, made convert's peak RSS 40 MB higher.)
				blk := make([]byte, 0, blockSize)
				b.blocks = append(b.blocks, &blk)
			} else {
				b.blocks = append(b.blocks, blockPool.Get().(*[]byte))
			}
			b.open = false
		}
		blk := b.blocks[len(b.blocks)-1]
		start := len(*blk)
		k := min(len(p), cap(*blk)-start)
		*blk = append(*blk, p[:k]...)
		if b.open {
			last := &b.segs[len(b.segs)-1]
			*last = (*last)[:len(*last)+k] // the block's array, which never moves: appends stay within its capacity
		} else {
			b.segs = append(b.segs, (*blk)[start:start+k])
			b.open = true
		}
		p = p[k:]
	}
}

// adopt appends the bytes of *p by taking the buffer itself: the caller must not use it again.
func (b *blockBuffer) adopt(p *[]byte) {
	b.n += int64(len(*p))
	b.segs = append(b.segs, *p)
	b.adopted = append(b.adopted, p)
	b.open = false
}

// take returns an empty buffer of at least size bytes: one that adopt took and reset gave back, or a new one
// with room for size and a quarter more.
func (b *blockBuffer) take(size int) []byte {
	for len(b.free) > 0 {
		p := b.free[len(b.free)-1]
		b.free = b.free[:len(b.free)-1]
		if cap(*p) >= size {
			return (*p)[:0]
		}
	}
	n := size + size/4
	if cap(b.slab)-len(b.slab) < n {
		if n < smallPage {
			// Small pages (the small tables' 32 KiB pages) come from ordinary memory in small slabs: a slab advised
			// for huge pages would make every column of every table resident by 2 MiB on its first page (about
			// 200 MB for the flows, dns and tls tables together).
			b.slab = make([]byte, 0, max(smallSlab, n))
		} else {
			b.slab = hugepage.Make[byte](max(slabSize, n))
		}
	}
	start := len(b.slab)
	b.slab = b.slab[:start+n]
	return b.slab[start : start : start+n]
}

// slabSize is the size of the slabs take cuts new page buffers from; pages under smallPage bytes are cut from
// ordinary slabs of smallSlab bytes instead.
const (
	slabSize  = 8 << 20
	smallPage = 256 << 10
	smallSlab = 512 << 10
)

func (b *blockBuffer) writeTo(w io.Writer) error {
	for _, s := range b.segs {
		if _, err := w.Write(s); err != nil {
			return err
		}
	}
	return nil
}

// release empties the buffer and gives all its blocks back to blockPool.
func (b *blockBuffer) release() {
	b.reset()
	for _, blk := range b.spare {
		if cap(*blk) == blockSize {
			blockPool.Put(blk)
		}
	}
	clear(b.spare)
	clear(b.free)
	b.spare, b.free = b.spare[:0], b.free[:0]
}

// reset empties the buffer, keeping its blocks as spares and the adopted buffers for take (but not those of
// huge values).
func (b *blockBuffer) reset() {
	for _, blk := range b.blocks {
		*blk = (*blk)[:0]
		b.spare = append(b.spare, blk)
	}
	for _, p := range b.adopted {
		if cap(*p) <= maxKeptPage {
			b.free = append(b.free, p)
		}
	}
	clear(b.blocks)
	clear(b.segs)
	clear(b.adopted)
	b.blocks, b.segs, b.adopted, b.open, b.n = b.blocks[:0], b.segs[:0], b.adopted[:0], false, 0
}

// adoptMin is the size from which a page stored as it is joins the row group without a copy (blockBuffer.adopt);
// maxKeptPage the capacity above which an adopted buffer (one that held a huge value) is dropped after use.
const (
	adoptMin    = 64 << 10
	maxKeptPage = 8 << 20
)

func newDirectWriter[R any](t *schema.Table[R], w io.Writer, opts Options) (*directWriter[R], error) {
	var codec compress.Codec
	switch opts.Compression {
	case "zstd":
		codec = zstdCodec
	case "snappy":
		codec = s2SnappyCodec
	case "none":
		codec = &parquet.Uncompressed
	}
	bc := bytesCodec(opts.Compression)
	// The schema elements, column orders and created_by come from an empty file written by parquet-go.
	var buf bytes.Buffer
	pw := parquet.NewWriter(&buf, parquet.NewSchema(t.Name, parquetNode(t, opts.TimestampUTC, bc)), parquet.Compression(codec))
	if err := pw.Close(); err != nil {
		return nil, fmt.Errorf("write parquet schema: %w", err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, fmt.Errorf("write parquet schema: %w", err)
	}
	tm := f.Metadata()
	x := &directWriter[R]{
		w:         w,
		cols:      t.Columns,
		maxRows:   opts.RowGroupRows,
		maxSize:   opts.RowGroupBytes,
		pageBytes: opts.PageBytes,
		header:    &thrift.CompactProtocol{},
		meta: format.FileMetaData{
			Version:      tm.Version,
			Schema:       tm.Schema,
			CreatedBy:    tm.CreatedBy,
			ColumnOrders: tm.ColumnOrders,
			KeyValueMetadata: []format.KeyValue{
				{Key: MetaTable, Value: t.Name}, {Key: MetaSchemaVersion, Value: SchemaVersion},
			},
		},
	}
	// A column is one schema element, a list column three (the LIST group, its repeated group and the leaf).
	want := 1
	for _, c := range t.Columns {
		want++
		if c.Type.IsList() {
			want += 2
		}
	}
	if len(tm.Schema) != want {
		return nil, fmt.Errorf("write parquet schema: %d schema elements for %d columns", len(tm.Schema), len(t.Columns))
	}
	el := 1
	for _, c := range t.Columns {
		dc := &directColumn{typ: c.Type, name: c.Name, path: []string{c.Name}, codec: codec, pageBytes: opts.PageBytes}
		dc.chunk.small = opts.PageBytes < smallPage
		if c.Type.IsList() {
			dc.typ, dc.list = elementType(c.Type), true
			dc.path = []string{c.Name, "list", "element"}
			el += 2
		}
		dc.ptype = tm.Schema[el].Type.V
		el++
		switch dc.typ {
		case schema.Int32, schema.Int64, schema.Timestamp:
			dc.enc = format.DeltaBinaryPacked
		default:
			dc.enc = format.Plain
		}
		if c.Type == schema.Bytes && bc != nil {
			dc.codec = bc
		}
		dc.bounds = dc.typ != schema.Bytes
		dc.resetDict()
		x.cs = append(x.cs, dc)
		x.rowSize += int64(fixedSize(c.Type))
	}
	x.allocValues()
	// Workers take the columns of each chunk in turn and wait for each other at its end; the costliest columns
	// (byte arrays, then strings) go first, so that the last ones to finish are cheap.
	for i := range x.cs {
		x.order = append(x.order, i)
	}
	cost := func(t schema.Type) int {
		switch t {
		case schema.Bytes:
			return 0
		case schema.String:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(x.order, func(a, b int) int { return cost(x.cs[a].typ) - cost(x.cs[b].typ) })
	x.workers = max(1, min(opts.Workers, len(t.Columns)))
	x.errs = make([]error, x.workers)
	x.sizes = make([]int64, x.workers)
	return x, nil
}

func (x *directWriter[R]) Write(rows []R) error {
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
			if err := x.flushRowGroup(); err != nil {
				return x.fail(err)
			}
		}
	}
	return nil
}

func (x *directWriter[R]) writeChunk(rows []R) error {
	x.chunk = rows
	x.next.Store(0)
	helpers := 0
	if len(rows) >= parallelRows {
		helpers = x.workers - 1
	}
	if helpers > 0 && !x.started {
		x.wake = make(chan struct{})
		for i := 1; i < x.workers; i++ {
			go func() {
				for range x.wake {
					x.writeColumns(i)
					x.done.Done()
				}
			}()
		}
		x.started = true
	}
	x.done.Add(helpers)
	for range helpers {
		x.wake <- struct{}{}
	}
	x.writeColumns(0)
	x.done.Wait()
	x.chunk = nil
	var errs []error
	for i := range x.errs {
		x.size += x.sizes[i]
		x.sizes[i] = 0
		if x.errs[i] != nil {
			errs = append(errs, x.errs[i])
			x.errs[i] = nil
		}
	}
	return errors.Join(errs...)
}

// writeColumns takes columns of the current chunk (in x.order) and appends their values, until none is left.
func (x *directWriter[R]) writeColumns(wk int) {
	for {
		k := int(x.next.Add(1)) - 1
		if k >= len(x.order) {
			return
		}
		ci := x.order[k]
		var n int64
		var err error
		if x.cs[ci].list {
			n, err = appendList(x.cs[ci], &x.cols[ci], x.chunk)
		} else {
			n, err = appendColumn(x.cs[ci], &x.cols[ci], x.chunk)
		}
		x.sizes[wk] += n
		if err != nil && x.errs[wk] == nil {
			x.errs[wk] = err
		}
	}
}

// appendColumn appends the values of column c of rows to d's current page, cutting pages as they fill. It returns
// the bytes of String and Bytes values appended.
func appendColumn[R any](d *directColumn, c *schema.Column[R], rows []R) (int64, error) {
	var total int64
	switch d.typ {
	case schema.Bool:
		for i := range rows {
			v, ok := c.Int(&rows[i])
			d.def(ok)
			if ok {
				b := int64(0)
				if v != 0 {
					b = 1
				}
				d.bools = append(d.bools, byte(b))
				d.page.addInt(b)
			}
			if d.n >= d.pageBytes {
				if err := d.cutPage(); err != nil {
					return total, err
				}
			}
		}
	case schema.Int32:
		for i := range rows {
			v, ok := c.Int(&rows[i])
			d.def(ok)
			if ok {
				d.i32 = append(d.i32, int32(v))
				d.page.addInt(int64(int32(v)))
			}
			if 4*len(d.i32) >= d.pageBytes || d.n >= d.pageBytes {
				if err := d.cutPage(); err != nil {
					return total, err
				}
			}
		}
	case schema.Int64, schema.Timestamp:
		for i := range rows {
			v, ok := c.Int(&rows[i])
			d.def(ok)
			if ok {
				d.i64 = append(d.i64, v)
				d.page.addInt(v)
			}
			if 8*len(d.i64) >= d.pageBytes || d.n >= d.pageBytes {
				if err := d.cutPage(); err != nil {
					return total, err
				}
			}
		}
	case schema.Float64:
		for i := range rows {
			v, ok := c.Float(&rows[i])
			d.def(ok)
			if ok {
				d.f64 = append(d.f64, v)
				d.page.addFloat(v)
			}
			if 8*len(d.f64) >= d.pageBytes || d.n >= d.pageBytes {
				if err := d.cutPage(); err != nil {
					return total, err
				}
			}
		}
	case schema.String:
		for i := range rows {
			v, ok := c.Append(&rows[i], d.val[:0])
			if !ok {
				d.val = v[:0]
				d.def(false)
			} else {
				d.val = v
				if len(v) > math.MaxInt32 {
					return total, fmt.Errorf("write parquet column %s: value of %d bytes is too large", d.name, len(v))
				}
				d.def(true)
				total += int64(len(v))
				d.vsize += len(v)
				if d.useDict {
					// The value of the row before is often the same (packets of one conversation). The dictionary
					// holds only valid UTF-8, so a value found in it needs no check.
					k := d.last
					if k < 0 || !bytes.Equal(v, d.lastVal) {
						var ok bool
						if k, ok = d.dict[string(v)]; !ok {
							if !utf8.Valid(v) {
								d.fix = append(d.fix[:0], v...)
								v = appendValidUTF8(v[:0], d.fix)
								d.val = v
							}
							if k, ok = d.dict[string(v)]; !ok {
								k = d.dictN
								d.dictN++
								d.dict[string(v)] = k
								d.dictData = binary.LittleEndian.AppendUint32(d.dictData, uint32(len(v)))
								d.dictData = append(d.dictData, v...)
							}
						}
						d.last, d.lastVal = k, append(d.lastVal[:0], v...)
						d.page.addBytes(v)
					}
					d.idx = append(d.idx, k)
				} else {
					if !utf8.Valid(v) {
						d.fix = append(d.fix[:0], v...)
						v = appendValidUTF8(v[:0], d.fix)
						d.val = v
					}
					d.page.addBytes(v)
					d.data = binary.LittleEndian.AppendUint32(d.data, uint32(len(v)))
					d.data = append(d.data, v...)
				}
			}
			if d.vsize >= d.pageBytes || d.n >= d.pageBytes {
				if err := d.cutPage(); err != nil {
					return total, err
				}
			}
			if d.useDict && len(d.dictData) > dictionaryMaxBytes {
				// Too many distinct values: plain encoding for the rest of the chunk.
				if err := d.cutPage(); err != nil {
					return total, err
				}
				d.useDict = false
			}
		}
		if cap(d.val) > 1<<20 {
			d.val = nil
		}
	case schema.Bytes:
		for i := range rows {
			n := len(d.data)
			data, ok := c.Append(&rows[i], append(d.data, 0, 0, 0, 0))
			if !ok {
				d.data = data[:n]
				d.def(false)
			} else {
				l := len(data) - n - 4
				if l > math.MaxInt32 {
					return total, fmt.Errorf("write parquet column %s: value of %d bytes is too large", d.name, l)
				}
				binary.LittleEndian.PutUint32(data[n:], uint32(l))
				d.data = data
				d.def(true)
				total += int64(l)
			}
			if len(d.data) >= d.pageBytes || d.n >= d.pageBytes {
				if err := d.cutPage(); err != nil {
					return total, err
				}
			}
		}
	}
	return total, nil
}

// def counts a row of the current page, present (ok) or null. The definition levels are kept only once the page
// has a null: a page without nulls is one run of ones (appendOnesRun).
func (d *directColumn) def(ok bool) {
	if ok {
		if d.nulls != 0 {
			d.defs = append(d.defs, 1)
		}
		d.n++
		return
	}
	if d.nulls == 0 {
		d.defs = d.defs[:0]
		for range d.n {
			d.defs = append(d.defs, 1)
		}
	}
	d.defs = append(d.defs, 0)
	d.nulls++
	d.n++
}

// appendOnesRun appends the definition levels of n present values (bit width 1) in the RLE/bit-packed hybrid
// encoding: one RLE run, its header the varint n<<1 and its value one byte.
func appendOnesRun(dst []byte, n int) []byte {
	dst = binary.AppendUvarint(dst, uint64(n)<<1)
	return append(dst, 1)
}

func (s *stats) addInt(v int64) {
	if !s.has {
		s.imin, s.imax, s.has = v, v, true
		return
	}
	s.imin = min(s.imin, v)
	s.imax = max(s.imax, v)
}

func (s *stats) addFloat(v float64) {
	if v != v {
		return // NaN has no order
	}
	if !s.has {
		s.fmin, s.fmax, s.has = v, v, true
		return
	}
	s.fmin = min(s.fmin, v)
	s.fmax = max(s.fmax, v)
}

func (s *stats) addBytes(v []byte) {
	if !s.has {
		s.min, s.max, s.has = append(s.min[:0], v...), append(s.max[:0], v...), true
		return
	}
	if bytes.Compare(v, s.min) < 0 {
		s.min = append(s.min[:0], v...)
	} else if bytes.Compare(v, s.max) > 0 {
		s.max = append(s.max[:0], v...)
	}
}

// merge adds the bounds of page p (of type t) to s.
func (s *stats) merge(t schema.Type, p *stats) {
	if !p.has {
		return
	}
	switch t {
	case schema.Float64:
		s.addFloat(p.fmin)
		s.addFloat(p.fmax)
	case schema.String:
		s.addBytes(p.min)
		s.addBytes(p.max)
	default:
		s.addInt(p.imin)
		s.addInt(p.imax)
	}
}

// boundsMaxBytes limits the String bounds kept in statistics and the page index.
const boundsMaxBytes = 64

// encode appends the PLAIN encodings of the bounds of a t to buf and returns where they are in it.
func (s *stats) encode(t schema.Type, buf []byte) (lo, hi span, out []byte) {
	if !s.has {
		return span{}, span{}, buf
	}
	n := len(buf)
	switch t {
	case schema.Bool:
		buf = append(buf, byte(s.imin), byte(s.imax))
		return span{n, n + 1, true}, span{n + 1, n + 2, true}, buf
	case schema.Int32:
		buf = binary.LittleEndian.AppendUint32(buf, uint32(s.imin))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(s.imax))
		return span{n, n + 4, true}, span{n + 4, n + 8, true}, buf
	case schema.Int64, schema.Timestamp:
		buf = binary.LittleEndian.AppendUint64(buf, uint64(s.imin))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(s.imax))
		return span{n, n + 8, true}, span{n + 8, n + 16, true}, buf
	case schema.Float64:
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.fmin))
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.fmax))
		return span{n, n + 8, true}, span{n + 8, n + 16, true}, buf
	case schema.String:
		buf = append(buf, s.min[:min(len(s.min), boundsMaxBytes)]...)
		lo = span{n, len(buf), true}
		m := len(buf)
		if len(s.max) <= boundsMaxBytes {
			buf = append(buf, s.max...)
			return lo, span{m, len(buf), true}, buf
		}
		// A shorter upper bound: the longest prefix whose last byte can be incremented, incremented.
		hi := s.max[:boundsMaxBytes]
		for len(hi) > 0 && hi[len(hi)-1] == 0xff {
			hi = hi[:len(hi)-1]
		}
		if len(hi) == 0 {
			return span{}, span{}, buf[:n]
		}
		buf = append(buf, hi...)
		buf[len(buf)-1]++
		return lo, span{m, len(buf), true}, buf
	}
	return span{}, span{}, buf
}

// span is the range [start, end) of a byte slice, if ok; the zero span stands for no value (an empty value is
// a span that is ok).
type span struct {
	start, end int
	ok         bool
}

func (s span) of(buf []byte) []byte {
	if !s.ok {
		return nil
	}
	return buf[s.start:s.end:s.end]
}

// header returns the compact thrift encoding of h, valid until the next call.
func (d *directColumn) header(h *format.PageHeader) ([]byte, error) {
	d.hdrBuf.Reset()
	if d.henc == nil {
		d.henc = thrift.NewEncoder((&thrift.CompactProtocol{}).NewWriter(&d.hdrBuf))
	}
	if err := d.henc.Encode(h); err != nil {
		return nil, err
	}
	return d.hdrBuf.Bytes(), nil
}

var (
	levelEncoding     = rle.Encoding{BitWidth: 1}
	listLevelEncoding = rle.Encoding{BitWidth: 2} // definition levels of a list column, 0 to 3
	deltaEncoding     delta.BinaryPackedEncoding
)

// cutPage encodes, compresses and appends the current page (a DataPage v2) to the chunk.
func (d *directColumn) cutPage() error {
	if d.n == 0 {
		return nil
	}
	var err error
	repBytes := 0
	if d.list {
		// Repetition levels (bit width 1), then definition levels (bit width 2), each RLE/bit-packed.
		if d.levels, err = levelEncoding.EncodeLevels(d.levels[:0], d.reps); err == nil {
			repBytes = len(d.levels)
			if d.defLevels, err = listLevelEncoding.EncodeLevels(d.defLevels[:0], d.defs); err == nil {
				d.levels = append(d.levels, d.defLevels...)
			}
		}
		if err != nil {
			return fmt.Errorf("write parquet column %s: %w", d.name, err)
		}
	} else if d.nulls == 0 {
		d.levels = appendOnesRun(d.levels[:0], d.n)
	} else if d.levels, err = levelEncoding.EncodeLevels(d.levels[:0], d.defs); err != nil {
		return fmt.Errorf("write parquet column %s: %w", d.name, err)
	}
	vals := d.encoded[:0]
	enc := d.enc
	switch d.typ {
	case schema.Bool:
		vals = appendBits(vals, d.bools)
	case schema.Int32:
		vals, err = deltaEncoding.EncodeInt32(vals, d.i32)
	case schema.Int64, schema.Timestamp:
		vals, err = deltaEncoding.EncodeInt64(vals, d.i64)
	case schema.Float64:
		for _, f := range d.f64 {
			vals = binary.LittleEndian.AppendUint64(vals, math.Float64bits(f))
		}
	case schema.String:
		if d.useDict {
			enc = format.RLEDictionary
			w := bits.Len32(uint32(max(d.dictN-1, 0)))
			// EncodeInt32 overwrites its dst, so the indexes go to rleBuf and then after the bit width.
			if d.rleBuf, err = (&rle.Encoding{BitWidth: w}).EncodeInt32(d.rleBuf[:0], d.idx); err == nil {
				vals = append(append(vals, byte(w)), d.rleBuf...)
			}
			d.usedDict = true
		} else {
			vals = d.data
			d.usedPlain = true
		}
	case schema.Bytes:
		vals = d.data // already PLAIN
	}
	if err != nil {
		return fmt.Errorf("write parquet column %s: %w", d.name, err)
	}
	if d.typ != schema.Bytes && !(d.typ == schema.String && !d.useDict) {
		d.encoded = vals
	}
	// A DataPage v2 says whether it is compressed, so pages that do not compress are stored as they are, and
	// after such a page the next skipPages pages of the column are not tried.
	compressed := vals
	isCompressed := false
	if d.codec.CompressionCodec() != format.Uncompressed {
		if d.skip > 0 {
			d.skip--
		} else if d.typ == schema.Bytes && !d.worthCompressing(vals) {
			// stored as it is
		} else {
			if d.compressed, err = d.codec.Encode(d.compressed[:0], vals); err != nil {
				return fmt.Errorf("write parquet column %s: %w", d.name, err)
			}
			if float64(len(d.compressed)) <= incompressible*float64(len(vals)) {
				compressed, isCompressed = d.compressed, true
			} else if d.typ != schema.Bytes && d.typ != schema.String {
				// Payload pages vary (text, then encrypted), and a String column's pages change from dictionary
				// indexes to plain text, so those columns try every page.
				d.skip = skipPages
			}
		}
	}
	rows := d.n
	if d.list {
		rows = d.prows
	}
	d.h = format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(d.levels) + len(vals)),
		CompressedPageSize:   int32(len(d.levels) + len(compressed)),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues:                  int32(d.n),
			NumNulls:                   int32(d.nulls),
			NumRows:                    int32(rows),
			Encoding:                   enc,
			RepetitionLevelsByteLength: int32(repBytes),
			DefinitionLevelsByteLength: int32(len(d.levels) - repBytes),
			IsCompressed:               thrift.New(isCompressed),
			Statistics:                 format.Statistics{NullCount: int64(d.nulls)},
		}),
	}
	hdr, err := d.header(&d.h)
	if err != nil {
		return fmt.Errorf("write parquet column %s: %w", d.name, err)
	}
	pi := pageInfo{
		off:      d.chunk.n,
		size:     int32(len(hdr) + len(d.levels) + len(compressed)),
		firstRow: d.numRows,
		nulls:    int64(d.nulls),
		allNull:  d.nulls == d.n,
	}
	if d.bounds {
		pi.min, pi.max, d.boundsBuf = d.page.encode(d.typ, d.boundsBuf)
		if !pi.min.ok && d.typ == schema.Float64 && d.nulls < d.n {
			// Only NaNs, which statistics leave out: the page index still needs bounds for a page with values
			// (a DOUBLE of no bytes makes parquet-go's reader panic). NaN, as parquet-go writes; readers ignore
			// NaN bounds (parquet.thrift, ColumnOrder).
			n := len(d.boundsBuf)
			d.boundsBuf = binary.LittleEndian.AppendUint64(d.boundsBuf, math.Float64bits(math.NaN()))
			pi.min, pi.max = span{n, n + 8, true}, span{n, n + 8, true}
		}
	}
	d.pages = append(d.pages, pi)
	d.chunk.write(hdr)
	d.chunk.write(d.levels)
	if !isCompressed && len(compressed) >= adoptMin && len(d.data) > 0 && &compressed[0] == &d.data[0] {
		// A large page of byte arrays stored as it is (payloads that do not compress, or no compression): the
		// row group takes the page's buffer instead of a copy, and the column's next page starts in another.
		data := d.data
		d.chunk.adopt(&data)
		d.data = d.chunk.take(d.pageBytes + 64<<10)
	} else {
		d.chunk.write(compressed)
	}
	d.uncompressed += int64(len(hdr) + len(d.levels) + len(vals))
	d.numValues += int64(d.n)
	d.numRows += int64(rows)
	d.nullCount += int64(d.nulls)
	d.stats.merge(d.typ, &d.page)
	d.page.has = false
	d.last = -1
	d.defs, d.i32, d.i64, d.f64, d.bools, d.data, d.idx, d.nulls, d.vsize, d.n = d.defs[:0], d.i32[:0], d.i64[:0], d.f64[:0], d.bools[:0], d.data[:0], d.idx[:0], 0, 0, 0
	d.reps, d.prows = d.reps[:0], 0
	if cap(d.data) > 4*d.pageBytes {
		d.data = nil // one huge value: do not keep its memory
	}
	return nil
}

// Sampling of Bytes pages: a page of at least sampleMin bytes is compressed only if sampleBlocks blocks of
// sampleBytes, spread over it, compress together to at most sampleRatio of their size. Payload pages that would
// shrink little (compressed media, encryption, mixed traffic) are then stored without spending the time. On the
// 1M-packet bench capture this makes `convert` about 15% faster for a payload column about 10% larger
// (BENCHMARKS.md); most of the size that compression saves comes from the pages that shrink by half or more.
var (
	sampleMin    = 64 << 10
	sampleBlocks = 4
	sampleBytes  = 4 << 10
	sampleRatio  = 0.7
)

// worthCompressing tells whether the Bytes page vals is worth compressing, from a sample.
func (d *directColumn) worthCompressing(vals []byte) bool {
	if len(vals) < sampleMin || sampleBlocks == 0 {
		return true
	}
	step := len(vals) / sampleBlocks
	in, out := 0, 0
	for i := range sampleBlocks {
		blk := vals[i*step : i*step+sampleBytes]
		var err error
		if d.compressed, err = d.codec.Encode(d.compressed[:0], blk); err != nil {
			return true // the whole page will report it
		}
		in, out = in+len(blk), out+len(d.compressed)
	}
	return float64(out) <= sampleRatio*float64(in)
}

// appendBits appends the PLAIN encoding of booleans (one bit each, least significant first).
func appendBits(dst, bools []byte) []byte {
	for i := 0; i < len(bools); i += 8 {
		var b byte
		for j := i; j < min(i+8, len(bools)); j++ {
			b |= bools[j] << (j - i)
		}
		dst = append(dst, b)
	}
	return dst
}

// dictionaryPage returns the header and compressed data of the chunk's dictionary page.
func (d *directColumn) dictionaryPage() (hdr, data []byte, uncompressed int, err error) {
	data = d.dictData
	if d.codec.CompressionCodec() != format.Uncompressed {
		if d.compressed, err = d.codec.Encode(d.compressed[:0], d.dictData); err != nil {
			return nil, nil, 0, fmt.Errorf("write parquet column %s: %w", d.name, err)
		}
		data = d.compressed
	}
	d.h = format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(d.dictData)),
		CompressedPageSize:   int32(len(data)),
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: d.dictN, Encoding: format.Plain}),
	}
	if hdr, err = d.header(&d.h); err != nil {
		return nil, nil, 0, fmt.Errorf("write parquet column %s: %w", d.name, err)
	}
	return hdr, data, len(hdr) + len(d.dictData), nil
}

// start writes the file's magic number before the first row group.
func (x *directWriter[R]) start() error {
	if x.off > 0 {
		return nil
	}
	if _, err := x.w.Write([]byte("PAR1")); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	x.off = 4
	return nil
}

// flushRowGroup cuts the last pages and writes the row group's column chunks.
func (x *directWriter[R]) flushRowGroup() error {
	if x.rows == 0 {
		return nil
	}
	if err := x.start(); err != nil {
		return err
	}
	rg := format.RowGroup{NumRows: int64(x.rows), FileOffset: x.off, Ordinal: int16(len(x.rowGroups))}
	proto := &thrift.CompactProtocol{}
	var cis, ois [][]byte
	for _, d := range x.cs {
		if err := d.cutPage(); err != nil {
			return err
		}
		start := x.off
		md := format.ColumnMetaData{
			Type:         d.ptype,
			PathInSchema: d.path,
			Codec:        d.codec.CompressionCodec(),
			NumValues:    d.numValues,
			Statistics:   format.Statistics{NullCount: d.nullCount},
		}
		var compressed, uncompressed int64
		if d.usedDict {
			hdr, data, n, err := d.dictionaryPage()
			if err != nil {
				return err
			}
			for _, p := range [][]byte{hdr, data} {
				if _, err := x.w.Write(p); err != nil {
					return fmt.Errorf("write parquet: %w", err)
				}
			}
			md.DictionaryPageOffset = start
			compressed += int64(len(hdr) + len(data))
			uncompressed += int64(n)
			md.Encoding = append(md.Encoding, format.Plain, format.RLEDictionary)
			if d.usedPlain {
				md.Encoding = append(md.Encoding, format.Plain)
			}
		} else {
			md.Encoding = append(md.Encoding, d.enc)
		}
		md.Encoding = append(md.Encoding, format.RLE)
		dataStart := start + compressed
		if err := d.chunk.writeTo(x.w); err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		compressed += d.chunk.n
		uncompressed += d.uncompressed
		x.off = start + compressed
		md.TotalCompressedSize = compressed
		md.TotalUncompressedSize = uncompressed
		md.DataPageOffset = dataStart
		if d.bounds {
			var lo, hi span
			var buf []byte
			lo, hi, buf = d.stats.encode(d.typ, nil)
			md.Statistics.MinValue, md.Statistics.MaxValue = lo.of(buf), hi.of(buf)
		}
		rg.Columns = append(rg.Columns, format.ColumnChunk{FileOffset: start, MetaData: md})
		rg.TotalByteSize += uncompressed
		rg.TotalCompressedSize += compressed

		cx := format.ColumnIndex{}
		ox := format.OffsetIndex{}
		bounds := bytes.Clone(d.boundsBuf)
		for _, p := range d.pages {
			cx.NullPages = append(cx.NullPages, p.allNull)
			lo, hi := p.min.of(bounds), p.max.of(bounds)
			if lo == nil {
				lo, hi = []byte{}, []byte{}
			}
			cx.MinValues = append(cx.MinValues, lo)
			cx.MaxValues = append(cx.MaxValues, hi)
			cx.NullCounts = append(cx.NullCounts, p.nulls)
			ox.PageLocations = append(ox.PageLocations, format.PageLocation{Offset: dataStart + p.off, CompressedPageSize: p.size, FirstRowIndex: p.firstRow})
		}
		b, err := thrift.Marshal(proto, &cx)
		if err != nil {
			return fmt.Errorf("write parquet page index: %w", err)
		}
		cis = append(cis, b)
		if b, err = thrift.Marshal(proto, &ox); err != nil {
			return fmt.Errorf("write parquet page index: %w", err)
		}
		ois = append(ois, b)

		d.chunk.reset()
		d.pages = d.pages[:0]
		d.boundsBuf = d.boundsBuf[:0]
		d.numValues, d.numRows, d.nullCount, d.uncompressed = 0, 0, 0, 0
		d.stats.has = false
		d.resetDict()
	}
	b, err := thrift.Marshal(proto, &rg)
	if err != nil {
		return fmt.Errorf("write parquet footer: %w", err)
	}
	x.rowGroups = append(x.rowGroups, b)
	x.colIndex = append(x.colIndex, cis)
	x.offIndex = append(x.offIndex, ois)
	x.meta.NumRows += int64(x.rows)
	x.rows, x.size = 0, 0
	return nil
}

// resetDict starts a new dictionary for the next chunk.
func (d *directColumn) resetDict() {
	if d.typ != schema.String || !useDict {
		return
	}
	d.useDict, d.usedDict, d.usedPlain, d.dictN, d.last = true, false, false, 0, -1
	d.dictData = d.dictData[:0]
	if d.dict == nil || len(d.dict) > 1<<16 {
		d.dict = make(map[string]int32)
	} else {
		clear(d.dict)
	}
}

func (x *directWriter[R]) Close() error {
	if err := x.check(); err != nil {
		x.stop()
		return err
	}
	x.stop()
	if err := x.flushRowGroup(); err != nil {
		return x.fail(err)
	}
	if err := x.start(); err != nil {
		return x.fail(err)
	}
	// The row groups' metadata, kept encoded until now.
	proto := &thrift.CompactProtocol{}
	x.meta.RowGroups = make([]format.RowGroup, len(x.rowGroups))
	for r, b := range x.rowGroups {
		if err := thrift.Unmarshal(proto, b, &x.meta.RowGroups[r]); err != nil {
			return x.fail(fmt.Errorf("write parquet footer: %w", err))
		}
	}
	x.rowGroups = nil
	// The page index: every column index, then every offset index, as parquet-go writes them.
	for r := range x.meta.RowGroups {
		for c := range x.meta.RowGroups[r].Columns {
			b := x.colIndex[r][c]
			if _, err := x.w.Write(b); err != nil {
				return x.fail(fmt.Errorf("write parquet: %w", err))
			}
			cc := &x.meta.RowGroups[r].Columns[c]
			cc.ColumnIndexOffset, cc.ColumnIndexLength = x.off, int32(len(b))
			x.off += int64(len(b))
		}
	}
	for r := range x.meta.RowGroups {
		for c := range x.meta.RowGroups[r].Columns {
			b := x.offIndex[r][c]
			if _, err := x.w.Write(b); err != nil {
				return x.fail(fmt.Errorf("write parquet: %w", err))
			}
			cc := &x.meta.RowGroups[r].Columns[c]
			cc.OffsetIndexOffset, cc.OffsetIndexLength = x.off, int32(len(b))
			x.off += int64(len(b))
		}
	}
	footer, err := thrift.Marshal(proto, &x.meta)
	if err != nil {
		return x.fail(fmt.Errorf("write parquet footer: %w", err))
	}
	footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	footer = append(footer, "PAR1"...)
	if _, err := x.w.Write(footer); err != nil {
		return x.fail(fmt.Errorf("write parquet: %w", err))
	}
	x.release()
	return nil
}

// release returns the pooled blocks.
func (x *directWriter[R]) release() {
	for _, d := range x.cs {
		d.chunk.release()
	}
}

func (x *directWriter[R]) Abort() error {
	x.stop()
	x.release()
	return nil
}

func (x *directWriter[R]) stop() {
	x.closed = true
	if x.started {
		close(x.wake)
		x.started = false
	}
}
