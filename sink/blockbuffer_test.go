package sink

import (
	"bytes"
	"testing"
)

// TestBlockBufferSizes checks the block sizes of a column's chunk buffer: 64 KiB blocks from ordinary memory for
// a column of small pages (the narrow tables), 256 KiB blocks otherwise, and the bytes written back in order
// either way, across block boundaries and after a reset that keeps the blocks.
func TestBlockBufferSizes(t *testing.T) {
	for _, tc := range []struct {
		small bool
		block int
	}{
		{true, smallBlock},
		{false, blockSize},
	} {
		b := &blockBuffer{small: tc.small}
		var want []byte
		for round := range 2 {
			want = want[:0]
			for i := range 300 {
				p := bytes.Repeat([]byte{byte(i + round)}, 1000+i*7) // about 600 KiB in all
				b.write(p)
				want = append(want, p...)
			}
			var got bytes.Buffer
			if err := b.writeTo(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) || b.n != int64(len(want)) {
				t.Fatalf("small=%v round %d: %d bytes back (n=%d), wrote %d", tc.small, round, got.Len(), b.n, len(want))
			}
			for i, blk := range b.blocks {
				if cap(*blk) != tc.block {
					t.Errorf("small=%v round %d: block %d has capacity %d, want %d", tc.small, round, i, cap(*blk), tc.block)
				}
			}
			if n := (len(want) + tc.block - 1) / tc.block; len(b.blocks) != n {
				t.Errorf("small=%v: %d blocks for %d bytes, want %d", tc.small, len(b.blocks), len(want), n)
			}
			b.reset()
		}
		b.release()
	}
}
