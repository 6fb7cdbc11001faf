package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Limits that keep memory bounded on hostile input.
const (
	// MaxCapLen is the largest captured length accepted for a record of an
	// ordinary link type; it is Wireshark's and libpcap's limit (262144).
	// A few link types that carry large messages (D-Bus, USBPcap, EBHSCR)
	// get Wireshark's larger limits; see maxCapLen. A record over its limit
	// is ErrCorrupt.
	MaxCapLen = 256 << 10
	// MaxBlockLen is the largest pcapng block accepted (ErrCorrupt above it).
	MaxBlockLen = 16 << 20
	// MaxInterfaces bounds the interfaces (and MaxSections the sections)
	// remembered for one input; more is ErrCorrupt.
	MaxInterfaces = 1 << 16
	MaxSections   = 1 << 16

	bufSize = 1 << 20 // bufio buffer: records up to this size are not copied
	// metaBudget bounds the bytes kept for interface and section strings;
	// strings beyond it are dropped (a legitimate file uses a few KiB).
	metaBudget = 4 << 20
)

// The range of packet times pcapframe accepts, in nanoseconds since the Unix
// epoch: from 1970-01-01T00:00:00Z (MinTime) to
// 2116-02-20T23:53:38.427387903Z (MaxTime = 2^62 - 1 ns), which holds every
// time a classic pcap's unsigned 32-bit seconds can express (up to 2106) and
// a little more. The range is 2^62 nanoseconds wide, so the difference of any
// two valid times, and a valid time plus such a difference, fit in int64
// nanoseconds: durations, buckets and sorts never overflow. A record whose
// timestamp falls outside it (a hostile if_tsoffset or if_tsresol) has
// Record.TimeOutOfRange and Record.NoTime set: its time is treated as
// absent, never clamped or wrapped.
const (
	MinTime int64 = 0
	MaxTime int64 = 1<<62 - 1
)

// zstdMaxWindow is the largest zstd window (and so the largest decoder
// allocation) accepted; zstd's own CLI refuses more than 128 MiB by default.
// A variable so the fuzz target can lower it.
var zstdMaxWindow uint64 = 128 << 20

// Format names the container format of a capture.
type Format string

// Formats recognised by content.
const (
	FormatPcap         Format = "pcap"          // classic pcap, microsecond timestamps
	FormatPcapNsec     Format = "pcap-nsec"     // classic pcap, nanosecond timestamps (magic a1b23c4d)
	FormatPcapModified Format = "pcap-modified" // Kuznetzov's patched libpcap (magic a1b2cd34)
	FormatPcapng       Format = "pcapng"
)

// Compression names the compression of a capture stream.
type Compression string

// Compressions recognised by content.
const (
	CompressionNone Compression = ""
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
)

// Record is one captured frame. Data is owned by the Reader and valid only
// until the next call to Next; copy it to keep it.
type Record struct {
	Source string // the input name as given by the user ("-" for stdin), or the file path inside a directory
	Frame  int64  // 1-based frame number within Source, equal to Wireshark's frame.number
	Offset int64  // byte offset of this record's header (pcapng: block) in the (decompressed) capture stream
	Time   int64  // timestamp, nanoseconds since the Unix epoch, UTC, in [MinTime, MaxTime] (NoTime: the record before's, 0 if none)
	NoTime bool   // the record has no usable timestamp: a pcapng simple packet block, or TimeOutOfRange
	// TimeOutOfRange is set (with NoTime) when the record's timestamp, after
	// the interface's if_tsresol and if_tsoffset, is outside [MinTime, MaxTime].
	TimeOutOfRange bool
	CapLen         int    // captured length (== len(Data))
	WireLen        int    // original length on the wire, as the file says (may be < CapLen in damaged files)
	LinkType       uint32 // LINKTYPE_* of this record (pcapng: the record's interface's link type), as stored in the file
	Interface      int    // pcapng interface index within its section (0 for pcap)
	Section        int    // pcapng section index (0-based); 0 for pcap
	Comment        string // pcapng opt_comment(s) of the packet joined by "\n", "" if none
	Data           []byte
}

