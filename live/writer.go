package live

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// FileFormat is the format of a capture file written by Writer.
type FileFormat string

// The capture file formats.
const (
	Pcap   FileFormat = "pcap"   // classic pcap with nanosecond timestamps (magic a1b23c4d)
	Pcapng FileFormat = "pcapng" // pcapng, one interface with nanosecond timestamps
)

// FileFormatFromPath returns the format named by the extension of path: .pcap or .pcapng.
func FileFormatFromPath(path string) (FileFormat, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pcap":
		return Pcap, nil
	case ".pcapng":
		return Pcapng, nil
	}
	return "", fmt.Errorf("cannot tell the capture format of %q: use the extension .pcap or .pcapng", path)
}

// WriterOptions configure a Writer. Only LinkType is required.
type WriterOptions struct {
	// Format of the files; "" means from the path's extension.
	Format FileFormat
	// LinkType is the LINKTYPE_* of the frames.
	LinkType int
	// Snaplen is recorded in the file header; <= 0 means DefaultSnaplen.
	Snaplen int
	// Interface and Filter are recorded in the pcapng interface description (if_name, if_filter).
	Interface, Filter string
	// RotateSize starts a new file before the current one would grow past this many bytes; 0 never.
	RotateSize int64
	// RotateTime starts a new file at the first packet that arrives this long after the current file's first
	// packet; 0 never. Packet times decide, so an idle capture does not rotate.
	RotateTime time.Duration
	// Keep, when rotating, deletes the oldest files written by this Writer so that at most Keep remain; 0
	// keeps every file.
	Keep int
}

// Writer writes captured frames to a pcap or pcapng file, or to a series of files when rotating.
//
// Files are written in place, one batch at a time: after every Write, each file holds complete records only,
// so it can be read while the capture goes on and survives an abrupt end. When a write fails (a full disk),
// the file is cut back to its last complete record and the Writer stops with that error.
//
// When rotating, the files are named after the path with a 5-digit sequence number before the extension:
// capture.pcapng becomes capture-00001.pcapng, capture-00002.pcapng, ...
type Writer struct {
	path string
	o    WriterOptions

	f      *os.File
	cur    string       // path of the current file
	seq    int          // sequence number of the current file (rotation)
	buf    bytes.Buffer // encoded records not yet written to f
	pcap   *pcapgo.Writer
	ng     *pcapgo.NgWriter
	size   int64 // bytes of the current file, written or buffered
	onDisk int64 // bytes of the current file known to be written
	frames int64 // frames in the current file
	first  int64 // time of the current file's first frame
	files  []string
	err    error

	// Frames and Bytes count what was written, over all files.
	Frames, Bytes int64
}

// NewWriter creates the first file at path (or its first rotated name), so that a bad path is reported
// before the capture starts.
func NewWriter(path string, o WriterOptions) (*Writer, error) {
	if o.Format == "" {
		f, err := FileFormatFromPath(path)
		if err != nil {
			return nil, err
		}
		o.Format = f
	}
	if o.Format != Pcap && o.Format != Pcapng {
		return nil, fmt.Errorf("unknown capture format %q (use pcap or pcapng)", o.Format)
	}
	if o.Snaplen <= 0 {
		o.Snaplen = DefaultSnaplen
	}
	w := &Writer{path: path, o: o}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) rotating() bool { return w.o.RotateSize > 0 || w.o.RotateTime > 0 }

// name returns the path of file number seq.
func (w *Writer) name(seq int) string {
	if !w.rotating() {
		return w.path
	}
	ext := filepath.Ext(w.path)
	return fmt.Sprintf("%s-%05d%s", strings.TrimSuffix(w.path, ext), seq, ext)
}

