package sink

import (
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/format"
)

// s2Snappy is the SNAPPY Parquet codec with S2's Snappy-compatible block encoder, which on packet payloads is
// twice as fast as the encoder behind parquet-go's own Snappy codec (and skips incompressible input quickly) for
// output about 2% larger. Every Snappy decoder reads its blocks (TestS2SnappyBlocks checks with golang/snappy).
type s2Snappy struct {
	snappy.Codec // Decode and the names
}

// s2SnappyCodec is the one codec value, shared by all writers.
var s2SnappyCodec = &s2Snappy{}

func (c *s2Snappy) Encode(dst, src []byte) ([]byte, error) {
	if s2.MaxEncodedLen(len(src)) < 0 {
		return dst[:0], fmt.Errorf("snappy: page of %d bytes is too large", len(src))
	}
	return s2.EncodeSnappy(dst[:cap(dst)], src), nil
}

// CompressionCodec and String are promoted from snappy.Codec; they are repeated here only to make the codec's
// identity explicit.
func (c *s2Snappy) CompressionCodec() format.CompressionCodec { return format.Snappy }
func (c *s2Snappy) String() string                            { return "SNAPPY" }