// Interface describes one capture interface: a pcapng Interface Description
// Block, or the single synthetic interface of a classic pcap file.
type Interface struct {
	Section, Index int
	LinkType       uint32
	Name           string // if_name
	Description    string // if_description
	SnapLen        uint32
	TSResolution   string // "1e-6", "1e-9", "2^-10", ...
	TSOffset       int64  // if_tsoffset, seconds added to every timestamp
	Comment        string // opt_comment
}

// Section describes one pcapng Section Header Block (a pcap file has none).
type Section struct {
	Index        int
	Major, Minor uint16
	BigEndian    bool
	Hardware     string // shb_hardware
	OS           string // shb_os
	UserAppl     string // shb_userappl
	Comment      string // opt_comment
}

// Reader reads the records of one capture. It is not safe for concurrent use.
type Reader struct {
	name        string
	cnt         *countingReader // raw input, counts bytes read
	file        io.Closer       // closed by Close (nil for NewReader and stdin)
	stop        func()          // OpenContext's release, called by Close
	zd          *zstd.Decoder
	gz          *gzip.Reader
	trk         *eofTracker // decompressor wrapper; nil if uncompressed
	br          *bufio.Reader
	off         int64 // offset of the next unread byte in br's stream
	size        int64 // file size from Stat, -1 if unknown
	format      Format
	compression Compression
	err         error // sticky: returned by every Next after the first error
	be          bool  // current byte order is big-endian

	rec   Record
	frame int64  // frames consumed, in Wireshark numbering
	buf   []byte // holds records larger than the bufio buffer

	// classic pcap
	hdrLen   int
	fracMul  uint32 // ns per timestamp fraction unit: 1000 (µs) or 1 (ns)
	swap     swapMode
	linkType uint32
	maxCap   int

	// pcapng
	section  int       // current section index
	secIf    []ngIface // interfaces of the current section
	sections []Section
	ifaces   []Interface // all interfaces seen, all sections
	budget   int         // remaining metaBudget
}

type swapMode uint8

const (
	notSwapped   swapMode = iota
	swapped               // pcap 2.0-2.2: caplen and len were written swapped
	maybeSwapped          // pcap 2.3: swapped if caplen > len (as libpcap)
)

// Open opens a capture file and reads its header. "-" means standard input
// (which Close leaves open). The format and compression are detected from the
// content, never from the name.
func Open(path string) (*Reader, error) {
	if path == "-" {
		return NewReader(os.Stdin, "-")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	r.size = st.Size()
	return r, nil
}

// NewReader reads a capture from src, detecting compression and format from
// the content, and reads the file header. name is used in records and errors.
// NewReader never seeks: src may be a pipe.
func NewReader(src io.Reader, name string) (*Reader, error) {
	r := &Reader{name: name, size: -1, budget: metaBudget}
	r.rec.Source = name
	r.cnt = &countingReader{r: src}
	raw := bufio.NewReaderSize(r.cnt, rawBufSize(src))
	m, err := raw.Peek(6)
	if len(m) == 0 {
		if err == io.EOF {
			return nil, r.fail(0, false, ErrNotCapture, "not a capture file (empty file)")
		}
		return nil, r.ioError(0, err)
	}
	switch {
	case len(m) >= 2 && m[0] == 0x1f && m[1] == 0x8b:
		r.compression = CompressionGzip
		gz, err := gzip.NewReader(raw)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, r.fail(0, true, ErrTruncated, "truncated gzip header")
			}
			return nil, r.decompError(0, err)
		}
		r.gz = gz
		r.trk = &eofTracker{r: gz}
	case len(m) >= 4 && binary.LittleEndian.Uint32(m) == 0xfd2fb528:
		r.compression = CompressionZstd
		zd, err := zstd.NewReader(raw,
			zstd.WithDecoderConcurrency(1), // synchronous: no goroutines to leak
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(zstdMaxWindow),
			zstd.WithDecoderMaxMemory(zstdMaxWindow))
		if err != nil {
			return nil, r.decompError(0, err)
		}
		r.zd = zd
		r.trk = &eofTracker{r: zd}
	default:
		if what := unsupportedCompression(m); what != "" {
			return nil, r.fail(0, false, ErrUnsupported, "%s-compressed input is not supported (use gzip or zstd, or decompress it first)", what)
		}
		r.br = raw
	}
	if r.trk != nil {
		r.br = bufio.NewReaderSize(r.trk, bufSize)
	}
	if err := r.readHeader(); err != nil {
		r.closeDecompressor()
		return nil, err
	}
	return r, nil
}