// open starts the next file and writes its header.
func (w *Writer) open() error {
	w.seq++
	w.cur = w.name(w.seq)
	f, err := os.OpenFile(w.cur, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return fmt.Errorf("create %q: %w", w.cur, err)
	}
	w.f, w.size, w.onDisk, w.frames, w.first = f, 0, 0, 0, 0
	w.buf.Reset()
	switch w.o.Format {
	case Pcap:
		w.pcap = pcapgo.NewWriterNanos(&w.buf)
		err = w.pcap.WriteFileHeader(uint32(w.o.Snaplen), layers.LinkType(w.o.LinkType))
	case Pcapng:
		w.ng, err = pcapgo.NewNgWriterInterface(&w.buf, pcapgo.NgInterface{
			Name:                w.o.Interface,
			Filter:              w.o.Filter,
			OS:                  runtime.GOOS,
			LinkType:            layers.LinkType(w.o.LinkType),
			SnapLength:          uint32(w.o.Snaplen),
			TimestampResolution: 9,
		}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
			Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "pcapframe",
		}})
	}
	if err != nil {
		return w.fail(fmt.Errorf("write %q: %w", w.cur, err))
	}
	if err := w.flush(); err != nil {
		// Not even the header fits: leave no empty file behind.
		w.f.Close()
		os.Remove(w.cur)
		w.f = nil
		return err
	}
	w.files = append(w.files, w.cur)
	if w.o.Keep > 0 {
		for len(w.files) > w.o.Keep {
			if err := os.Remove(w.files[0]); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return w.fail(fmt.Errorf("remove old capture file: %w", err))
			}
			w.files = w.files[1:]
		}
	}
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// flush writes the buffered records to the file in one call; on failure it cuts the file back to the
// records written before, so that it stays complete.
func (w *Writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if w.ng != nil {
		if err := w.ng.Flush(); err != nil {
			return w.fail(fmt.Errorf("write %q: %w", w.cur, err))
		}
	}
	if w.buf.Len() == 0 {
		return nil
	}
	n, err := w.f.Write(w.buf.Bytes())
	if err != nil {
		if n > 0 {
			w.f.Truncate(w.onDisk)
			w.f.Seek(w.onDisk, 0)
		}
		w.buf.Reset()
		return w.fail(fmt.Errorf("write %q: %w", w.cur, err))
	}
	w.onDisk += int64(n)
	w.size = w.onDisk
	w.buf.Reset()
	return nil
}

// recordSize is the size of a frame's record in the file.
func (w *Writer) recordSize(n int) int64 {
	if w.o.Format == Pcap {
		return 16 + int64(n)
	}
	return 32 + int64((n+3)&^3)
}

// Write appends the frames of b, rotating files as needed, and sets each frame's Source (the file's path)
// and Number (its frame number in that file). When Write returns an error, the frames of b may be missing
// from the file, whose earlier records are intact; later calls return the same error.
func (w *Writer) Write(b *Batch) error {
	if w.err != nil {
		return w.err
	}
	for i := range b.Frames {
		fr := &b.Frames[i]
		rec := w.recordSize(len(fr.Data))
		if w.frames > 0 && (w.o.RotateSize > 0 && w.size+rec > w.o.RotateSize ||
			w.o.RotateTime > 0 && fr.Time-w.first >= int64(w.o.RotateTime)) {
			if err := w.finishFile(); err != nil {
				return err
			}
			if err := w.open(); err != nil {
				return err
			}
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, fr.Time), CaptureLength: len(fr.Data), Length: max(fr.WireLen, len(fr.Data))}
		var err error
		if w.pcap != nil {
			err = w.pcap.WritePacket(ci, fr.Data)
		} else {
			err = w.ng.WritePacket(ci, fr.Data)
		}
		if err != nil {
			return w.fail(fmt.Errorf("write %q: %w", w.cur, err))
		}
		if w.frames == 0 {
			w.first = fr.Time
		}
		w.frames++
		w.size += rec
		fr.Source, fr.Number = w.cur, w.frames
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.Frames += int64(len(b.Frames))
	for _, fr := range b.Frames {
		w.Bytes += int64(len(fr.Data))
	}
	return nil
}

func (w *Writer) finishFile() error {
	if w.f == nil {
		return nil
	}
	err := w.flush()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = w.fail(fmt.Errorf("close %q: %w", w.cur, cerr))
	}
	w.f, w.pcap, w.ng = nil, nil, nil
	return err
}

// Files returns the paths of the files written and still kept, oldest first.
func (w *Writer) Files() []string { return append([]string(nil), w.files...) }

// Close writes what is buffered and closes the current file. It returns the Writer's first error, if any.
func (w *Writer) Close() error {
	err := w.finishFile()
	if w.err != nil {
		return w.err
	}
	return err
}
