package sink

import (
	"sync"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// zstdWindow is the zstd window of the pages the writers compress. A page is cut at about Options.PageBytes
// (256 KiB) of values, so a larger window finds nothing more; the library's default window (8 MiB) gives each
// encoder a 16 MiB history buffer, which parquet-go's codec keeps in a sync.Pool that every garbage collection
// empties: a one-pass conversion of several tables allocated encoders again and again and held 16-32 MiB of them
// at once (heap profile of the bench capture, BENCHMARKS.md "All tables in one pass").
const zstdWindow = 1 << 20

// maxIdleEncoders caps the encoders kept between pages: one per goroutine that compresses at once (the writers'
// workers, several tables written together), beyond which a returned encoder is dropped.
const maxIdleEncoders = 8

// zstdPageCodec is a Parquet ZSTD codec (compress.Codec) whose encoders have a window of zstdWindow and stay in a
// free list that garbage collections do not empty. Frames name their window, so any zstd decoder reads them;
// Decode is parquet-go's.
type zstdPageCodec struct {
	level kzstd.EncoderLevel
	dec   zstd.Codec

	mu   sync.Mutex
	idle []*kzstd.Encoder
}

func newZstdPageCodec(level kzstd.EncoderLevel) *zstdPageCodec {
	return &zstdPageCodec{level: level, dec: zstd.Codec{Level: level}}
}

func (c *zstdPageCodec) String() string                            { return "ZSTD" }
func (c *zstdPageCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode compresses src into a zstd frame appended to dst[:0], with the same encoder options as parquet-go's
// codec apart from the window.
func (c *zstdPageCodec) Encode(dst, src []byte) ([]byte, error) {
	c.mu.Lock()
	var e *kzstd.Encoder
	if n := len(c.idle); n > 0 {
		e = c.idle[n-1]
		c.idle[n-1] = nil
		c.idle = c.idle[:n-1]
	}
	c.mu.Unlock()
	if e == nil {
		var err error
		e, err = kzstd.NewWriter(nil,
			kzstd.WithEncoderConcurrency(1),
			kzstd.WithEncoderLevel(c.level),
			kzstd.WithWindowSize(zstdWindow),
			kzstd.WithZeroFrames(true),
			kzstd.WithEncoderCRC(false),
		)
		if err != nil {
			return dst[:0], err
		}
	}
	out := e.EncodeAll(src, dst[:0])
	c.mu.Lock()
	if len(c.idle) < maxIdleEncoders {
		c.idle = append(c.idle, e)
	}
	c.mu.Unlock()
	return out, nil
}

// Decode decompresses a zstd frame (parquet-go's codec).
func (c *zstdPageCodec) Decode(dst, src []byte) ([]byte, error) { return c.dec.Decode(dst, src) }