// rawBufSize sizes the input buffer: bufSize, or less when the input is
// known to be smaller (a small file or an in-memory reader), so that opening
// many small captures stays cheap.
func rawBufSize(src io.Reader) int {
	n := int64(-1)
	switch s := src.(type) {
	case interface{ Len() int }: // *bytes.Reader, *strings.Reader, *bytes.Buffer
		n = int64(s.Len())
	case *os.File:
		if st, err := s.Stat(); err == nil && st.Mode().IsRegular() {
			n = st.Size()
		}
	}
	if n < 0 || n >= bufSize {
		return bufSize
	}
	return max(int(n)+64, 4096)
}

func unsupportedCompression(m []byte) string {
	switch {
	case bytes.HasPrefix(m, []byte("BZh")):
		return "bzip2"
	case bytes.HasPrefix(m, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return "xz"
	case bytes.HasPrefix(m, []byte{0x04, 0x22, 0x4d, 0x18}):
		return "lz4"
	case bytes.HasPrefix(m, []byte("PK\x03\x04")):
		return "zip"
	}
	return ""
}

// Magic numbers, as read little-endian from the first four bytes.
const (
	magicPcapLE      = 0xa1b2c3d4
	magicPcapBE      = 0xd4c3b2a1
	magicPcapNsecLE  = 0xa1b23c4d
	magicPcapNsecBE  = 0x4d3cb2a1
	magicPcapModLE   = 0xa1b2cd34
	magicPcapModBE   = 0x34cdb2a1
	magicPcapngBlock = 0x0a0d0d0a
	pcapngBOM        = 0x1a2b3c4d
)

func (r *Reader) readHeader() error {
	m, err := r.br.Peek(8)
	if len(m) < 4 {
		if err != nil && err != io.EOF {
			return r.readError(0, err)
		}
		if e := r.truncatedStream(); e != nil {
			return e
		}
		if len(m) == 0 {
			if r.compression != "" {
				return r.fail(0, false, ErrNotCapture, "not a capture file (the %s stream decompresses to nothing)", r.compression)
			}
			return r.fail(0, false, ErrNotCapture, "not a capture file (empty file)")
		}
		return r.fail(0, false, ErrNotCapture, "not a capture file (only %d bytes%s)", len(m), r.streamWord())
	}
	switch binary.LittleEndian.Uint32(m) {
	case magicPcapLE, magicPcapBE:
		return r.readPcapHeader(FormatPcap)
	case magicPcapNsecLE, magicPcapNsecBE:
		return r.readPcapHeader(FormatPcapNsec)
	case magicPcapModLE, magicPcapModBE:
		return r.readPcapHeader(FormatPcapModified)
	case magicPcapngBlock:
		return r.readPcapngHeader()
	}
	if bytes.HasPrefix(m, []byte("snoop\x00\x00\x00")) {
		return r.fail(0, false, ErrUnsupported, "snoop format is not supported (convert it with editcap -F pcap)")
	}
	if bytes.HasPrefix(m, []byte("GMBU")) {
		return r.fail(0, false, ErrUnsupported, "microsoft network monitor format is not supported (convert it with editcap -F pcap)")
	}
	if r.compression != "" && compressionName(m) != "" {
		return r.fail(0, false, ErrUnsupported, "nested compression is not supported (%s inside %s)", compressionName(m), r.compression)
	}
	return r.fail(0, false, ErrNotCapture, "not a capture file (unknown magic 0x%08x at offset 0%s)", binary.BigEndian.Uint32(m), r.streamWord())
}

func compressionName(m []byte) string {
	if bytes.HasPrefix(m, []byte{0x1f, 0x8b}) {
		return "gzip"
	}
	if len(m) >= 4 && binary.LittleEndian.Uint32(m) == 0xfd2fb528 {
		return "zstd"
	}
	return unsupportedCompression(m)
}

// truncatedStream reports a compressed stream cut short before the capture
// header was complete (nil if the stream is not compressed or intact).
func (r *Reader) truncatedStream() *Error {
	if r.trk == nil || !r.trk.truncated {
		return nil
	}
	n, _ := r.br.Peek(64)
	return r.fail(0, true, ErrTruncated, "truncated %s stream (it ends after %d decompressed bytes, inside the capture header)", r.compression, len(n))
}

// streamWord qualifies "offset" for compressed input.
func (r *Reader) streamWord() string {
	if r.compression != "" {
		return " of the " + string(r.compression) + "-decompressed stream"
	}
	return ""
}

// Next returns the next record. It returns io.EOF at the clean end of the
// capture and an *Error for any problem; both are sticky. The returned
// *Record (and its Data) is reused by the next call.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	var err error
	if r.format == FormatPcapng {
		err = r.nextPcapng()
	} else {
		err = r.nextPcap()
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	return &r.rec, nil
}

// Format returns the detected container format.
func (r *Reader) Format() Format { return r.format }

// Compression returns the detected compression ("" if none).
func (r *Reader) Compression() Compression { return r.compression }

// Interfaces returns all interfaces seen so far, in order, across all
// sections. For pcap it is one synthetic interface; for pcapng it grows as
// Next meets Interface Description Blocks.
func (r *Reader) Interfaces() []Interface { return slices.Clone(r.ifaces) }

// Sections returns the pcapng sections seen so far (nil for pcap).
func (r *Reader) Sections() []Section { return slices.Clone(r.sections) }

// Offset returns the offset of the next unread byte of the (decompressed)
// capture stream.
func (r *Reader) Offset() int64 { return r.off }

// Name returns the input name given to Open or NewReader.
func (r *Reader) Name() string { return r.name }

var errClosed = errors.New("capture: reader is closed")

// Close releases the decompressor and closes the file opened by Open (not
// standard input, and not the io.Reader given to NewReader).
func (r *Reader) Close() error {
	r.closeDecompressor()
	r.err = errClosed
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	if r.file != nil {
		f := r.file
		r.file = nil
		return f.Close()
	}
	return nil
}

func (r *Reader) closeDecompressor() {
	if r.zd != nil {
		r.zd.Close()
		r.zd = nil
	}
	if r.gz != nil {
		r.gz.Close()
		r.gz = nil
	}
}

// --- low-level reading -------------------------------------------------

// take consumes the next n bytes and returns them. The slice is valid until
// the next read. If fewer than n bytes remain, it returns what there was
// and a non-nil error (io.EOF at the end of the stream).
func (r *Reader) take(n int) ([]byte, error) {
	if n <= r.br.Size() {
		b, err := r.br.Peek(n)
		r.br.Discard(len(b))
		r.off += int64(len(b))
		if len(b) < n {
			if err == nil {
				err = io.EOF
			}
			return b, err
		}
		return b[:n:n], nil // full slice expression: appends must not scribble on the buffer
	}
	// Larger than the buffer: copy into r.buf, growing it only as data
	// arrives, so a hostile length costs no more memory than the input has.
	r.buf = r.buf[:0]
	for len(r.buf) < n {
		chunk := min(n-len(r.buf), bufSize)
		r.buf = slices.Grow(r.buf, chunk)
		m, err := io.ReadFull(r.br, r.buf[len(r.buf):len(r.buf)+chunk])
		r.buf = r.buf[:len(r.buf)+m]
		r.off += int64(m)
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return r.buf, err
		}
	}
	return r.buf[:n:n], nil
}

