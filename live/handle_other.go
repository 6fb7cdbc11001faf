//go:build !linux

package live

import (
	"errors"
	"time"
)

var errNotLinux = errors.New("live capture is supported on Linux only")

// Handle captures frames from one interface. On this system capture is not supported.
type Handle struct{}

// Open fails: live capture needs Linux packet sockets.
func Open(name string, opts Options) (*Handle, error) { return nil, errNotLinux }

// ErrInterrupted is returned by ReadBatch after Interrupt.
var ErrInterrupted = errors.New("capture interrupted")

// Stats are the kernel's counters for a capture.
type Stats struct{ Received, Dropped uint64 }

func (h *Handle) Interface() Interface                                   { return Interface{} }
func (h *Handle) LinkType() int                                          { return 0 }
func (h *Handle) Snaplen() int                                           { return 0 }
func (h *Handle) Interrupt()                                             {}
func (h *Handle) ReadBatch(b *Batch, timeout time.Duration) (int, error) { return 0, errNotLinux }
func (h *Handle) Stats() (Stats, error)                                  { return Stats{}, errNotLinux }
func (h *Handle) Close() error                                           { return nil }
