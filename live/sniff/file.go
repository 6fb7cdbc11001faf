package sniff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/pcapframe/pcapframe/capture"
	"github.com/pcapframe/pcapframe/live"
)

// FileSource reads a capture (pcap or pcapng, possibly compressed, as package capture reads it) as a Source:
// Run then replays it into a capture file and tables as if it were being captured, with the file's packet
// times. The source is a file, standard input, a named pipe, or any io.Reader such as a file descriptor
// (os.NewFile) that another process writes a capture to.
//
// Every frame must have the link type of the first one and at most live.MaxSnaplen bytes; a frame that does
// not ends the read with an error, after the frames before it. ReadBatch never waits for a timeout: it reads
// until the batch is full or the capture ends (io.EOF), so from a pipe a batch is handed over only when full
// or at the end. Use it with Options.Wait, so that Run waits for its writers instead of dropping frames.
type FileSource struct {
	r       *capture.Reader
	cancel  context.CancelFunc
	ifc     live.Interface
	snaplen int
	// cancellable: opened by OpenFile, whose blocked reads of a pipe end when cancel is called
	cancellable bool

	next        *capture.Record // the record read ahead, nil when none
	err         error           // sticky end of the read: io.EOF or an error
	frames      atomic.Uint64
	interrupted atomic.Bool
	stopped     atomic.Bool
}

// OpenFile opens the capture at path ("-" for standard input) as a Source. A named pipe or standard input is
// read so that Interrupt ends a blocked read (capture.OpenContext).
func OpenFile(path string) (*FileSource, error) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := capture.OpenContext(ctx, path)
	if err != nil {
		cancel()
		return nil, err
	}
	s, err := newFileSource(r, cancel)
	if err != nil {
		r.Close()
		cancel()
		return nil, err
	}
	s.cancellable = true
	return s, nil
}

// NewFileSource reads a capture from src as a Source; name labels its frames and errors. Interrupt cannot end
// a read that src blocks in: close src for that.
func NewFileSource(src io.Reader, name string) (*FileSource, error) {
	r, err := capture.NewReader(src, name)
	if err != nil {
		return nil, err
	}
	return newFileSource(r, func() {})
}

// newFileSource reads ahead the first record, whose link type is the source's.
func newFileSource(r *capture.Reader, cancel context.CancelFunc) (*FileSource, error) {
	s := &FileSource{r: r, cancel: cancel, snaplen: live.MaxSnaplen}
	s.ifc.Name = r.Name()
	rec, err := r.Next()
	switch {
	case err == nil:
		s.next = rec
		s.ifc.LinkType = int(rec.LinkType)
	case errors.Is(err, io.EOF):
		s.err = io.EOF
	default:
		return nil, err
	}
	if ifs := r.Interfaces(); len(ifs) > 0 {
		if s.next == nil {
			s.ifc.LinkType = int(ifs[0].LinkType)
		}
		if n := int(ifs[0].SnapLen); n > 0 && n < live.MaxSnaplen {
			s.snaplen = n
		}
	}
	if s.ifc.LinkType == 0 && s.next == nil {
		s.ifc.LinkType = 1 // an empty capture without interfaces: any link type will do
	}
	return s, nil
}

// Interface describes the source: its Name is the capture's name and its LinkType that of the first frame.
func (s *FileSource) Interface() live.Interface { return s.ifc }

// LinkType returns the LINKTYPE_* of the frames.
func (s *FileSource) LinkType() int { return s.ifc.LinkType }

// Snaplen returns the snap length of the capture's first interface, or live.MaxSnaplen when it has none.
func (s *FileSource) Snaplen() int { return s.snaplen }

// ReadBatch appends the next frames of the capture to b until b is full or the capture ends; timeout is not
// used. It returns io.EOF once every frame was read (or after Interrupt ended a blocked read of a pipe), and
// the error that ended the read, after the frames before it.
func (s *FileSource) ReadBatch(b *live.Batch, timeout time.Duration) (int, error) {
	if s.interrupted.Swap(false) {
		return 0, live.ErrInterrupted
	}
	n := 0
	for !b.Full() {
		if s.next == nil {
			if s.err != nil {
				break
			}
			rec, err := s.r.Next()
			if err != nil {
				if s.stopped.Load() && !errors.Is(err, io.EOF) {
					err = io.EOF // the read was cut by Interrupt: the capture ends here
				}
				s.err = err
				break
			}
			s.next = rec
		}
		rec := s.next
		if int(rec.LinkType) != s.ifc.LinkType {
			s.err = fmt.Errorf("%s: frame %d has link type %d, not %d as the first one (a source has one link type)",
				s.ifc.Name, rec.Frame, rec.LinkType, s.ifc.LinkType)
			break
		}
		if len(rec.Data) > live.MaxSnaplen {
			s.err = fmt.Errorf("%s: frame %d has %d bytes, more than %d", s.ifc.Name, rec.Frame, len(rec.Data), live.MaxSnaplen)
			break
		}
		b.Append(rec.Time, rec.WireLen, rec.Data)
		s.next = nil
		n++
	}
	s.frames.Add(uint64(n))
	if n == 0 && s.err != nil {
		return 0, s.err
	}
	return n, nil
}

// Interrupt makes the next ReadBatch return live.ErrInterrupted. A read of a pipe opened by OpenFile that is
// blocked waiting for data ends: the capture ends there.
func (s *FileSource) Interrupt() {
	s.interrupted.Store(true)
	if s.cancellable {
		s.stopped.Store(true)
		s.cancel()
	}
}

// Stats counts the frames read; a file drops none.
func (s *FileSource) Stats() (live.Stats, error) {
	return live.Stats{Received: s.frames.Load()}, nil
}

// Close closes the capture (not the io.Reader given to NewFileSource).
func (s *FileSource) Close() error {
	s.cancel()
	return s.r.Close()
}
