package capture

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package for a problem in a
// capture is an *Error whose chain contains exactly one of these, so callers
// can classify it with errors.Is.
var (
	// ErrNotCapture means the input is not a capture in any supported format
	// (unknown magic, empty, or shorter than any capture header).
	ErrNotCapture = errors.New("not a capture file")
	// ErrTruncated means the capture ends in the middle of a record, block or
	// compressed stream.
	ErrTruncated = errors.New("truncated capture")
	// ErrCorrupt means a structural field of the capture is invalid (a length
	// over the hard limits, a block trailer that does not match, an unknown
	// interface, a damaged compressed stream, ...).
	ErrCorrupt = errors.New("corrupt capture")
	// ErrUnsupported means the input is recognised but its format or version
	// is not supported (pcap 1.x, pcapng 2.x, snoop, bzip2, ...).
	ErrUnsupported = errors.New("unsupported capture format")
)

// Error describes a problem at a position in a capture.
//
// Error() is one lowercase line naming the source, the byte offset and the
// number of frames read before the problem, for example
//
//	capture.pcap: offset 123456: truncated record (frame 17 header says 1514 bytes, 200 present); 16 frames read before it
type Error struct {
	Source string // input name as given ("-" for stdin)
	// Offset is the byte offset of the record, block or header at fault. For
	// compressed input it is a position in the decompressed stream.
	Offset int64
	// Frame is the number of frames read successfully before the problem.
	Frame int64
	// Err is the detailed cause; its chain contains one of the sentinels.
	Err error
	// Truncated reports that the input ended early (the records before the
	// cut were returned normally).
	Truncated bool
	// Decompressed reports that Offset is a position in a decompressed stream.
	Decompressed bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	b.WriteString(": ")
	if errors.Is(e.Err, ErrNotCapture) {
		// Header-level problem: the offset is part of the detail text.
		b.WriteString(e.Err.Error())
		return b.String()
	}
	fmt.Fprintf(&b, "offset %d", e.Offset)
	if e.Decompressed {
		b.WriteString(" (decompressed)")
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	fmt.Fprintf(&b, "; %s read before it", plural(e.Frame, "frame"))
	return b.String()
}

// Unwrap returns the detailed cause, so errors.Is(err, ErrTruncated) etc. work.
func (e *Error) Unwrap() error { return e.Err }

// detailError is the cause stored in Error.Err: a message plus the sentinel
// (and optionally an underlying error such as a decompressor's).
type detailError struct {
	kind  error
	msg   string
	cause error
}

func (d *detailError) Error() string { return d.msg }

func (d *detailError) Unwrap() []error {
	if d.cause != nil {
		return []error{d.kind, d.cause}
	}
	return []error{d.kind}
}

func detail(kind error, format string, args ...any) error {
	return &detailError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
