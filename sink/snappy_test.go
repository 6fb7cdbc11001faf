package sink

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/golang/snappy"
	"github.com/parquet-go/parquet-go/format"
)

// TestS2SnappyBlocks checks that the S2 encoder's blocks are Snappy: the reference Go implementation of Snappy
// (github.com/golang/snappy, which shares no code with S2) must decode them to the input.
func TestS2SnappyBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	text := bytes.Repeat([]byte("GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n"), 5000)
	mixed := append(append(append([]byte{}, random[:70000]...), text[:90000]...), random[100000:]...)
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"one byte", []byte{7}},
		{"short", []byte("sixteen bytes!!")},
		{"zeros", make([]byte, 1<<20)},
		{"random", random},
		{"text", text},
		{"mixed", mixed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, dst := range [][]byte{nil, make([]byte, 0, 10), make([]byte, 0, 2<<20)} {
				enc, err := s2SnappyCodec.Encode(dst, tt.in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := snappy.Decode(nil, enc)
				if err != nil {
					t.Fatalf("golang/snappy cannot decode the block: %v", err)
				}
				if !bytes.Equal(got, tt.in) {
					t.Fatalf("golang/snappy decodes %d bytes, want the %d bytes encoded", len(got), len(tt.in))
				}
				// And parquet-go's reader, which decodes the file's pages.
				got, err = s2SnappyCodec.Decode(nil, enc)
				if err != nil || !bytes.Equal(got, tt.in) {
					t.Fatalf("Decode = %d bytes, %v", len(got), err)
				}
			}
		})
	}
	if s2SnappyCodec.CompressionCodec() != format.Snappy || s2SnappyCodec.String() != "SNAPPY" {
		t.Errorf("codec = %v %q", s2SnappyCodec.CompressionCodec(), s2SnappyCodec.String())
	}
}

// TestParquetBytesCodec checks which codec and encoding each column gets, and that large Bytes values (incompressible,
// compressible, empty and NULL, over many pages and row groups) read back exactly under each compression.
func TestParquetBytesCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var rows []testRow
	for i := range 3000 {
		row := testRow{I64: int64(i), S: "s", I32: int32(i)}
		switch i % 5 {
		case 0:
			row.Raw = make([]byte, r.IntN(1500))
			for j := range row.Raw {
				row.Raw[j] = byte(r.Uint32())
			}
		case 1:
			row.Raw = bytes.Repeat([]byte("abc"), r.IntN(500))
		case 2:
			row.Raw = []byte{}
		case 3:
			row.Null = 1 << colRaw
		case 4:
			row.Raw = []byte{byte(i)}
			row.Null = 1<<colI32 | 1<<colS
		}
		rows = append(rows, row)
	}
	tests := []struct {
		compression string
		bytes, rest format.CompressionCodec
	}{
		{"", format.Snappy, format.Zstd},
		{"zstd", format.Snappy, format.Zstd},
		{"snappy", format.Snappy, format.Snappy},
		{"none", format.Uncompressed, format.Uncompressed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("compression=%q", tt.compression), func(t *testing.T) {
			opts := Options{Compression: tt.compression, RowGroupRows: 1000, PageBytes: 64 << 10, Workers: 1}
			f, got := readParquet(t, encode(t, Parquet, rows, opts))
			if len(got) != len(rows) {
				t.Fatalf("read %d rows, want %d", len(got), len(rows))
			}
			for i, pr := range got {
				checkParquetRow(t, i, pr, &rows[i])
			}
			if n := len(f.RowGroups()); n != 3 {
				t.Errorf("%d row groups, want 3", n)
			}
			for _, rg := range f.Metadata().RowGroups {
				for _, cc := range rg.Columns {
					want := tt.rest
					if cc.MetaData.PathInSchema[0] == "raw" {
						want = tt.bytes
					}
					if cc.MetaData.Codec != want {
						t.Errorf("column %v codec = %v, want %v", cc.MetaData.PathInSchema, cc.MetaData.Codec, want)
					}
					wantEnc := map[string]format.Encoding{"i32": format.DeltaBinaryPacked, "i64": format.DeltaBinaryPacked,
						"ts": format.DeltaBinaryPacked, "raw": format.Plain, "f": format.Plain, "flag": format.Plain}
					if e, ok := wantEnc[cc.MetaData.PathInSchema[0]]; ok && !slices.Contains(cc.MetaData.Encoding, e) {
						t.Errorf("column %v encodings = %v, want %v", cc.MetaData.PathInSchema, cc.MetaData.Encoding, e)
					}
				}
			}
		})
	}
}

func FuzzS2Snappy(f *testing.F) {
	f.Add([]byte(nil))
	f.Add([]byte("hello hello hello hello hello"))
	f.Add(bytes.Repeat([]byte{0xff, 0}, 1000))
	f.Fuzz(func(t *testing.T, in []byte) {
		enc, err := s2SnappyCodec.Encode(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := snappy.Decode(nil, enc)
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("round trip: %d bytes, %v", len(got), err)
		}
	})
}
