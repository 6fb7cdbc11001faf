package sink

import (
	"bytes"
	"math/rand/v2"
	"testing"

	kzstd "github.com/klauspost/compress/zstd"
)

// TestZstdPageCodec checks that the pages' codec round-trips and that its frames need no more than zstdWindow
// of a decoder (a decoder limited to that window refuses a frame that names a larger one, as parquet-go's codec
// wrote for pages larger than 1 MiB with the library's 8 MiB default).
func TestZstdPageCodec(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	repeat := bytes.Repeat([]byte("pcapframe "), 40_000)
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	dec, err := kzstd.NewReader(nil, kzstd.WithDecoderMaxWindow(zstdWindow), kzstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, tc := range []struct {
		name  string
		codec *zstdPageCodec
		src   []byte
	}{
		{"empty fastest", zstdFastest, nil},
		{"small fastest", zstdFastest, []byte("abcabcabcabc")},
		{"repeated fastest", zstdFastest, repeat},
		{"random fastest", zstdFastest, random},
		{"repeated default", zstdDefault, repeat},
		// A page larger than the window (a huge value): below the window the frame is one segment, whose window
		// is its size, whatever the encoder's window.
		{"large fastest", zstdFastest, bytes.Repeat(repeat, 10)},
		{"random default", zstdDefault, random},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := tc.codec.Encode(nil, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dec.DecodeAll(enc, nil)
			if err != nil {
				t.Fatalf("decode with a %d-byte window: %v", zstdWindow, err)
			}
			if !bytes.Equal(got, tc.src) {
				t.Fatalf("round trip: %d bytes back, want %d", len(got), len(tc.src))
			}
			back, err := tc.codec.Decode(nil, enc)
			if err != nil || !bytes.Equal(back, tc.src) {
				t.Fatalf("codec's Decode: %d bytes, %v", len(back), err)
			}
			if len(tc.codec.idle) == 0 || len(tc.codec.idle) > maxIdleEncoders {
				t.Fatalf("%d idle encoders after Encode, want 1..%d", len(tc.codec.idle), maxIdleEncoders)
			}
		})
	}
}
