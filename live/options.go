package live

import "time"

// Defaults of Options.
const (
	// DefaultSnaplen is the number of bytes kept of each packet, as tcpdump's default.
	DefaultSnaplen = 262144
	// MaxSnaplen is the largest snap length.
	MaxSnaplen = 262144
	// DefaultBufferSize is the size of the ring the kernel fills: 64 MiB absorbs about a second of a
	// saturated gigabit link while the reader is busy.
	DefaultBufferSize = 64 << 20
	// DefaultBlockSize is the size of one ring block; it must hold the largest frame.
	DefaultBlockSize = 1 << 20
	// DefaultBlockTimeout is how long the kernel waits to fill a block before handing it over anyway.
	DefaultBlockTimeout = 50 * time.Millisecond
)

// Options configure Open. The zero value is valid.
type Options struct {
	// Filter is a capture filter in tcpdump syntax, compiled by package filter and run in the kernel; empty
	// captures everything.
	Filter string
	// Snaplen is the number of bytes kept of each packet; <= 0 or more than MaxSnaplen means DefaultSnaplen.
	Snaplen int
	// Promiscuous puts the interface in promiscuous mode for the capture.
	Promiscuous bool
	// BufferSize is the size of the kernel ring in bytes; <= 0 means DefaultBufferSize.
	BufferSize int
	// BlockSize is the size of one ring block (a power of two, at least 1 MiB so that any frame fits);
	// <= 0 means DefaultBlockSize.
	BlockSize int
	// BlockTimeout bounds the delay before a partly filled block is handed over; <= 0 means
	// DefaultBlockTimeout.
	BlockTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Snaplen <= 0 || o.Snaplen > MaxSnaplen {
		o.Snaplen = DefaultSnaplen
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.BlockSize < DefaultBlockSize {
		o.BlockSize = DefaultBlockSize
	}
	for o.BlockSize&(o.BlockSize-1) != 0 {
		o.BlockSize &= o.BlockSize - 1 // round down to a power of two
	}
	if o.BlockTimeout <= 0 {
		o.BlockTimeout = DefaultBlockTimeout
	}
	return o
}