// atEOF is called when a read at a record boundary returned no bytes.
func (r *Reader) atEOF(err error) error {
	if err != io.EOF {
		return r.readError(r.off, err)
	}
	if r.trk != nil && r.trk.truncated {
		return r.fail(r.off, true, ErrTruncated, "truncated %s stream (it ends without its trailer)", r.compression)
	}
	return io.EOF
}

// short builds the error for a read of want bytes that found only got.
func (r *Reader) short(off int64, err error, format string, args ...any) error {
	if err != io.EOF {
		return r.readError(off, err)
	}
	if r.trk != nil && r.trk.truncated {
		format += " (the " + string(r.compression) + " stream is truncated)"
	}
	return r.fail(off, true, ErrTruncated, format, args...)
}

func (r *Reader) fail(off int64, truncated bool, kind error, format string, args ...any) *Error {
	return &Error{
		Source:       r.name,
		Offset:       off,
		Frame:        r.frame,
		Err:          detail(kind, format, args...),
		Truncated:    truncated,
		Decompressed: r.compression != "",
	}
}

// readError classifies a non-EOF error from the stream: a failure of the
// underlying input, or (for compressed input) a damaged compressed stream.
func (r *Reader) readError(off int64, err error) error {
	if r.cnt.err != nil && r.cnt.err != io.EOF {
		return r.ioError(off, r.cnt.err)
	}
	if r.compression != "" {
		return r.decompError(off, err)
	}
	return r.ioError(off, err)
}

