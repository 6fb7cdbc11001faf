package capture

import (
	"bytes"
	"io"
	"testing"
)

// TestNextDoesNotAllocate checks that Next makes no allocation per record
// in steady state, for each format and compression.
func TestNextDoesNotAllocate(t *testing.T) {
	cases := []struct {
		name string
		data func(t *testing.T) []byte
	}{
		{"pcap", func(t *testing.T) []byte { return readTestFile(t, "seed__find_the_image.pcap") }},
		{"pcap-nsec-be", func(t *testing.T) []byte {
			return repeatPcapRecords(t, readTestFile(t, "pcapplusplus__Pcap__Test_PcapExamples_nanosecs_big_endian.pcap"), 200)
		}},
		{"pcapng", func(t *testing.T) []byte { return readTestFile(t, "chrissanders__synscan.pcapng") }},
		{"pcap-gzip", func(t *testing.T) []byte { return gzipBytes(t, readTestFile(t, "seed__find_the_image.pcap")) }},
		{"pcapng-zstd", func(t *testing.T) []byte { return zstdBytes(t, readTestFile(t, "chrissanders__synscan.pcapng")) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.data(t)), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for range 10 {
				if _, err := r.Next(); err != nil {
					t.Fatal(err)
				}
			}
			var nextErr error
			allocs := testing.AllocsPerRun(1000, func() {
				if _, err := r.Next(); err != nil {
					nextErr = err
				}
			})
			if nextErr != nil {
				t.Fatal(nextErr)
			}
			if allocs != 0 {
				t.Errorf("Next: %v allocations per record, want 0", allocs)
			}
		})
	}
}

// repeatPcapRecords makes a longer pcap by repeating the records of one.
func repeatPcapRecords(t *testing.T, file []byte, times int) []byte {
	t.Helper()
	out := bytes.Clone(file)
	for range times - 1 {
		out = append(out, file[24:]...)
	}
	return out
}

func benchmarkRead(b *testing.B, data []byte) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var packets int64
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			packets++
		}
		r.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(packets), "ns/pkt")
}

func BenchmarkReaderPcap(b *testing.B) {
	raw := readTestFile(b, "seed__find_the_image.pcap")
	b.Run("plain", func(b *testing.B) { benchmarkRead(b, raw) })
	b.Run("gzip", func(b *testing.B) { benchmarkRead(b, gzipBytes(b, raw)) })
	b.Run("zstd", func(b *testing.B) { benchmarkRead(b, zstdBytes(b, raw)) })
}

func BenchmarkReaderPcapng(b *testing.B) {
	raw := readTestFile(b, "chrissanders__synscan.pcapng")
	b.Run("plain", func(b *testing.B) { benchmarkRead(b, raw) })
	b.Run("gzip", func(b *testing.B) { benchmarkRead(b, gzipBytes(b, raw)) })
	b.Run("zstd", func(b *testing.B) { benchmarkRead(b, zstdBytes(b, raw)) })
}