func (r *Reader) ioError(off int64, err error) error {
	e := r.fail(off, false, errIO, "read error: %v", err)
	e.Err.(*detailError).cause = err
	return e
}

// errIO marks failures of the input itself (not of its content).
var errIO = errors.New("i/o error")

func (r *Reader) decompError(off int64, err error) error {
	var e *Error
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		e = r.fail(off, false, ErrUnsupported, "zstd window larger than the %d MiB limit (%v; recompress with a smaller --long)", zstdMaxWindow>>20, err)
	} else {
		e = r.fail(off, false, ErrCorrupt, "corrupt %s stream: %v", r.compression, err)
	}
	e.Err.(*detailError).cause = err
	return e
}

// countingReader counts the bytes read from the raw input and remembers its
// last error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// eofTracker turns a decompressor's io.ErrUnexpectedEOF (compressed stream
// cut short) into io.EOF and remembers it, so the cut is reported as a
// truncation at the right place in the decompressed stream.
type eofTracker struct {
	r         io.Reader
	truncated bool
}

func (t *eofTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.ErrUnexpectedEOF {
		t.truncated = true
		err = io.EOF
	}
	return n, err
}

// --- byte order --------------------------------------------------------

func (r *Reader) u16(b []byte) uint16 {
	if r.be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *Reader) u32(b []byte) uint32 {
	if r.be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *Reader) u64(b []byte) uint64 {
	if r.be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// maxCapLen is the largest captured length accepted for a link type,
// following Wireshark's wtap_max_snaplen_for_encap.
func maxCapLen(linkType uint32) int {
	switch linkType {
	case 231: // LINKTYPE_DBUS
		return 128 << 20
	case 249: // LINKTYPE_USBPCAP
		return 128 << 20
	case 279: // LINKTYPE_EBHSCR
		return 8<<20 + 32
	}
	return MaxCapLen
}

// nsTime combines seconds, nanoseconds (less than 1e9) and an offset in
// seconds into Unix nanoseconds. It reports false, and returns 0, when the
// result is outside [MinTime, MaxTime]; no step can overflow.
func nsTime(secs uint64, ns uint64, offset int64) (int64, bool) {
	const maxSec = uint64(MaxTime / 1_000_000_000)
	var s uint64
	if offset >= 0 {
		s = secs + uint64(offset)
		if s < secs {
			return 0, false
		}
	} else {
		neg := uint64(-(offset + 1)) + 1 // -offset, also for math.MinInt64
		if secs < neg {
			return 0, false
		}
		s = secs - neg
	}
	if s > maxSec || ns >= 1_000_000_000 {
		return 0, false
	}
	t := int64(s)*1_000_000_000 + int64(ns) // at most about 4.6e18: no overflow
	if t > MaxTime {
		return 0, false
	}
	return t, true
}

// setTime stores t as the record's time if ok, else marks the record's time
// as out of range (the time of the record before is kept, as for a record
// without a timestamp).
func (r *Reader) setTime(t int64, ok bool) {
	rec := &r.rec
	rec.TimeOutOfRange = !ok
	rec.NoTime = !ok
	if ok {
		rec.Time = t
	}
}
